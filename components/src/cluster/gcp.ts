/** GKE: VPC with secondary ranges, Cloud NAT, KMS, node service account, regional private cluster. */
import type * as gcpTypes from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_DEFAULTS, type ClusterPlan, type NodePoolPlan } from "../planners/cluster";
import type { PoolLimit } from "../planners/karpenter";
import { GKE_NODE_ROLES, gkeNodeAccountId } from "../planners/iam";
import { POOL_LABEL } from "../planners/capacity";
import { execKubeconfig } from "../planners/kubeconfig";
import type { CloudCluster } from "./types";

/** Node settings shared by every pool (and the default pool GKE creates then removes). */
function nodeConfig(pool: Pick<NodePoolPlan, "machineType" | "diskSizeGb" | "spot" | "labels"> & { name?: string }, serviceAccount: pulumi.Input<string>, labels: Record<string, string>) {
    return {
        machineType: pool.machineType,
        diskSizeGb: pool.diskSizeGb,
        diskType: "pd-balanced",
        imageType: "COS_CONTAINERD",
        spot: pool.spot,
        serviceAccount,
        // Access is governed by the service account's IAM roles, the documented GKE practice.
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        // Pods see the GKE metadata server, never the node's credentials.
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
        labels: { ...pool.labels, ...("name" in pool ? { [POOL_LABEL]: pool.name } : {}) },
        resourceLabels: labels,
    };
}

/**
 * Node auto-provisioning: node pools GKE creates stay within the sums of the configured pools'
 * CPU and memory, and get the same hardened node settings as the configured pools.
 */
function autoProvisioning(limits: { min: PoolLimit; max: PoolLimit }, serviceAccount: pulumi.Input<string>) {
    const n = nodeConfig({ machineType: "", diskSizeGb: CLUSTER_DEFAULTS.diskSizeGb, spot: false, labels: {} }, serviceAccount, {});
    return {
        enabled: true,
        autoscalingProfile: "BALANCED",
        resourceLimits: [
            { resourceType: "cpu", minimum: limits.min.vcpu, maximum: limits.max.vcpu },
            { resourceType: "memory", minimum: limits.min.memoryGiB, maximum: limits.max.memoryGiB },
        ],
        autoProvisioningDefaults: {
            serviceAccount: n.serviceAccount,
            oauthScopes: n.oauthScopes,
            diskSize: n.diskSizeGb,
            diskType: n.diskType,
            imageType: n.imageType,
            shieldedInstanceConfig: n.shieldedInstanceConfig,
            management: { autoRepair: true, autoUpgrade: true },
            upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        },
    };
}

