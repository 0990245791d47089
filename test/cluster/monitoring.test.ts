/**
 * The alerting rules that read kube-state-metrics, against the real thing: the program deploys two
 * services and a weighted route onto the real control plane, the real controllers set the HPA,
 * endpoint, budget and pod status, kube-state-metrics exports them, and a real Prometheus
 * evaluates the platform's generated rules. Each alert must be active (pending: their `for`
 * durations are promtool's to prove) for exactly the objects that break a promise.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointSlicePattern, ruleFile } from "../../core/src/planners/alerts";
import { planMonitoring } from "../../core/src/planners/monitoring";
import { type PlatformArgs, platformMonitoringInput } from "../../components/src/planners/platform";
import { restrictedContainerSecurity, restrictedPodSecurity } from "../../core/src/planners/workload";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { clusterStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { freeBasePort } from "../harness/etcd";
import { KubeStateMetrics } from "../harness/kube-state-metrics";
import { type AlertState, PrometheusServer } from "../harness/prometheus";

const NS = "apps";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// web runs at its maximum from the start (2 of 2); idle is scaled to 0 below, so its route share has no endpoint.
const services = [
    { name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080, autoscaling: { minReplicas: 2, maxReplicas: 2 } },
    { name: "idle", image: "ghcr.io/acme/idle:1.0.0", port: 8080, autoscaling: { minReplicas: 2, maxReplicas: 4 } },
];
const routes = [{ name: "shop", backends: [{ service: "web", capacity: 3 }, { service: "idle", capacity: 1 }] }];
const args: PlatformArgs = { cluster: { cloud: "local" }, services, routes, addons: { monitoring: { stack: "external" } } };
const groups = planMonitoring(platformMonitoringInput(args)).ruleGroups;

describe("the kube-state-metrics alerts on the real control plane", () => {
    let cluster: TestCluster;
    let p: ScratchProject;
    let ksm: KubeStateMetrics;
    let prom: PrometheusServer;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-monitoring-"));

    beforeAll(async () => {
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 90);
        p = scratchProject(clusterStackYaml(cluster.info.kubeconfig, { "paas:services": services, "paas:routes": routes }), { timeoutMs: 300_000 });
        p.run(["stack", "init", "local"]);
        p.run(["up", "--yes", "--stack", "local"]);
        // The HPA leaves a Deployment scaled to 0 alone (scaling disabled): idle's endpoints stay empty.
        cluster.kubectl(["scale", "deployment", "idle", "-n", NS, "--replicas=0"]);
        // A pod no node can take: it stays Pending.
        cluster.kubectl(["apply", "-f", "-"], JSON.stringify({
            apiVersion: "v1", kind: "Pod",
            metadata: { name: "stuck", namespace: NS },
            spec: {
                securityContext: restrictedPodSecurity(65532),
                nodeSelector: { "paas.dev/node-pool": "none-such" },
                containers: [{ name: "app", image: "ghcr.io/acme/web:1.0.0", securityContext: restrictedContainerSecurity(65532), resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "10m", memory: "16Mi" } } }],
            },
        }));

        const base = await freeBasePort(1);
        ksm = new KubeStateMetrics(dir, base);
        ksm.start(cluster.info.kubeconfig);
        await ksm.waitFor("kube_horizontalpodautoscaler_status_current_replicas");
        fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify(ruleFile(groups), null, 2));
        fs.writeFileSync(path.join(dir, "prometheus.json"), JSON.stringify({
            global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
            rule_files: ["rules.json"],
            // kube-state-metrics' namespace label is the object's, as the operator's honorLabels keeps it.
            scrape_configs: [{ job_name: "kube-state-metrics", honor_labels: true, static_configs: [{ targets: [ksm.address] }] }],
        }));
        prom = new PrometheusServer(dir, base + 2);
        prom.start(path.join(dir, "prometheus.json"));
        await prom.waitReady();
    });

    afterAll(async () => {
        await prom?.stop();
        await ksm?.stop();
        p?.remove();
        await cluster?.down();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Active alerts by name, each as the label that names its object. */
    const active = (alerts: AlertState[]) => {
        const key = (a: AlertState) => a.labels.horizontalpodautoscaler ?? a.labels.service ?? a.labels.poddisruptionbudget ?? a.labels.pod ?? "";
        const out: Record<string, string[]> = {};
        for (const a of alerts) (out[a.labels.alertname] ??= []).push(key(a));
        for (const k of Object.keys(out)) out[k].sort();
        return out;
    };
    const expected = {
        HpaAtMaxReplicas: ["web"],
        // No metrics server in this cluster: neither HPA can compute a scale.
        HpaScalingInactive: ["idle", "web"],
        RouteBackendWithoutEndpoints: ["idle"],
        // idle's budget (maxUnavailable 1 of 0 pods) allows nothing; web's (1 of 2) allows one.
        PdbNoDisruptionsAllowed: ["idle"],
        PodsPending: ["stuck"],
    };

    it("makes exactly the broken promises' alerts active, and none of them fires before its `for`", async () => {
        const end = Date.now() + 180_000;
        let seen = active(await prom.alerts());
        while (Date.now() < end && JSON.stringify(seen) !== JSON.stringify(expected)) {
            await sleep(1000);
            seen = active(await prom.alerts());
        }
        expect(seen).toEqual(expected);
        expect((await prom.alerts()).map((a) => a.state)).not.toContain("firing");
        // What the controllers said, as kube-state-metrics exported it.
        expect(await prom.scalar(`kube_horizontalpodautoscaler_status_current_replicas{namespace="${NS}", horizontalpodautoscaler="web"}`)).toBe(2);
        expect(await prom.scalar(`sum(kube_endpointslice_endpoints{namespace="${NS}", endpointslice=~"${endpointSlicePattern("web")}", ready="true"})`)).toBe(2);
        expect(await prom.scalar(`kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace="${NS}", poddisruptionbudget="web"}`)).toBe(1);
    });
});
