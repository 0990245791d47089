import { describe, expect, it } from "vitest";
import { AZURE_ROLES } from "../components/src/cluster/azure";
import { problemsOf } from "./harness/config";
import { FAKE } from "./harness/mocks";
import { schemaErrors } from "./harness/schema";
import { parseConfig } from "../app/config";
import { type ProgramRun, runStack, stackConfig } from "./harness/stacks";

describe("AKS (azure-prod stack)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("azure-prod");
        expect(run.recorder.ofType("azure-native:containerservice:ManagedCluster")).toHaveLength(1);
    });

    it("uses Entra ID with Azure RBAC, no local accounts, a private API and Cilium network policy", () => {
        const c = get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks");
        expect(c.resourceName).toBe("paas-azure-prod");
        expect(c.aadProfile).toEqual({ managed: true, enableAzureRBAC: true, adminGroupObjectIDs: ["6f1c2b3a-1111-4222-8333-944445555666"] });
        expect(c.disableLocalAccounts).toBe(true);
        expect(c.enableRBAC).toBe(true);
        expect(c.apiServerAccessProfile).toEqual({ enablePrivateCluster: true, disableRunCommand: true });
        expect(c.networkProfile).toMatchObject({ networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium", networkDataplane: "cilium" });
        expect(c.oidcIssuerProfile).toEqual({ enabled: true });
        expect(c.securityProfile.workloadIdentity).toEqual({ enabled: true });
    });

    it("encrypts secrets with the Key Vault key and grants the control-plane identity only what it needs", () => {
        const c = get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks");
        expect(c.securityProfile.azureKeyVaultKms).toEqual({
            enabled: true,
            keyId: "https://acme-prod-kv.vault.azure.net/keys/aks-secrets/0123456789abcdef0123456789abcdef",
            keyVaultNetworkAccess: "Public",
        });
        expect(c.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: ["paas-cluster-identity-id"] });
        const role = (n: string) => get("azure-native:authorization:RoleAssignment", n);
        const defId = (guid: string) => `/subscriptions/${FAKE.azureSubscription}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
        expect(run.recorder.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("paas-cluster-"))).toHaveLength(2);
        expect(role("paas-cluster-identity-network")).toMatchObject({
            roleDefinitionId: defId(AZURE_ROLES.networkContributor),
            scope: "paas-cluster-nodes-id",
            principalId: "paas-cluster-identity-principal",
        });
        expect(role("paas-cluster-identity-kms")).toMatchObject({
            roleDefinitionId: defId(AZURE_ROLES.keyVaultCryptoUser),
            scope: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/acme-security/providers/Microsoft.KeyVault/vaults/acme-prod-kv",
        });
    });

    it("spreads autoscaling pools over three zones; the system pool is tainted for critical add-ons", () => {
        const c = get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks");
        expect(c.agentPoolProfiles).toHaveLength(1);
        expect(c.agentPoolProfiles[0]).toMatchObject({
            name: "system", mode: "System", enableAutoScaling: true, minCount: 3, maxCount: 6,
            availabilityZones: ["1", "2", "3"], nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"], scaleSetPriority: "Regular",
        });
        const apps = get("azure-native:containerservice:AgentPool", "paas-cluster-apps");
        expect(apps).toMatchObject({ agentPoolName: "apps", mode: "User", minCount: 3, maxCount: 30, vmSize: "Standard_D8s_v5", availabilityZones: ["1", "2", "3"] });
    });

    it("schedules workloads with no pool configured: a tainted system pool plus an untainted zonal autoscaling user pool", async () => {
        const r = await runStack("azure-prod", (c) => {
            const { nodePools: _pools, ...cl } = c["paas:cluster"] as Record<string, unknown>;
            return { ...c, "paas:cluster": cl };
        });
        const c = r.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs;
        expect(c.agentPoolProfiles).toHaveLength(1);
        expect(c.agentPoolProfiles[0]).toMatchObject({ name: "system", mode: "System", minCount: 2, maxCount: 6, nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"] });
        const pools = r.recorder.ofType("azure-native:containerservice:AgentPool");
        expect(pools.map((p) => p.name)).toEqual(["paas-cluster-apps"]);
        expect(pools[0].inputs).toMatchObject({
            agentPoolName: "apps", mode: "User", vmSize: "Standard_D4s_v5", enableAutoScaling: true, minCount: 2, maxCount: 10,
            availabilityZones: ["1", "2", "3"], scaleSetPriority: "Regular",
        });
        expect(pools[0].inputs.nodeTaints).toBeUndefined();
    });

    it("leaves a lone system pool untainted, so workloads can run on it", async () => {
        const r = await runStack("azure-prod", (c) => ({ ...c, "paas:cluster": { ...(c["paas:cluster"] as object), nodePools: [{ name: "system", minNodes: 3, maxNodes: 9 }] } }));
        const profile = r.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs.agentPoolProfiles[0];
        expect(profile).toMatchObject({ name: "system", mode: "System", minCount: 3, maxCount: 9 });
        expect(profile.nodeTaints).toBeUndefined();
        expect(r.recorder.ofType("azure-native:containerservice:AgentPool")).toEqual([]);
    });

    it("uses the configured pod and service ranges and DNS service IP", async () => {
        const r = await runStack("azure-prod", (c) => ({
            ...c, "paas:cluster": { ...(c["paas:cluster"] as object), azure: { ...((c["paas:cluster"] as any).azure), vnetCidr: "10.0.0.0/16", serviceCidr: "172.20.0.0/16", podCidr: "192.168.0.0/16" } },
        }));
        expect(r.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs.networkProfile).toMatchObject({
            podCidr: "192.168.0.0/16", serviceCidr: "172.20.0.0/16", dnsServiceIP: "172.20.0.10",
        });
        expect(r.recorder.get("azure-native:network:VirtualNetwork", "paas-cluster-vnet").inputs.addressSpace).toEqual({ addressPrefixes: ["10.0.0.0/16"] });
    });

    it("refuses a VNet that overlaps the service range, naming the key, the values and the rule", () => {
        const config = stackConfig("azure-prod");
        const cluster = config["paas:cluster"] as any;
        const raw = { ...config, "paas:cluster": { ...cluster, azure: { ...cluster.azure, vnetCidr: "10.0.0.0/16", dnsServiceIp: "10.0.0.1" } } };
        const enc = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        expect(() => parseConfig(enc, "azure-prod")).toThrow([
            "invalid stack configuration (2 problems):",
            '  - paas:cluster.azure.serviceCidr must not overlap vnetCidr (10.0.0.0/16), got "10.0.0.0/16"',
            '  - paas:cluster.azure.dnsServiceIp must be an IPv4 address inside serviceCidr (10.0.0.0/16), other than its network address, its first address (the kubernetes Service) and its last, got "10.0.0.1"',
        ].join("\n"));
    });

    it("exports the issuer and a secret kubeconfig", () => {
        expect(run.outputs.oidcIssuerUrl.value).toBe(FAKE.aksIssuer);
        expect(run.outputs.kubeconfig.secret).toBe(true);
        expect(run.outputs.kubeconfig.value).toBe("apiVersion: v1\nkind: Config\n");
    });

    it("uses authorized IP ranges instead of a private cluster when networks are listed, and spot user pools", async () => {
        const r = await runStack("azure-prod", (c) => {
            const cl = c["paas:cluster"] as any;
            return {
                ...c,
                "paas:cluster": {
                    ...cl,
                    apiAccess: { privateEndpoint: true, authorizedNetworks: ["198.51.100.0/24"] },
                    nodePools: [...cl.nodePools, { name: "spot", minNodes: 0, maxNodes: 5, spot: true }],
                },
            };
        });
        const c = r.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs;
        expect(c.apiServerAccessProfile).toEqual({ enablePrivateCluster: false, authorizedIPRanges: ["198.51.100.0/24"], disableRunCommand: true });
        expect(r.recorder.get("azure-native:containerservice:AgentPool", "paas-cluster-spot").inputs).toMatchObject({
            scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1,
        });
    });
});

describe("AKS node auto-provisioning", () => {
    const napStack = (cfg: Record<string, unknown>) => {
        const cluster = cfg["paas:cluster"] as any;
        return {
            ...cfg,
            "paas:cluster": { ...cluster, nodePools: [{ ...cluster.nodePools[0], maxNodes: 3 }, { ...cluster.nodePools[1], minNodes: 0, spot: true, diskSizeGb: 64 }], azure: { ...cluster.azure, nodeAutoProvisioning: true } },
        };
    };

    it("turns AKS's managed Karpenter on with no default NodePools, keeps the system pool at a fixed size, and makes no agent pool for the others", async () => {
        const run = await runStack("azure-prod", napStack);
        const c = run.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs;
        expect(c.nodeProvisioningProfile).toEqual({ mode: "Auto", defaultNodePools: "None" });
        expect(c.agentPoolProfiles).toHaveLength(1);
        expect(c.agentPoolProfiles[0]).toMatchObject({ name: "system", mode: "System", enableAutoScaling: false, count: 3, vmSize: "Standard_D4s_v5" });
        expect(c.agentPoolProfiles[0].minCount).toBeUndefined();
        expect(c.agentPoolProfiles[0].maxCount).toBeUndefined();
        expect(run.recorder.ofType("azure-native:containerservice:AgentPool")).toEqual([]);

        const tags = { environment: "prod", "paas-cluster": "paas-azure-prod" };
        expect(run.recorder.get("kubernetes:karpenter.azure.com/v1beta1:AKSNodeClass", "paas-cluster-nap-apps-class").inputs).toEqual({
            apiVersion: "karpenter.azure.com/v1beta1",
            kind: "AKSNodeClass",
            metadata: { name: "apps" },
            spec: { imageFamily: "AzureLinux", osDiskSizeGB: 64, vnetSubnetID: "paas-cluster-nodes-id", tags: { ...tags, "paas-node-pool": "apps" } },
        });
        const nodePool = run.recorder.get("kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-nap-apps").inputs;
        expect(nodePool).toEqual({
            apiVersion: "karpenter.sh/v1",
            kind: "NodePool",
            metadata: { name: "apps" },
            spec: {
                template: {
                    metadata: { labels: { "paas.dev/node-pool": "apps" } },
                    spec: {
                        nodeClassRef: { group: "karpenter.azure.com", kind: "AKSNodeClass", name: "apps" },
                        requirements: [
                            { key: "node.kubernetes.io/instance-type", operator: "In", values: ["Standard_D8s_v5"] },
                            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
                        ],
                        expireAfter: "720h",
                    },
                },
                disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5m", budgets: [{ nodes: "10%" }] },
                // 30 × Standard_D8s_v5 (8 vCPU, 32 GiB)
                limits: { cpu: "240", memory: "960Gi" },
            },
        });
        expect(await schemaErrors(nodePool as { apiVersion: string; kind: string })).toBe("");
        expect(run.recorder.get("kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-nap-apps").provider).toContain("pulumi:providers:kubernetes::paas-cluster-k8s");
    });

    it("refuses what AKS would: an autoscaling system pool, a minimum on a provisioned pool, a disk below 30 GiB, an unknown VM size", () => {
        const cfg = stackConfig("azure-prod");
        const cluster = cfg["paas:cluster"] as any;
        const bad = { ...cfg, "paas:cluster": { ...cluster, azure: { ...cluster.azure, nodeAutoProvisioning: true },
            nodePools: [cluster.nodePools[0], { ...cluster.nodePools[1], diskSizeGb: 20 }, { name: "gpu", machineType: "Standard_NC24ads_A100_v4", minNodes: 0, maxNodes: 2 }] } };
        expect(problemsOf(bad)).toEqual([
            "paas:cluster.nodePools[1].minNodes must be 0 when Karpenter provisions the pool (azure.nodeAutoProvisioning): Karpenter keeps no minimum, nodes follow the pending pods",
            "paas:cluster.nodePools[2].machineType must be a machine type of the planner's table (m6i.large, m6i.xlarge, m6i.2xlarge, e2-standard-4, n2-standard-8, Standard_D4s_v5, Standard_D8s_v5) when Karpenter provisions the pool: the limits are maxNodes × its vCPUs and memory",
            "paas:cluster.nodePools[0].maxNodes must equal minNodes (3) with azure.nodeAutoProvisioning: AKS then allows only fixed-size node pools",
            "paas:cluster.nodePools[1].diskSizeGb must be at least 30 when node auto-provisioning provisions the pool (the AKSNodeClass minimum)",
        ]);
    });

    it("keeps every pool an autoscaling agent pool by default", async () => {
        const run = await runStack("azure-prod");
        expect(run.recorder.get("azure-native:containerservice:ManagedCluster", "paas-cluster-aks").inputs.nodeProvisioningProfile).toBeUndefined();
        expect(run.recorder.get("azure-native:containerservice:AgentPool", "paas-cluster-apps").inputs).toMatchObject({ enableAutoScaling: true, minCount: 3, maxCount: 30 });
        expect(run.recorder.resources.filter((r) => r.name.includes("-nap-"))).toEqual([]);
    });
});
