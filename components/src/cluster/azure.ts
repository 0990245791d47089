/** AKS: resource group, VNet, control-plane identity, Entra ID + Azure RBAC cluster, autoscaling zonal pools or node auto-provisioning. */
import type * as authorizationTypes from "@pulumi/azure-native/authorization";
import type * as containerserviceTypes from "@pulumi/azure-native/containerservice";
import type * as managedidentityTypes from "@pulumi/azure-native/managedidentity";
import type * as networkTypes from "@pulumi/azure-native/network";
import type * as resourcesTypes from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { CRITICAL_ADDONS_ONLY_TAINT, type ClusterPlan, type NodePoolPlan } from "../planners/cluster";
import { POOL_LABEL } from "../planners/capacity";
import { azureRoleDefinitionId } from "../planners/iam";
import type { CloudCluster } from "./types";

/** Built-in role definition IDs (the same GUIDs in every Azure tenant). */
export const AZURE_ROLES = {
    networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
} as const;

function poolProfile(pool: NodePoolPlan, kubernetesVersion: string, subnetId: pulumi.Input<string>, fixedSize = false) {
    return {
        vmSize: pool.machineType,
        mode: pool.system ? "System" : "User",
        osType: "Linux",
        osSKU: "AzureLinux",
        osDiskSizeGB: pool.diskSizeGb,
        type: "VirtualMachineScaleSets",
        availabilityZones: ["1", "2", "3"],
        // With node auto-provisioning AKS allows only fixed-size pools.
        enableAutoScaling: !fixedSize,
        minCount: fixedSize ? undefined : pool.minNodes,
        maxCount: fixedSize ? undefined : pool.maxNodes,
        count: Math.max(pool.minNodes, 1),
        orchestratorVersion: kubernetesVersion,
        vnetSubnetID: subnetId,
        enableNodePublicIP: false,
        nodeLabels: { ...pool.labels, [POOL_LABEL]: pool.name },
        // A reserved system pool runs only critical add-ons; workloads go to the user pools.
        nodeTaints: pool.criticalAddonsOnly ? [CRITICAL_ADDONS_ONLY_TAINT] : undefined,
        scaleSetPriority: pool.spot ? "Spot" : "Regular",
        scaleSetEvictionPolicy: pool.spot ? "Delete" : undefined,
        spotMaxPrice: pool.spot ? -1 : undefined,
        upgradeSettings: { maxSurge: "33%" },
    };
}

