import { describe, expect, it } from "vitest";
import { parseConfig } from "../app/config";
import { EtcdQuorum } from "../core/src/etcdQuorum";
import {
    ETCD_IMAGE, ETCD_PRIORITY, type EtcdQuorumArgs, SNAPSHOT_SHELL_IMAGE, kubernetesAddressing, memberFlags, planEtcd, snapshotJobScript,
} from "../core/src/planners/etcd";
import { settle, useMocks } from "./harness/mocks";
import { selectorLabels, workloadLabels } from "../core/src/planners/workload";
import { problemsOf } from "./harness/config";
import { type ProgramRun, runStack } from "./harness/stacks";

describe("EtcdQuorum of the dev stack (3 members, Pulumi-issued TLS)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("dev");
        expect(run.outputs.etcd.value).toEqual({ endpoint: "https://etcd.apps.svc.cluster.local:2379", members: 3, quorum: 2, faultTolerance: 1 });
    });

    it("runs 2f+1 members in parallel with the planner's flags, TLS on both sides", () => {
        const s = get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset");
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

    it("schedules members under a PriorityClass of their own, above ordinary workloads", () => {
        const pc = run.recorder.get("kubernetes:scheduling.k8s.io/v1:PriorityClass", "paas-etcd-priorityclass").inputs;
        expect(pc).toEqual({
            apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass",
            metadata: { name: "apps-etcd", labels: workloadLabels("etcd", "etcd") }, value: 100000, globalDefault: false, description: "etcd members of apps/etcd",
        });
        expect(pc.value).toBe(ETCD_PRIORITY);
        expect(pc.preemptionPolicy).toBeUndefined(); // the default, PreemptLowerPriority
        expect(get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset").spec.template.spec.priorityClassName).toBe("apps-etcd");
        // The snapshot job is no member: it keeps the default priority.
        expect(get("kubernetes:batch/v1:CronJob", "paas-etcd-snapshot").spec.jobTemplate.spec.template.spec.priorityClassName).toBeUndefined();
    });

    it("bounds the node disk every etcd container may use", () => {
        const member = get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset").spec.template.spec.containers[0];
        expect(member.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "64Mi" }, limits: { cpu: "1000m", memory: "1Gi", "ephemeral-storage": "256Mi" } });
        const job = get("kubernetes:batch/v1:CronJob", "paas-etcd-snapshot").spec.jobTemplate.spec.template.spec;
        for (const c of [...job.initContainers, ...job.containers])
            expect([c.name, c.resources]).toEqual([c.name, { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" }, limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "256Mi" } }]);
    });

    it("keeps members on different nodes and spreads them over zones", () => {
        const pod = get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset").spec.template.spec;
        expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels("etcd") } }]);
        expect(pod.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    });

    it("lets at most f members be evicted, and publishes peers before they are ready", () => {
        // Unlike a stateless service's, an unready member is evicted only within the budget.
        expect(get("kubernetes:policy/v1:PodDisruptionBudget", "paas-etcd-pdb").spec).toEqual({ selector: { matchLabels: selectorLabels("etcd") }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "IfHealthyBudget" });
        expect(get("kubernetes:core/v1:Service", "paas-etcd-peer").spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect(get("kubernetes:core/v1:Service", "paas-etcd-client").spec.ports).toEqual([{ name: "client", port: 2379, targetPort: "client" }]);
    });

    it("issues a CA, a server certificate naming every member, and a client certificate, kept as secrets", () => {
        const csr = get("tls:index/certRequest:CertRequest", "paas-etcd-server-csr");
        expect(csr.dnsNames.slice(0, 3)).toEqual(["etcd-0.etcd-peer.apps.svc.cluster.local", "etcd-1.etcd-peer.apps.svc.cluster.local", "etcd-2.etcd-peer.apps.svc.cluster.local"]);
        expect(get("tls:index/selfSignedCert:SelfSignedCert", "paas-etcd-ca").isCaCertificate).toBe(true);
        expect(get("tls:index/locallySignedCert:LocallySignedCert", "paas-etcd-client-cert").allowedUses).toEqual(["digitalSignature", "keyEncipherment", "clientAuth"]);
        const secret = run.recorder.get("kubernetes:core/v1:Secret", "paas-etcd-server-tls");
        expect(secret.inputs.type).toBe("kubernetes.io/tls");
        expect(Object.keys(secret.inputs.stringData).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
        expect(secret.secretInputs).toEqual(["stringData"]);
    });

    it("backs up with a snapshot CronJob using the client certificate, keeping 7 timestamped snapshots", () => {
        const cj = get("kubernetes:batch/v1:CronJob", "paas-etcd-snapshot");
        expect(cj.metadata.name).toBe("etcd-snapshot");
        expect(cj.spec.schedule).toBe("0 */6 * * *");
        expect(cj.spec.concurrencyPolicy).toBe("Forbid");
        // A run that cannot start within 30 minutes is skipped for the next one.
        expect(cj.spec.startingDeadlineSeconds).toBe(1800);
        const pod = cj.spec.jobTemplate.spec.template.spec;
        expect(pod.initContainers).toHaveLength(1);
        const save = pod.initContainers[0];
        expect(save.image).toBe(ETCD_IMAGE);
        expect(save.command).toEqual(["/usr/local/bin/etcdctl"]);
        expect(save.args).toEqual(["--endpoints=https://etcd.apps.svc.cluster.local:2379", "--cacert=/etc/etcd/tls/ca.crt", "--cert=/etc/etcd/tls/tls.crt", "--key=/etc/etcd/tls/tls.key", "snapshot", "save", "/backups/incoming.db"]);
        expect(pod.containers).toHaveLength(1);
        const rotate = pod.containers[0];
        expect(rotate.image).toBe(SNAPSHOT_SHELL_IMAGE);
        expect(rotate.command).toEqual(["/bin/sh", "-c", snapshotJobScript(7)]);
        expect(rotate.command[2]).toContain("| tail -n +8 |");
        expect(rotate.volumeMounts).toEqual([{ name: "backups", mountPath: "/backups" }]);
        expect(rotate.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(cj.spec.jobTemplate.spec.template.metadata.labels["paas.dev/etcd-client"]).toBe("etcd");
    });

    it("keeps as many snapshots as configured", async () => {
        const r = await runStack("dev", (c) => ({ ...c, "paas:etcd": { ...(c["paas:etcd"] as object), keepSnapshots: 3 } }));
        const pod = r.recorder.get("kubernetes:batch/v1:CronJob", "paas-etcd-snapshot").inputs.spec.jobTemplate.spec.template.spec;
        expect(pod.containers[0].command[2]).toBe(snapshotJobScript(3));
        expect(pod.containers[0].command[2]).toContain("| tail -n +4 |");
    });

    it("runs the images the stack names, e.g. digest-pinned mirrors", async () => {
        const etcdImage = `registry.example.com/mirror/etcd:v3.6.16@sha256:${"a".repeat(64)}`;
        const shellImage = `registry.example.com/mirror/busybox@sha256:${"b".repeat(64)}`;
        const r = await runStack("dev", (c) => ({ ...c, "paas:etcd": { ...(c["paas:etcd"] as object), image: etcdImage, shellImage } }));
        const members = r.recorder.get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset").inputs.spec.template.spec;
        expect(members.containers.map((c: any) => c.image)).toEqual([etcdImage]);
        const job = r.recorder.get("kubernetes:batch/v1:CronJob", "paas-etcd-snapshot").inputs.spec.jobTemplate.spec.template.spec;
        expect([job.initContainers[0].image, job.containers[0].image]).toEqual([etcdImage, shellImage]);
    });
});

describe("EtcdQuorum elsewhere", () => {
    it("sizes the PDB from the quorum: 5 members allow 2 down (aws-prod)", async () => {
        const run = await runStack("aws-prod");
        expect(run.recorder.get("kubernetes:policy/v1:PodDisruptionBudget", "paas-etcd-pdb").inputs.spec.maxUnavailable).toBe(2);
        expect(run.recorder.get("kubernetes:apps/v1:StatefulSet", "paas-etcd-statefulset").inputs.spec.replicas).toBe(5);
    });

    it("uses cert-manager certificates on the local stack (no TLS provider needed)", async () => {
        const run = await runStack("local");
        expect(run.recorder.ofType("tls:index/privateKey:PrivateKey")).toEqual([]);
        const server = run.recorder.get("kubernetes:cert-manager.io/v1:Certificate", "paas-etcd-server-certificate").inputs.spec;
        expect(server.secretName).toBe("etcd-server-tls");
        expect(server.dnsNames).toContain("etcd-2.etcd-peer.apps.svc.cluster.local");
        expect(server.issuerRef).toEqual({ name: "etcd-ca", kind: "Issuer" });
    });
});

describe("EtcdQuorum arguments", () => {
    const args = (over: Record<string, unknown>) => ({ namespace: "apps", ...over }) as EtcdQuorumArgs;

    it("accepts only the two certificate issuers: anything else used to mean cert-manager", async () => {
        const recorder = await useMocks("test");
        expect(() => new EtcdQuorum("etcd", args({ certificates: "vault" })))
            .toThrow('invalid EtcdQuorum "etcd" arguments (1 problem):\n  - args.certificates must be one of "pulumi", "cert-manager", got "vault"');
        new EtcdQuorum("by-pulumi", args({ certificates: "pulumi" }));
        new EtcdQuorum("by-cert-manager", args({ certificates: "cert-manager" }));
        await settle();
        const names = (type: string) => recorder.ofType(type).map((r) => r.name).sort();
        expect(names("paas:index:EtcdQuorum")).toEqual(["by-cert-manager", "by-pulumi"]);
        expect(names("tls:index/privateKey:PrivateKey")).toEqual(["by-pulumi-ca-key", "by-pulumi-client-key", "by-pulumi-server-key"]);
        expect(names("kubernetes:cert-manager.io/v1:Certificate")).toEqual([
            "by-cert-manager-ca-certificate", "by-cert-manager-client-certificate", "by-cert-manager-server-certificate",
        ]);
    });

    it("refuses unpinned or malformed images, under the argument and the stack key", async () => {
        await useMocks("test");
        expect(() => new EtcdQuorum("etcd", args({ image: "quay.io/coreos/etcd", shellImage: "busybox:latest" })))
            .toThrow([
                'invalid EtcdQuorum "etcd" arguments (2 problems):',
                '  - args.image must be pinned: add a tag other than latest, or better a digest (@sha256:…), got "quay.io/coreos/etcd"',
                '  - args.shellImage must not use the tag "latest": pin a version tag or a digest (@sha256:…), got "busybox:latest"',
            ].join("\n"));
        expect(problemsOf({ "paas:etcd": { members: 3, image: "quay.io/coreos/etcd:v3.6.16@sha256:abc" } }))
            .toEqual(["paas:etcd.image has a malformed digest (expected @sha256:<64 hex>)"]);
    });

    it("reports the same rule for the stack key", () => {
        const raw = { "paas:etcd": JSON.stringify({ members: 3, certificates: "Cert-Manager" }) };
        expect(() => parseConfig(raw, "test")).toThrow('paas:etcd.certificates must be one of "pulumi", "cert-manager", got "Cert-Manager"');
    });

    it("checks the number of snapshots kept and the length of the name", async () => {
        await useMocks("test");
        expect(() => new EtcdQuorum("etcd", args({ keepSnapshots: 0, name: "a-very-long-etcd-cluster-name-for-the-orders-team" })))
            .toThrow([
                'invalid EtcdQuorum "etcd" arguments (2 problems):',
                '  - args.name must be a DNS-1035 label of at most 43 characters (the snapshot CronJob adds "-snapshot"), got "a-very-long-etcd-cluster-name-for-the-orders-team"',
                "  - args.keepSnapshots must be an integer from 1 to 1000, got 0",
            ].join("\n"));
    });
});
