/** EKS: VPC, KMS, IAM, control plane, managed node groups (or Karpenter for all but the system pool), OIDC provider, core add-ons. */
import type * as awsTypes from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../planners/cluster";
import { EKS_CLUSTER_POLICIES, EKS_NODE_POLICIES, irsaTrustPolicy, serviceTrustPolicy } from "../planners/iam";
import { POOL_LABEL } from "../planners/capacity";
import { execKubeconfig } from "../planners/kubeconfig";
import { createClusterAutoscalerAws } from "./clusterAutoscaler";
import { createKarpenterAws } from "./karpenter";
import type { CloudCluster } from "./types";

/** Every control-plane log type, `audit` and `authenticator` included. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export function createEksCluster(name: string, plan: ClusterPlan, parent: pulumi.Resource): CloudCluster {
    // Loaded here, not at import: each cloud SDK costs about half a second of start-up.
    const aws = require("@pulumi/aws") as typeof awsTypes;
    const a = plan.aws!;
    const opts: pulumi.CustomResourceOptions = { parent };
    const tags = { ...plan.tags, "paas:cluster": plan.clusterName };

    // --- network: private subnets for nodes, public ones only for NAT and load balancers
    let privateSubnetIds: pulumi.Input<string>[];
    let vpcZones: pulumi.Output<string[]> = pulumi.output([]);
    if (a.subnetIds) {
        privateSubnetIds = [...a.subnetIds];
    } else {
        const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { parent });
        vpcZones = zones.names.apply((n) => n.slice(0, a.privateSubnetCidrs.length));
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: a.vpcCidr,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { ...tags, Name: `${plan.clusterName}-vpc` },
        }, opts);
        // Lock down the default security group: nothing in, nothing out.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags }, opts);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, opts);
        const publicRt = new aws.ec2.RouteTable(`${name}-public`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags,
        }, opts);
        privateSubnetIds = a.privateSubnetCidrs.map((cidr, i) => {
            const az = zones.names[i];
            const pub = new aws.ec2.Subnet(`${name}-public-${i}`, {
                vpcId: vpc.id,
                cidrBlock: a.publicSubnetCidrs[i],
                availabilityZone: az,
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${plan.clusterName}-public-${i}`, "kubernetes.io/role/elb": "1" },
            }, opts);
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRt.id }, opts);
            // One NAT gateway per zone: losing a zone never cuts the others' egress.
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags }, opts);
            const nat = new aws.ec2.NatGateway(`${name}-nat-${i}`, { subnetId: pub.id, allocationId: eip.id, tags }, opts);
            const priv = new aws.ec2.Subnet(`${name}-private-${i}`, {
                vpcId: vpc.id,
                cidrBlock: cidr,
                availabilityZone: az,
                tags: { ...tags, Name: `${plan.clusterName}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
            }, opts);
            const rt = new aws.ec2.RouteTable(`${name}-private-${i}`, {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
                tags,
            }, opts);
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: priv.id, routeTableId: rt.id }, opts);
            return priv.id;
        });
    }

    // --- envelope encryption of Kubernetes secrets
    const key = new aws.kms.Key(`${name}-secrets`, {
        description: `Envelope encryption of Kubernetes secrets of EKS cluster ${plan.clusterName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
    }, opts);

    // --- IAM: the minimum managed policies for the control plane and the nodes
    const clusterRole = new aws.iam.Role(`${name}-cluster`, {
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("eks.amazonaws.com")),
        tags,
    }, opts);
    const clusterAttachments = EKS_CLUSTER_POLICIES.map((p) =>
        new aws.iam.RolePolicyAttachment(`${name}-cluster-${p}`, { role: clusterRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, opts));
    const nodeRole = new aws.iam.Role(`${name}-node`, {
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com")),
        tags,
    }, opts);
    const nodeAttachments = EKS_NODE_POLICIES.map((p) =>
        new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, opts));

    // --- control plane
    const cluster = new aws.eks.Cluster(`${name}-eks`, {
        name: plan.clusterName,
        version: plan.kubernetesVersion,
        roleArn: clusterRole.arn,
        vpcConfig: {
            subnetIds: privateSubnetIds,
            endpointPrivateAccess: plan.apiAccess.privateEndpoint,
            endpointPublicAccess: plan.apiAccess.publicEndpoint,
            // EKS defaults this to 0.0.0.0/0 when public access is on: always set it explicitly.
            publicAccessCidrs: plan.apiAccess.publicEndpoint ? [...plan.apiAccess.authorizedNetworks] : undefined,
        },
        encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
        enabledClusterLogTypes: EKS_LOG_TYPES,
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        upgradePolicy: { supportType: "STANDARD" },
        tags,
    }, { ...opts, dependsOn: clusterAttachments });

    a.adminRoleArns.forEach((arn, i) => {
        const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName: cluster.name, principalArn: arn, type: "STANDARD" }, opts);
        new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
            clusterName: cluster.name,
            principalArn: arn,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            accessScope: { type: "cluster" },
        }, { ...opts, dependsOn: [entry] });
    });

    // --- OIDC provider for IRSA
    const issuerUrl = cluster.identities.apply((ids) => ids[0].oidcs[0].issuer);
    const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
        url: issuerUrl,
        clientIdLists: ["sts.amazonaws.com"],
        tags,
    }, opts);

    // --- VPC CNI with its own IRSA role (not on the node role) and network policy enforcement on
    const cniRole = new aws.iam.Role(`${name}-vpc-cni`, {
        assumeRolePolicy: pulumi.all([oidc.arn, issuerUrl]).apply(([arn, url]) =>
            JSON.stringify(irsaTrustPolicy(arn, url, "kube-system", "aws-node"))),
        tags,
    }, opts);
    new aws.iam.RolePolicyAttachment(`${name}-vpc-cni`, { role: cniRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" }, opts);
    const cni = new aws.eks.Addon(`${name}-vpc-cni`, {
        clusterName: cluster.name,
        addonName: "vpc-cni",
        serviceAccountRoleArn: cniRole.arn,
        configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
    }, opts);

    // --- nodes: IMDSv2 only, hop limit 1 (pods cannot reach the node's credentials), encrypted disks
    // With Karpenter only the system pool is a node group; Karpenter launches the others' nodes.
    const groups = plan.nodePools.filter((pool) => !pool.karpenter).map((pool) => {
        const lt = new aws.ec2.LaunchTemplate(`${name}-${pool.name}`, {
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [{
                deviceName: "/dev/xvda",
                ebs: { volumeSize: pool.diskSizeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            }],
            tagSpecifications: [{ resourceType: "instance", tags: { ...tags, "paas:node-pool": pool.name } }],
            tags,
        }, opts);
        return new aws.eks.NodeGroup(`${name}-${pool.name}`, {
            clusterName: cluster.name,
            nodeGroupName: pool.name,
            nodeRoleArn: nodeRole.arn,
            subnetIds: privateSubnetIds,
            amiType: "AL2023_x86_64_STANDARD",
            instanceTypes: [pool.machineType],
            capacityType: pool.spot ? "SPOT" : "ON_DEMAND",
            scalingConfig: { minSize: pool.minNodes, maxSize: pool.maxNodes, desiredSize: Math.max(pool.minNodes, 1) },
            updateConfig: { maxUnavailable: 1 },
            launchTemplate: { id: lt.id, version: lt.latestVersion.apply(String) },
            labels: { ...pool.labels, [POOL_LABEL]: pool.name },
            tags,
        }, {
            ...opts,
            dependsOn: [...nodeAttachments, cni],
            // The cluster autoscaler owns the current size; Pulumi owns only the bounds.
            ignoreChanges: ["scalingConfig.desiredSize"],
        });
    });

    // Every Kubernetes object waits for these too: pods need DNS, and Pod Identity roles the agent.
    const addons = ["coredns", "kube-proxy", "eks-pod-identity-agent"].map((addon) =>
        new aws.eks.Addon(`${name}-${addon}`, {
            clusterName: cluster.name,
            addonName: addon,
            resolveConflictsOnUpdate: "OVERWRITE",
            tags,
        }, { ...opts, dependsOn: groups }));

    const kubeconfig = pulumi
        .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
        .apply(([clusterName, endpoint, ca]) =>
            execKubeconfig(clusterName, endpoint, ca.data ?? "", {
                command: "aws",
                args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"],
                installHint: "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/",
            }));

    const karpenter = a.karpenter
        ? createKarpenterAws(name, plan, { cluster, oidcProviderArn: oidc.arn, issuerUrl, subnetIds: privateSubnetIds, zones: vpcZones, tags }, opts)
        : undefined;
    const clusterAutoscaler = a.nodeProvisioning === "managedGroups" ? createClusterAutoscalerAws(name, plan, cluster, tags, opts) : undefined;

    return {
        clusterName: cluster.name,
        kubeconfig: pulumi.secret(kubeconfig),
        oidcIssuerUrl: issuerUrl,
        oidcProviderArn: oidc.arn,
        readyResources: [...groups, ...addons],
        karpenter,
        clusterAutoscaler,
    };
}