export function createAksCluster(name: string, plan: ClusterPlan, parent: pulumi.Resource): CloudCluster {
    // Loaded here, not at import: each cloud SDK costs about half a second of start-up.
    const authorization = require("@pulumi/azure-native/authorization") as typeof authorizationTypes;
    const containerservice = require("@pulumi/azure-native/containerservice") as typeof containerserviceTypes;
    const managedidentity = require("@pulumi/azure-native/managedidentity") as typeof managedidentityTypes;
    const network = require("@pulumi/azure-native/network") as typeof networkTypes;
    const resources = require("@pulumi/azure-native/resources") as typeof resourcesTypes;
    const z = plan.azure!;
    const opts: pulumi.CustomResourceOptions = { parent };
    const tags = { ...plan.tags, "paas-cluster": plan.clusterName };
    const client = authorization.getClientConfigOutput({ parent });
    const roleId = (guid: string) =>
        client.subscriptionId.apply((sub) => azureRoleDefinitionId(sub, guid));

    const resourceGroupName: pulumi.Output<string> = z.resourceGroupName
        ? pulumi.output(z.resourceGroupName)
        : new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: `${plan.clusterName}-rg`, location: z.location, tags }, opts).name;

    const vnet = new network.VirtualNetwork(`${name}-vnet`, {
        resourceGroupName,
        location: z.location,
        addressSpace: { addressPrefixes: [z.vnetCidr] },
        tags,
    }, { ...opts, ignoreChanges: ["subnets"] });
    const nodeSubnet = new network.Subnet(`${name}-nodes`, {
        resourceGroupName,
        virtualNetworkName: vnet.name,
        addressPrefix: z.nodeSubnetCidr,
        defaultOutboundAccess: false,
    }, opts);

    // A user-assigned control-plane identity: it can be granted rights before the cluster exists.
    const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName, location: z.location, tags }, opts);
    const grants: pulumi.Resource[] = [
        new authorization.RoleAssignment(`${name}-identity-network`, {
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleId(AZURE_ROLES.networkContributor),
            scope: nodeSubnet.id,
        }, opts),
    ];
    if (z.keyVaultKeyId && z.keyVaultResourceId) {
        grants.push(new authorization.RoleAssignment(`${name}-identity-kms`, {
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleId(AZURE_ROLES.keyVaultCryptoUser),
            scope: z.keyVaultResourceId,
        }, opts));
    }

    const [systemPool, ...otherPools] = plan.nodePools;
    // With node auto-provisioning, AKS's managed Karpenter provisions every pool after the first.
    const userPools = otherPools.filter((p) => !p.karpenter);
    const nap = z.nodeAutoProvisioning !== undefined;
    const privateOnly = plan.apiAccess.privateEndpoint && !plan.apiAccess.publicEndpoint;
    const cluster = new containerservice.ManagedCluster(`${name}-aks`, {
        resourceName: plan.clusterName,
        resourceGroupName,
        location: z.location,
        dnsPrefix: plan.clusterName,
        kubernetesVersion: plan.kubernetesVersion,
        sku: { name: "Base", tier: "Standard" },
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        enableRBAC: true,
        aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: [...z.adminGroupObjectIds] },
        disableLocalAccounts: true,
        apiServerAccessProfile: {
            enablePrivateCluster: privateOnly,
            authorizedIPRanges: plan.apiAccess.publicEndpoint ? [...plan.apiAccess.authorizedNetworks] : undefined,
            disableRunCommand: true,
        },
        networkProfile: {
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            networkDataplane: "cilium",
            networkPolicy: "cilium",
            // Overlay networking: pods get addresses outside the VNet, services a range of their own.
            podCidr: z.podCidr,
            serviceCidr: z.serviceCidr,
            dnsServiceIP: z.dnsServiceIp,
            loadBalancerSku: "standard",
            outboundType: "loadBalancer",
        },
        oidcIssuerProfile: { enabled: true },
        securityProfile: {
            workloadIdentity: { enabled: true },
            imageCleaner: { enabled: true, intervalHours: 48 },
            azureKeyVaultKms: z.keyVaultKeyId ? { enabled: true, keyId: z.keyVaultKeyId, keyVaultNetworkAccess: "Public" } : undefined,
        },
        autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
        addonProfiles: { azurepolicy: { enabled: true } },
        agentPoolProfiles: [{ name: systemPool.name, ...poolProfile(systemPool, plan.kubernetesVersion, nodeSubnet.id, nap) }],
        // Our own NodePools only, each limited by its pool's maxima; AKS's default ones have no limits.
        nodeProvisioningProfile: nap ? { mode: "Auto", defaultNodePools: "None" } : undefined,
        tags,
    }, { ...opts, dependsOn: grants, ignoreChanges: ["agentPoolProfiles[0].count"] });

    const pools: pulumi.Resource[] = [cluster];
    for (const pool of userPools) {
        pools.push(new containerservice.AgentPool(`${name}-${pool.name}`, {
            resourceGroupName,
            resourceName: cluster.name,
            agentPoolName: pool.name,
            ...poolProfile(pool, plan.kubernetesVersion, nodeSubnet.id),
        }, { ...opts, ignoreChanges: ["count"] }));
    }

    // The user kubeconfig carries no secret of its own: with local accounts off it logs in through
    // Entra ID (kubelogin), so it is safe to hand out, but it is still kept as a secret output.
    const creds = containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName, resourceName: cluster.name }, { parent });
    const kubeconfig = creds.kubeconfigs.apply((k) => Buffer.from(k[0].value, "base64").toString("utf8"));

    return {
        clusterName: cluster.name,
        kubeconfig: pulumi.secret(kubeconfig),
        oidcIssuerUrl: cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? ""),
        resourceGroupName,
        readyResources: pools,
        aksNodeSubnetId: nap ? nodeSubnet.id : undefined,
    };
}
