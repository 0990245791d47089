import { describe, expect, it } from "vitest";
import { ETCD_IMAGE, kubernetesAddressing, memberFlags, planEtcd } from "../components/src/planners/etcd";
import { selectorLabels } from "../components/src/planners/workload";
import { type ProgramRun, runStack } from "./harness/stacks";

describe("EtcdQuorum of the dev stack (3 members, Pulumi-issued TLS)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("dev");
        expect(run.outputs.etcd.value).toEqual({ endpoint: "https://etcd.apps.svc.cluster.local:2379", members: 3, quorum: 2, faultTolerance: 1 });
    });

    it("runs 2f+1 members in parallel with the planner's flags, TLS on both sides", () => {
        const s = get("kubernetes:apps/v1:StatefulSet", "etcd-statefulset");
        expect(s.spec).toMatchObject({ replicas: 3, podManagementPolicy: "Parallel", serviceName: "etcd-peer" });
        const c = s.spec.template.spec.containers[0];
        expect(c.image).toBe(ETCD_IMAGE);
        expect(c.command).toEqual(["/usr/local/bin/etcd"]);
        const addressing = kubernetesAddressing("etcd", "apps");
        expect(c.args).toEqual(memberFlags(planEtcd({ members: 3, storageSize: "20Gi" }), addressing, addressing.template));
        expect(c.args).toContain("--initial-cluster=etcd-0=https://etcd-0.etcd-peer.apps.svc.cluster.local:2380,etcd-1=https://etcd-1.etcd-peer.apps.svc.cluster.local:2380,etcd-2=https://etcd-2.etcd-peer.apps.svc.cluster.local:2380");
        expect(c.args).toContain("--name=$(POD_NAME)");
        expect(c.args).toContain("--quota-backend-bytes=8589934592");
        expect(c.args).toContain("--auto-compaction-retention=1h");
        expect(c.env).toEqual([{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
        expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("20Gi");
    });

    it("keeps members on different nodes and spreads them over zones", () => {
        const pod = get("kubernetes:apps/v1:StatefulSet", "etcd-statefulset").spec.template.spec;
        expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels("etcd") } }]);
        expect(pod.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    });

    it("lets at most f members be evicted, and publishes peers before they are ready", () => {
        expect(get("kubernetes:policy/v1:PodDisruptionBudget", "etcd-pdb").spec).toEqual({ selector: { matchLabels: selectorLabels("etcd") }, maxUnavailable: 1 });
        expect(get("kubernetes:core/v1:Service", "etcd-peer").spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect(get("kubernetes:core/v1:Service", "etcd-client").spec.ports).toEqual([{ name: "client", port: 2379, targetPort: "client" }]);
    });

    it("issues a CA, a server certificate naming every member, and a client certificate, kept as secrets", () => {
        const csr = get("tls:index/certRequest:CertRequest", "etcd-server-csr");
        expect(csr.dnsNames.slice(0, 3)).toEqual(["etcd-0.etcd-peer.apps.svc.cluster.local", "etcd-1.etcd-peer.apps.svc.cluster.local", "etcd-2.etcd-peer.apps.svc.cluster.local"]);
        expect(get("tls:index/selfSignedCert:SelfSignedCert", "etcd-ca").isCaCertificate).toBe(true);
        expect(get("tls:index/locallySignedCert:LocallySignedCert", "etcd-client-cert").allowedUses).toEqual(["digitalSignature", "keyEncipherment", "clientAuth"]);
        const secret = run.recorder.get("kubernetes:core/v1:Secret", "etcd-server-tls");
        expect(secret.inputs.type).toBe("kubernetes.io/tls");
        expect(Object.keys(secret.inputs.stringData).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
        expect(secret.secretInputs).toEqual(["stringData"]);
    });

    it("backs up with a snapshot CronJob using the client certificate", () => {
        const cj = get("kubernetes:batch/v1:CronJob", "etcd-snapshot");
        expect(cj.spec.schedule).toBe("0 */6 * * *");
        expect(cj.spec.concurrencyPolicy).toBe("Forbid");
        const c = cj.spec.jobTemplate.spec.template.spec.containers[0];
        expect(c.args).toEqual(["--endpoints=https://etcd.apps.svc.cluster.local:2379", "--cacert=/etc/etcd/tls/ca.crt", "--cert=/etc/etcd/tls/tls.crt", "--key=/etc/etcd/tls/tls.key", "snapshot", "save", "/backups/snapshot.db"]);
        expect(cj.spec.jobTemplate.spec.template.metadata.labels["paas.dev/etcd-client"]).toBe("etcd");
    });
});

describe("EtcdQuorum elsewhere", () => {
    it("sizes the PDB from the quorum: 5 members allow 2 down (aws-prod)", async () => {
        const run = await runStack("aws-prod");
        expect(run.recorder.get("kubernetes:policy/v1:PodDisruptionBudget", "etcd-pdb").inputs.spec.maxUnavailable).toBe(2);
        expect(run.recorder.get("kubernetes:apps/v1:StatefulSet", "etcd-statefulset").inputs.spec.replicas).toBe(5);
    });

    it("uses cert-manager certificates on the local stack (no TLS provider needed)", async () => {
        const run = await runStack("local");
        expect(run.recorder.ofType("tls:index/privateKey:PrivateKey")).toEqual([]);
        const server = run.recorder.get("kubernetes:cert-manager.io/v1:Certificate", "etcd-server-certificate").inputs.spec;
        expect(server.secretName).toBe("etcd-server-tls");
        expect(server.dnsNames).toContain("etcd-2.etcd-peer.apps.svc.cluster.local");
        expect(server.issuerRef).toEqual({ name: "etcd-ca", kind: "Issuer" });
    });
});
