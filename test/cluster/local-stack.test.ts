/**
 * The local stack deployed for real: `pulumi up` into the project's control plane (kube-apiserver,
 * controller manager, scheduler, kwok nodes), with the provider's await, the server's validation
 * and Pod Security admission; then no drift, then destroy leaves nothing behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENTS, DEFAULT_NODES } from "../../scripts/cluster/cluster";
import { isAlive as alive } from "../../scripts/cluster/processes";
import { localStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { ROOT } from "../harness/stacks";

const prodPolicy = path.join(ROOT, "policies/config/prod.json");
const NS = "apps";

let cluster: TestCluster;
const pids: number[] = [];

/** Each node's Ready condition when the control plane reported itself up. */
let readyAtStart: Record<string, string> = {};

beforeAll(async () => {
    cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470));
    pids.push(...Object.values(cluster.info.pids));
    readyAtStart = readyTransitions();
});
afterAll(async () => {
    await cluster?.down();
});

describe("the local stack in a real control plane", () => {
    let p: ScratchProject;
    let upOut = "";
    beforeAll(() => {
        p = scratchProject(localStackYaml((c) => (c["paas:cluster"].local = { kubeconfigFile: cluster.info.kubeconfig })), { timeoutMs: 540_000 });
        p.run(["stack", "init", "local"]);
    });
    afterAll(() => p?.remove());

    it("the control plane runs every component, with three Ready nodes in three zones", () => {
        expect(Object.keys(cluster.info.pids).sort()).toEqual([...COMPONENTS].sort());
        const nodes = cluster.json(["get", "nodes"]).items;
        expect(nodes.map((n: any) => n.metadata.labels["topology.kubernetes.io/zone"]).sort()).toEqual(["zone-a", "zone-b", "zone-c"]);
        for (const n of nodes) expect(n.status.conditions.find((c: any) => c.type === "Ready").status).toBe("True");
        const version = cluster.json(["version"]).serverVersion.gitVersion;
        expect(version).toMatch(/^v1\.35\.\d+$/);
    });

    it("`pulumi up` with the pack at prod levels: every object accepted, no Pod Security warning", () => {
        const r = p.run(["up", "--yes", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", prodPolicy]);
        upOut = r.out;
        expect(upOut).toMatch(/\+ \d+ created/);
        expect(upOut).not.toMatch(/mandatory|advisory/);
        // Pod Security checked every pod the controllers created (enforce), and found nothing to
        // flag in any pod or pod template (audit; the namespaces warn at the same level).
        // (Server-side apply creates with PATCH; the controllers create pods with POST. The preview's
        // server-side dry runs, refused before the namespace exists, changed nothing and are left out.)
        const writes = cluster.auditEvents().filter((e) => e.objectRef?.namespace === NS && ["create", "patch"].includes(e.verb) && e.stage === "ResponseComplete" && !e.requestURI.includes("dryRun="));
        const pods = writes.filter((e) => e.objectRef.resource === "pods" && !e.objectRef.subresource && e.verb === "create");
        expect(pods.length).toBeGreaterThanOrEqual(8); // a first pod per Deployment, three etcd members
        for (const e of pods) expect([e.objectRef.name, e.annotations?.["pod-security.kubernetes.io/enforce-policy"]]).toEqual([e.objectRef.name, "restricted:latest"]);
        expect(writes.filter((e) => e.annotations?.["pod-security.kubernetes.io/audit-violations"]).map((e) => e.annotations)).toEqual([]);
        expect(writes.filter((e) => e.responseStatus?.code >= 400).map((e) => [e.objectRef.resource, e.objectRef.name, e.responseStatus])).toEqual([]);
        expect(new Set(writes.filter((e) => e.objectRef.resource === "deployments" && !e.objectRef.subresource).map((e) => e.objectRef.name))).toEqual(
            new Set(["checkout-a", "checkout-b", "checkout-c", "mailer", "orders"]));
    });

    it("every Deployment is Available, and the HPA raises it to its minimum", async () => {
        const deployments = cluster.json(["get", "deployments", "-n", NS, "--show-managed-fields"]).items;
        expect(deployments.map((d: any) => d.metadata.name).sort()).toEqual(["checkout-a", "checkout-b", "checkout-c", "mailer", "orders"]);
        // What `pulumi up` waited for: each Deployment Available (it has no replicas field: the HPA owns it).
        for (const d of deployments) {
            expect([d.metadata.name, d.spec.template.spec.containers.length > 0, d.status.conditions.find((c: any) => c.type === "Available")?.status]).toEqual([d.metadata.name, true, "True"]);
            expect(d.metadata.managedFields.filter((f: any) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:replicas"') && f.manager !== "kube-controller-manager")).toEqual([]);
        }
        // Then each HPA's first sync sets at least minReplicas (no metrics are needed for that).
        const mins = Object.fromEntries(cluster.json(["get", "hpa", "-n", NS]).items.map((h: any) => [h.spec.scaleTargetRef.name, h.spec.minReplicas]));
        const deadline = Date.now() + 90_000;
        let available: Record<string, number> = {};
        do {
            available = Object.fromEntries(cluster.json(["get", "deployments", "-n", NS]).items.map((d: any) => [d.metadata.name, d.status.availableReplicas ?? 0]));
            if (Object.entries(mins).every(([n, m]) => available[n] === m)) break;
            await new Promise((r) => setTimeout(r, 1000));
        } while (Date.now() < deadline);
        expect(available).toEqual(mins);
    });

    it("the etcd StatefulSet is Ready with one member per node and per zone, and its claims are Bound", () => {
        const outputs = JSON.parse(p.run(["stack", "output", "--stack", "local", "--json"]).out);
        const sts = cluster.json(["get", "statefulset", "etcd", "-n", NS]);
        expect(sts.status.readyReplicas).toBe(outputs.etcd.members);
        const pods = cluster.json(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=etcd"]).items;
        const zoneOf = Object.fromEntries(DEFAULT_NODES.map((n) => [n.name, n.zone]));
        const nodes = pods.map((x: any) => x.spec.nodeName);
        expect(new Set(nodes).size).toBe(outputs.etcd.members);
        expect(new Set(nodes.map((n: string) => zoneOf[n])).size).toBe(outputs.etcd.members);
        const claims = cluster.json(["get", "pvc", "-n", NS]).items;
        expect(claims.length).toBe(outputs.etcd.members + 1); // one per member, one for snapshots
        for (const c of claims) expect([c.metadata.name, c.status.phase]).toEqual([c.metadata.name, "Bound"]);
    });

    it("every PDB allows the disruptions the plan says", () => {
        const outputs = JSON.parse(p.run(["stack", "output", "--stack", "local", "--json"]).out);
        const pdbs = Object.fromEntries(cluster.json(["get", "pdb", "-n", NS]).items.map((b: any) => [b.metadata.name, b.status.disruptionsAllowed]));
        // Stateless services: one pod at a time; etcd: its fault tolerance f (quorum stays).
        expect(pdbs).toEqual({ "checkout-a": 1, "checkout-b": 1, "checkout-c": 1, mailer: 1, orders: 1, etcd: outputs.etcd.faultTolerance });
        expect(outputs.etcd.faultTolerance).toBe(1);
    });

    it("has no drift: preview and refresh both expect no changes", () => {
        expect(p.run(["preview", "--stack", "local", "--expect-no-changes"]).out).toMatch(/\d+ unchanged/);
        expect(p.run(["refresh", "--yes", "--stack", "local", "--expect-no-changes"]).out).toMatch(/\d+ unchanged/);
    });

    it("`pulumi destroy` leaves no object of the stack on the server", async () => {
        p.run(["destroy", "--yes", "--stack", "local"]);
        const left = cluster.kubectl(["get", "namespaces", "-o", "name"]).split("\n").filter((n) => n === `namespace/${NS}` || n === "namespace/gateway");
        expect(left).toEqual([]);
        const managed = cluster.kubectl(["get", "clusterroles,clusterrolebindings,gatewayclasses,storageclasses,priorityclasses", "-l", "app.kubernetes.io/managed-by=paas", "-o", "name"]).trim();
        expect(managed).toBe("");
        // Released simulated volumes are removed too.
        const deadline = Date.now() + 30_000;
        let pvs: string[] = [];
        for (;;) {
            pvs = cluster.json(["get", "pv"]).items.map((v: any) => v.metadata.name);
            if (pvs.length === 0 || Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 500));
        }
        expect(pvs).toEqual([]);
        const state = JSON.parse(p.run(["stack", "export", "--stack", "local"]).out);
        expect((state.deployment.resources ?? []).map((r: any) => r.type)).toEqual([]);
    });
});

describe("an insecure variant is refused twice", () => {
    // A stack transform gives the orders container privilege escalation (and a short await).
    const index = `import * as pulumi from "@pulumi/pulumi";
import { main } from "./app/main";
pulumi.runtime.registerResourceTransform((a) => {
    if (a.type !== "kubernetes:apps/v1:Deployment" || a.props.metadata?.name !== "orders") return undefined;
    const props = JSON.parse(JSON.stringify(a.props));
    props.metadata.annotations = { ...props.metadata.annotations, "pulumi.com/timeoutSeconds": "30" };
    props.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    return { props, opts: a.opts };
});
export = main();
`;
    let p: ScratchProject;
    beforeAll(() => {
        p = scratchProject(localStackYaml((c) => (c["paas:cluster"].local = { kubeconfigFile: cluster.info.kubeconfig })), { index, timeoutMs: 540_000 });
        p.run(["stack", "init", "local"]);
    });
    afterAll(() => p?.remove());

    it("by the policy pack at preview", () => {
        const r = p.run(["preview", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", prodPolicy], true);
        expect(r.code).not.toBe(0);
        expect(r.out).toContain("k8s-no-privilege-escalation");
        expect(r.out).toContain('Deployment "apps/orders": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation must be false; set it explicitly');
    });

    it("and, with the pack off, by Pod Security admission on the server", () => {
        const r = p.run(["up", "--yes", "--stack", "local"], true);
        expect(r.code).not.toBe(0);
        expect(r.out).toContain("Minimum number of live Pods was not attained");
        // The Deployment itself is admitted, with the violation in its audit annotation (and the
        // same text as a warning to the client); its pods are refused.
        const violation = 'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)';
        const applied = cluster.auditEvents().filter((e) => e.objectRef?.resource === "deployments" && !e.objectRef.subresource && e.objectRef?.name === "orders" && e.verb === "patch" && e.stage === "ResponseComplete");
        const flagged = applied.map((e) => e.annotations?.["pod-security.kubernetes.io/audit-violations"]).filter(Boolean);
        // (The secure stack's orders Deployment, applied and destroyed before, carried none.)
        expect(applied.length).toBeGreaterThan(flagged.length);
        expect(flagged.length).toBeGreaterThan(0);
        expect(new Set(flagged)).toEqual(new Set([`would violate PodSecurity "restricted:latest": ${violation}`]));
        // The orders ReplicaSets' refusals. (Other controllers' FailedCreate events are not about
        // this: the StatefulSet controller, for one, may race its own cache on a claim it just made.)
        const events = cluster.json(["get", "events", "-n", NS, "--field-selector", "reason=FailedCreate"]).items
            .filter((e: any) => e.involvedObject?.kind === "ReplicaSet" && /^orders-[a-z0-9]+$/.test(e.involvedObject.name))
            .map((e: any) => e.message);
        const refused = new RegExp(`^(\\(combined from similar events\\): )?Error creating: pods "orders-[a-z0-9-]+" is forbidden: violates PodSecurity "restricted:latest": ${violation.replace(/[()]/g, "\\$&")}$`);
        expect(events.length).toBeGreaterThan(0);
        expect(events.filter((m: string) => !refused.test(m))).toEqual([]);
        p.run(["destroy", "--yes", "--stack", "local"]);
    });
});

describe("cluster:down", () => {
    it("after minutes of work, the nodes never went NotReady (kwok renews their leases)", () => {
        // Not one Ready transition since the control plane came up, minutes ago: a flap moves it.
        const now = readyTransitions();
        expect(now).toEqual(readyAtStart);
        const since = Math.max(...Object.values(readyAtStart).map(Date.parse));
        expect(Date.now() - since).toBeGreaterThan(120_000);
        for (const n of cluster.json(["get", "nodes"]).items) {
            expect([n.metadata.name, n.status.conditions.find((c: any) => c.type === "Ready").status]).toEqual([n.metadata.name, "True"]);
        }
        // Nor did the node lifecycle controller see one NotReady after that. At bootstrap it may:
        // the nodes are registered before kwok reports their status (as kubelets register NotReady
        // nodes), so its first pass can log "all Nodes are not-Ready". Its passes run every 5 s,
        // so lines from one period after the last node turned Ready on are the steady state.
        const log = fs.readFileSync(path.join(cluster.options.dir, "logs", "kube-controller-manager.log"), "utf8");
        const steady = log.split("\n").filter((l) => (klogTime(l) ?? Infinity) > since + 5_000);
        expect(steady.filter((l) => /not-Ready|NotReady|Node is unresponsive/.test(l))).toEqual([]);
    });

    it("stops exactly the processes the control plane started", async () => {
        expect(pids.length).toBe(COMPONENTS.length);
        expect(pids.every(alive)).toBe(true);
        const stopped = await cluster.down();
        expect(stopped.sort()).toEqual([...COMPONENTS].sort());
        expect(pids.filter(alive)).toEqual([]);
        expect(fs.existsSync(cluster.options.dir)).toBe(false);
    });
});

function readyTransitions(): Record<string, string> {
    return Object.fromEntries(cluster.json(["get", "nodes"]).items.map((n: any) =>
        [n.metadata.name, n.status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime]));
}

/** The time of a klog line (`I1202 22:05:09.747140 …`, local time, no year); undefined for other lines. */
function klogTime(line: string): number | undefined {
    const m = /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})/.exec(line);
    if (!m) return undefined;
    const [mo, d, h, mi, s, ms] = m.slice(1).map(Number);
    const year = new Date().getFullYear();
    return new Date(year, mo - 1, d, h, mi, s, ms).getTime();
}
