/**
 * The quorum and the services' budgets, enforced by the real eviction API (the API server checks
 * each PodDisruptionBudget the disruption controller keeps up to date), and `kubectl drain`.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planEtcd } from "../../core/src/planners/etcd";
import { ZONES } from "../../scripts/cluster/cluster";
import { clusterStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { ROOT } from "../harness/stacks";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Five nodes over the three zones: room for a 5-member quorum (one member per node).
const NODES = Array.from({ length: 5 }, (_, i) => ({ name: `quorum-node-${i}`, zone: ZONES[i % 3], cpu: "16", memory: "64Gi", pods: 110 }));

describe("the quorum and the budgets, by the eviction API", () => {
    let cluster: TestCluster;
    const projects: ScratchProject[] = [];
    /** A stack of its own: an etcd quorum of `members` and one service, in namespace `ns`. */
    const deploy = (ns: string, members: number) => {
        const p = scratchProject(clusterStackYaml(cluster.info.kubeconfig, {
            "paas:namespace": ns,
            "paas:gateway": { namespace: `${ns}-gateway` },
            "paas:services": [{ name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080, autoscaling: { minReplicas: 3, maxReplicas: 6 } }],
            "paas:etcd": { members, certificates: "cert-manager" },
        }), { timeoutMs: 400_000 });
        projects.push(p);
        p.run(["stack", "init", "local"]);
        p.run(["up", "--yes", "--stack", "local"]);
        return p;
    };
    const evict = (ns: string, pod: string) =>
        cluster.request("POST", `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: ns } });
    const pods = (ns: string, selector: string) => cluster.json(["get", "pods", "-n", ns, "-l", selector]).items.filter((x: any) => !x.metadata.deletionTimestamp);
    const waitFor = async (what: string, fn: () => boolean, seconds = 90, state?: () => string) => {
        const end = Date.now() + seconds * 1000;
        while (!fn()) {
            if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}${state ? `; last seen:\n${state()}` : ""}`);
            await sleep(500);
        }
    };
    /** What the namespace looks like, for a timeout's message: pods, budgets and the latest events. */
    const snapshot = (ns: string) => {
        const podLines = cluster.json(["get", "pods", "-n", ns]).items.map((x: any) =>
            `  pod ${x.metadata.name} ${x.status.phase} node=${x.spec.nodeName ?? "-"} ready=${x.status.conditions?.find((c: any) => c.type === "Ready")?.status ?? "-"}${x.metadata.deletionTimestamp ? ` deleting(${x.metadata.deletionTimestamp})` : ""}`);
        const pdbLines = cluster.json(["get", "pdb", "-n", ns]).items.map((b: any) => `  pdb ${b.metadata.name} healthy=${b.status.currentHealthy}/${b.status.desiredHealthy} expected=${b.status.expectedPods} gen=${b.status.observedGeneration}/${b.metadata.generation}`);
        const events = cluster.json(["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]).items.slice(-12)
            .map((e: any) => `  event ${e.lastTimestamp ?? e.eventTime} ${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`);
        return [...podLines, ...pdbLines, ...events].join("\n");
    };
    // Evicted members go away within their grace period (kwok deletes a terminating pod at a random
    // moment before it ends: 60 s for etcd), then the StatefulSet makes the same member again.
    const settled = (ns: string, members: number) => waitFor(`${ns}: etcd ${members}/${members} and web 3/3 ready, budgets computed`, () => {
        const sts = cluster.json(["get", "statefulset", "etcd", "-n", ns]);
        const web = cluster.json(["get", "deployment", "web", "-n", ns]);
        const pdb = cluster.json(["get", "pdb", "etcd", "-n", ns]);
        return sts.status.readyReplicas === members && web.status.readyReplicas === 3 && pdb.status.currentHealthy === members && pdb.status.observedGeneration === pdb.metadata.generation;
    }, 300, () => snapshot(ns));

    beforeAll(async () => {
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 30, { nodes: NODES });
    });
    afterAll(async () => {
        for (const p of projects) p.remove();
        await cluster?.down();
    });

    for (const members of [3, 5]) {
        it(`${members} members: the first f evictions succeed, the next is refused with 429`, async () => {
            const ns = `quorum${members}`;
            deploy(ns, members);
            await settled(ns, members);
            const f = planEtcd({ members }).faultTolerance;
            expect(f).toBe((members - 1) / 2);
            const members0 = pods(ns, "app.kubernetes.io/name=etcd").map((x: any) => x.metadata.name).sort();
            expect(members0.length).toBe(members);
            // One after another, faster than kwok makes a replacement Ready (1–6 s).
            const codes: number[] = [];
            let refusal: any;
            for (const pod of members0.slice(0, f + 1)) {
                const r = await evict(ns, pod);
                codes.push(r.status);
                if (r.status === 429) refusal = r.body;
            }
            expect(codes).toEqual([...Array(f).fill(201), 429]);
            expect(refusal.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
            expect(refusal.details.causes[0].message).toBe(`The disruption budget etcd needs ${members - f} healthy pods and has ${members - f} currently`);
            await settled(ns, members);
        });
    }

    it("a service's budget allows exactly one eviction at a time", async () => {
        const ns = "quorum3";
        const web = pods(ns, "app.kubernetes.io/name=web").map((x: any) => x.metadata.name);
        expect(web.length).toBe(3);
        const first = await evict(ns, web[0]);
        const second = await evict(ns, web[1]);
        expect([first.status, second.status]).toEqual([201, 429]);
        expect(second.body.details.causes[0].message).toBe("The disruption budget web needs 2 healthy pods and has 2 currently");
        await settled(ns, 3);
    });

    it("`kubectl drain` of a node with an etcd member and service pods succeeds without breaking any budget", async () => {
        const ns = "quorum3";
        const all = cluster.json(["get", "pods", "-n", ns]).items;
        const byNode = new Map<string, string[]>();
        for (const x of all) byNode.set(x.spec.nodeName, [...(byNode.get(x.spec.nodeName) ?? []), x.metadata.labels["app.kubernetes.io/name"]]);
        const node = [...byNode].find(([, apps]) => apps.includes("etcd") && apps.includes("web"))?.[0];
        expect(node).toBeDefined();
        // Watch every budget while the node drains: healthy never below desired.
        let broken: string[] = [];
        let draining = true;
        let samples = 0;
        const watcher = (async () => {
            while (draining) {
                samples++;
                for (const b of cluster.json(["get", "pdb", "-A"]).items)
                    if (b.status.currentHealthy < b.status.desiredHealthy) broken.push(`${b.metadata.namespace}/${b.metadata.name} ${b.status.currentHealthy}<${b.status.desiredHealthy}`);
                await sleep(200);
            }
        })();
        try {
            // Asynchronously, so the watcher samples the budgets while the drain evicts.
            await new Promise<void>((resolve, reject) => execFile(path.join(ROOT, ".tools/bin/kubectl"),
                [`--kubeconfig=${cluster.info.kubeconfig}`, "drain", node!, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=240s"],
                (err, _out, stderr) => (err ? reject(new Error(`kubectl drain failed: ${stderr}`)) : resolve())));
        } finally {
            draining = false;
            await watcher;
        }
        expect(samples).toBeGreaterThan(3);
        expect(broken).toEqual([]);
        const left = cluster.json(["get", "pods", "-A", "--field-selector", `spec.nodeName=${node}`]).items.filter((x: any) => !x.metadata.deletionTimestamp);
        expect(left.map((x: any) => x.metadata.name)).toEqual([]);
        await settled(ns, 3);
        cluster.kubectl(["uncordon", node!]);
        broken = [];
    });
});