export function createGkeCluster(name: string, plan: ClusterPlan, parent: pulumi.Resource): CloudCluster {
    // Loaded here, not at import: each cloud SDK costs about half a second of start-up.
    const gcp = require("@pulumi/gcp") as typeof gcpTypes;
    const g = plan.gcp!;
    const opts: pulumi.CustomResourceOptions = { parent };
    const labels = { ...plan.tags, "paas-cluster": plan.clusterName };
    const projectInfo = gcp.organizations.getProjectOutput(g.project ? { projectId: g.project } : {}, { parent });
    const project = projectInfo.apply((p) => p.projectId ?? g.project ?? "");
    const region = g.region ?? gcp.config.region;
    if (!region) throw new Error(`${name}: the GKE region is not set: set gcp.region in the cluster args or the gcp:region stack config`);

    const network = new gcp.compute.Network(`${name}-vpc`, { project, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, opts);
    const subnetwork = new gcp.compute.Subnetwork(`${name}-nodes`, {
        project,
        region,
        network: network.id,
        ipCidrRange: g.nodesCidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
            { rangeName: "pods", ipCidrRange: g.podsCidr },
            { rangeName: "services", ipCidrRange: g.servicesCidr },
        ],
        logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    }, opts);
    // Private nodes have no public IPs: Cloud NAT gives them egress.
    const router = new gcp.compute.Router(`${name}-router`, { project, region, network: network.id }, opts);
    new gcp.compute.RouterNat(`${name}-nat`, {
        project,
        region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
    }, opts);

    // --- application-layer secrets encryption
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { project, location: region, name: `${plan.clusterName}-keyring` }, opts);
    const key = new gcp.kms.CryptoKey(`${name}-secrets`, {
        keyRing: keyRing.id,
        name: "kubernetes-secrets",
        rotationPeriod: "7776000s",
        purpose: "ENCRYPT_DECRYPT",
    }, opts);
    const keyGrant = new gcp.kms.CryptoKeyIAMMember(`${name}-secrets-gke`, {
        cryptoKeyId: key.id,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: pulumi.interpolate`serviceAccount:service-${projectInfo.number}@container-engine-robot.iam.gserviceaccount.com`,
    }, opts);

    // --- dedicated least-privilege node service account (never the Compute default one)
    const nodeSa = new gcp.serviceaccount.Account(`${name}-nodes`, {
        project,
        accountId: gkeNodeAccountId(plan.clusterName),
        displayName: `GKE nodes of ${plan.clusterName}`,
    }, opts);
    const grants = GKE_NODE_ROLES.map((role) =>
        new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1]}`, {
            project,
            role,
            member: pulumi.interpolate`serviceAccount:${nodeSa.email}`,
        }, opts));

    const privateOnly = plan.apiAccess.privateEndpoint && !plan.apiAccess.publicEndpoint;
    const cluster = new gcp.container.Cluster(`${name}-gke`, {
        project,
        name: plan.clusterName,
        location: region, // regional: control plane and nodes over the region's zones
        network: network.id,
        subnetwork: subnetwork.id,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
        minMasterVersion: plan.kubernetesVersion,
        releaseChannel: { channel: g.releaseChannel },
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: nodeConfig({ machineType: "e2-small", diskSizeGb: 20, spot: false, labels: {} }, nodeSa.email, labels),
        privateClusterConfig: {
            enablePrivateNodes: true,
            enablePrivateEndpoint: privateOnly,
            masterIpv4CidrBlock: g.masterCidr,
            masterGlobalAccessConfig: { enabled: false },
        },
        masterAuthorizedNetworksConfig: {
            gcpPublicCidrsAccessEnabled: false,
            cidrBlocks: plan.apiAccess.authorizedNetworks.map((cidr, i) => ({ cidrBlock: cidr, displayName: `authorized-${i}` })),
        },
        workloadIdentityConfig: { workloadPool: pulumi.interpolate`${project}.svc.id.goog` },
        datapathProvider: "ADVANCED_DATAPATH", // Dataplane V2: eBPF, enforces NetworkPolicy
        databaseEncryption: { state: "ENCRYPTED", keyName: key.id },
        enableLegacyAbac: false,
        enableShieldedNodes: true,
        enableIntranodeVisibility: true,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
        securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_BASIC" },
        loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"] },
        monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
        addonsConfig: { httpLoadBalancing: { disabled: false }, horizontalPodAutoscaling: { disabled: false } },
        gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
        clusterAutoscaling: g.nodeAutoProvisioning ? autoProvisioning(g.nodeAutoProvisioning, nodeSa.email) : undefined,
        resourceLabels: labels,
        deletionProtection: true,
    }, { ...opts, dependsOn: [keyGrant, ...grants] });

    const pools = plan.nodePools.map((pool) =>
        new gcp.container.NodePool(`${name}-${pool.name}`, {
            project,
            cluster: cluster.name,
            location: region,
            name: pool.name,
            // Totals over the region's zones, so min/max mean the same thing as on EKS and AKS.
            autoscaling: { totalMinNodeCount: pool.minNodes, totalMaxNodeCount: pool.maxNodes, locationPolicy: pool.spot ? "ANY" : "BALANCED" },
            management: { autoRepair: true, autoUpgrade: true },
            upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
            nodeConfig: nodeConfig(pool, nodeSa.email, labels),
        }, { ...opts, ignoreChanges: ["nodeCount", "initialNodeCount"] }));

    const kubeconfig = pulumi
        .all([cluster.name, cluster.endpoint, cluster.masterAuth, cluster.privateClusterConfig])
        .apply(([clusterName, endpoint, auth, pcc]) =>
            execKubeconfig(`gke_${clusterName}`, `https://${privateOnly ? pcc?.privateEndpoint ?? endpoint : endpoint}`, auth.clusterCaCertificate ?? "", {
                command: "gke-gcloud-auth-plugin",
                args: [],
                installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            }));

    return {
        clusterName: cluster.name,
        kubeconfig: pulumi.secret(kubeconfig),
        oidcIssuerUrl: pulumi.interpolate`https://container.googleapis.com/v1/projects/${project}/locations/${region}/clusters/${cluster.name}`,
        workloadIdentityPool: pulumi.interpolate`${project}.svc.id.goog`,
        readyResources: pools,
    };
}
