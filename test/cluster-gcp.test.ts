import { describe, expect, it } from "vitest";
import { GKE_NODE_ROLES } from "../components/src/planners/iam";
import { FAKE } from "./harness/mocks";
import { type ProgramRun, runStack } from "./harness/stacks";

describe("GKE (gcp-prod stack)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("gcp-prod");
        expect(run.recorder.ofType("gcp:container/cluster:Cluster")).toHaveLength(1);
    });

    it("makes a regional, private-node cluster with authorized networks only", () => {
        const c = get("gcp:container/cluster:Cluster", "paas-cluster-gke");
        expect(c.location).toBe("europe-west1");
        expect(c.name).toBe("paas-gcp-prod");
        expect(c.privateClusterConfig).toEqual({
            enablePrivateNodes: true,
            enablePrivateEndpoint: false,
            masterIpv4CidrBlock: "172.16.0.32/28",
            masterGlobalAccessConfig: { enabled: false },
        });
        expect(c.masterAuthorizedNetworksConfig).toEqual({
            gcpPublicCidrsAccessEnabled: false,
            cidrBlocks: [{ cidrBlock: "198.51.100.0/24", displayName: "authorized-0" }],
        });
        expect(c.releaseChannel).toEqual({ channel: "STABLE" });
        expect(c.removeDefaultNodePool).toBe(true);
    });

    it("turns on node auto-provisioning within the sums of the pools' minima and maxima, with the pools' hardened node settings", () => {
        const c = get("gcp:container/cluster:Cluster", "paas-cluster-gke");
        expect(c.clusterAutoscaling).toEqual({
            enabled: true,
            autoscalingProfile: "BALANCED",
            resourceLimits: [
                // system 3..6 × e2-standard-4 (4 vCPU, 16 GiB); apps 3..30 and batch 0..20 × n2-standard-8 (8 vCPU, 32 GiB)
                { resourceType: "cpu", minimum: 3 * 4 + 3 * 8, maximum: 6 * 4 + 30 * 8 + 20 * 8 },
                { resourceType: "memory", minimum: 3 * 16 + 3 * 32, maximum: 6 * 16 + 30 * 32 + 20 * 32 },
            ],
            autoProvisioningDefaults: {
                serviceAccount: `paas-gcp-prod-nodes@${FAKE.gcpProject}.iam.gserviceaccount.com`,
                oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                diskSize: 100,
                diskType: "pd-balanced",
                imageType: "COS_CONTAINERD",
                shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                management: { autoRepair: true, autoUpgrade: true },
                upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
            },
        });
        expect(c.clusterAutoscaling.resourceLimits.map((l: { maximum: number }) => l.maximum)).toEqual([424, 1696]);
    });

    it("leaves node auto-provisioning off by default", async () => {
        const off = await runStack("gcp-prod", (cfg) => ({ ...cfg, "paas:cluster": { ...(cfg["paas:cluster"] as object), gcp: { releaseChannel: "STABLE" } } }));
        expect(off.recorder.get("gcp:container/cluster:Cluster", "paas-cluster-gke").inputs.clusterAutoscaling).toBeUndefined();
    });

    it("turns on workload identity, Dataplane V2, shielded nodes and KMS secrets encryption; turns off ABAC and client certs", () => {
        const c = get("gcp:container/cluster:Cluster", "paas-cluster-gke");
        expect(c.workloadIdentityConfig).toEqual({ workloadPool: `${FAKE.gcpProject}.svc.id.goog` });
        expect(c.datapathProvider).toBe("ADVANCED_DATAPATH");
        expect(c.enableShieldedNodes).toBe(true);
        expect(c.enableLegacyAbac).toBe(false);
        expect(c.masterAuth).toEqual({ clientCertificateConfig: { issueClientCertificate: false } });
        expect(c.databaseEncryption).toEqual({ state: "ENCRYPTED", keyName: "paas-cluster-secrets-id" });
        expect(get("gcp:kms/cryptoKey:CryptoKey", "paas-cluster-secrets").rotationPeriod).toBe("7776000s");
        expect(get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "paas-cluster-secrets-gke").member)
            .toBe(`serviceAccount:service-${FAKE.gcpProjectNumber}@container-engine-robot.iam.gserviceaccount.com`);
    });

    it("runs nodes as a dedicated service account with only the documented roles", () => {
        const email = `paas-gcp-prod-nodes@${FAKE.gcpProject}.iam.gserviceaccount.com`;
        const grants = run.recorder.ofType("gcp:projects/iAMMember:IAMMember").filter((r) => r.name.startsWith("paas-cluster-nodes-")).map((r) => r.inputs);
        expect(grants.map((g) => g.role).sort()).toEqual([...GKE_NODE_ROLES].sort());
        expect(grants.every((g) => g.member === `serviceAccount:${email}`)).toBe(true);
        for (const pool of ["system", "apps", "batch"]) {
            const np = get("gcp:container/nodePool:NodePool", `paas-cluster-${pool}`);
            expect(np.nodeConfig.serviceAccount).toBe(email);
            expect(np.nodeConfig.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableIntegrityMonitoring: true });
            expect(np.nodeConfig.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
            expect(np.management).toEqual({ autoRepair: true, autoUpgrade: true });
            // The pool label every cloud's nodes carry, so selectors and the capacity plan read one key.
            expect(np.nodeConfig.labels["paas.dev/node-pool"]).toBe(pool);
        }
        // GKE's own default pool is created with the same hardened settings, then removed.
        expect(get("gcp:container/cluster:Cluster", "paas-cluster-gke").nodeConfig.serviceAccount).toBe(email);
        expect(get("gcp:container/cluster:Cluster", "paas-cluster-gke").nodeConfig.labels).toEqual({});
    });

    it("sizes pools with region-wide totals and puts spot only where asked", () => {
        const apps = get("gcp:container/nodePool:NodePool", "paas-cluster-apps");
        expect(apps.autoscaling).toEqual({ totalMinNodeCount: 3, totalMaxNodeCount: 30, locationPolicy: "BALANCED" });
        expect(apps.nodeConfig.spot).toBe(false);
        const batch = get("gcp:container/nodePool:NodePool", "paas-cluster-batch");
        expect(batch.nodeConfig.spot).toBe(true);
        expect(batch.autoscaling.totalMinNodeCount).toBe(0);
    });

    it("gives private nodes egress through Cloud NAT and a subnet with pod/service ranges", () => {
        const sn = get("gcp:compute/subnetwork:Subnetwork", "paas-cluster-nodes");
        expect(sn.ipCidrRange).toBe("10.10.0.0/20");
        expect(sn.privateIpGoogleAccess).toBe(true);
        expect(sn.secondaryIpRanges).toEqual([
            { rangeName: "pods", ipCidrRange: "10.20.0.0/14" },
            { rangeName: "services", ipCidrRange: "10.30.0.0/20" },
        ]);
        expect(run.recorder.ofType("gcp:compute/routerNat:RouterNat")).toHaveLength(1);
    });

    it("exports a secret kubeconfig using gke-gcloud-auth-plugin and parents resources to the component", () => {
        expect(run.outputs.kubeconfig.secret).toBe(true);
        const kc = JSON.parse(run.outputs.kubeconfig.value as string);
        expect(kc.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
        expect(kc.clusters[0].cluster.server).toBe("https://34.1.2.3");
        const cluster = run.recorder.get("paas:index:KubernetesCluster", "paas-cluster");
        const cloud = run.recorder.resources.filter((r) => r.type.startsWith("gcp:") && r.name.startsWith("paas-cluster-"));
        expect(cloud.length).toBeGreaterThan(15);
        expect(cloud.every((r) => r.parent === cluster.urn)).toBe(true);
    });

    it("makes the endpoint private-only when no network is authorized", async () => {
        const r = await runStack("gcp-prod", (c) => ({
            ...c,
            "paas:cluster": { ...(c["paas:cluster"] as object), apiAccess: { privateEndpoint: true, authorizedNetworks: [] } },
        }));
        const c = r.recorder.get("gcp:container/cluster:Cluster", "paas-cluster-gke").inputs;
        expect(c.privateClusterConfig.enablePrivateEndpoint).toBe(true);
        expect(c.masterAuthorizedNetworksConfig.cidrBlocks).toEqual([]);
        expect(JSON.parse(r.outputs.kubeconfig.value as string).clusters[0].cluster.server).toBe("https://172.16.0.34");
    });
});
