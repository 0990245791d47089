/**
 * The etcd alerts against real metrics: a real Prometheus scrapes the metrics listeners of a real
 * 3-member quorum (started from the planner's flags, as in the quorum test) and evaluates the
 * platform's generated etcd rules, `for` durations included. One member killed: at risk fires
 * after its 2 minutes and quorum lost never does; a second killed: quorum lost fires after its
 * minute; both restarted: every alert resolves.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planEtcd } from "../core/src/planners/etcd";
import { ruleFile } from "../core/src/planners/alerts";
import { planMonitoring } from "../core/src/planners/monitoring";
import { platformMonitoringInput } from "../components/src/planners/platform";
import { EtcdCluster, freeBasePort } from "./harness/etcd";
import { type AlertState, PrometheusServer } from "./harness/prometheus";

const MEMBERS = 3;
const plan = planEtcd({ members: MEMBERS });
// The platform's own etcd group, exactly as the PrometheusRule carries it.
const group = planMonitoring(platformMonitoringInput({ cluster: { cloud: "local" }, etcd: { members: MEMBERS }, addons: { monitoring: { stack: "external" } } }))
    .ruleGroups.find((g) => g.name === "etcd-apps-etcd")!;
const forSeconds = (alert: string) => {
    const f = group.rules.find((r) => r.alert === alert)!.for!;
    return Number(f.slice(0, -1)) * (f.endsWith("m") ? 60 : 1);
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-prometheus-"));
let etcd: EtcdCluster;
let prom: PrometheusServer;
afterAll(async () => {
    await prom?.stop();
    await etcd?.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
});

const etcdAlerts = async (): Promise<AlertState[]> => (await prom.alerts()).filter((a) => a.labels.etcd === "etcd");
const stateOf = (alerts: AlertState[], name: string) => alerts.find((a) => a.labels.alertname === name)?.state;

/**
 * Polls every second until `alert` fires; fails if `never` becomes pending or firing meanwhile.
 * Returns the seconds from `since` (ms) to the first firing poll.
 */
async function untilFiring(alert: string, since: number, never: string[], deadlineS: number): Promise<number> {
    const end = since + deadlineS * 1000;
    while (Date.now() < end) {
        const alerts = await etcdAlerts();
        for (const n of never) expect([n, stateOf(alerts, n)]).toEqual([n, undefined]);
        if (stateOf(alerts, alert) === "firing") return (Date.now() - since) / 1000;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${alert} did not fire within ${deadlineS} s; active: ${JSON.stringify(await etcdAlerts())}`);
}

describe("the etcd alerts on a real Prometheus scraping a real quorum", () => {
    it("scrapes every member with no alert active", async () => {
        const base = await freeBasePort(MEMBERS + 1);
        etcd = new EtcdCluster(plan, path.join(dir, "etcd"), base);
        etcd.startAll();
        await etcd.waitHealthy([0, 1, 2]);
        fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify(ruleFile([group]), null, 2));
        // The PodMonitor's labels: job from the pods' app.kubernetes.io/name, their namespace and pod.
        const targets = [0, 1, 2].map((i) => ({ targets: [new URL(etcd.addressing.member(i).listenMetricsUrl).host], labels: { namespace: "apps", pod: `etcd-${i}` } }));
        fs.writeFileSync(path.join(dir, "prometheus.json"), JSON.stringify({
            global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
            rule_files: ["rules.json"],
            scrape_configs: [{ job_name: "etcd", static_configs: targets }],
        }));
        prom = new PrometheusServer(dir, base + 10 * MEMBERS);
        prom.start(path.join(dir, "prometheus.json"));
        await prom.waitReady();
        const end = Date.now() + 30_000;
        while (Date.now() < end && (await prom.scalar('count(up{job="etcd", namespace="apps"} == 1)')) !== MEMBERS) await new Promise((r) => setTimeout(r, 500));
        expect(await prom.scalar('count(up{job="etcd", namespace="apps"} == 1)')).toBe(MEMBERS);
        expect(await prom.scalar('sum(etcd_server_has_leader{job="etcd", namespace="apps"})')).toBe(MEMBERS);
        // Evaluated before the first scrapes, the members count as down: the quorum alerts go pending
        // (never firing, thanks to their `for`) and clear at the first evaluation that sees them up.
        let active = await etcdAlerts();
        while (Date.now() < end + 10_000 && active.length > 0) {
            expect(active.map((a) => a.state)).not.toContain("firing");
            await new Promise((r) => setTimeout(r, 500));
            active = await etcdAlerts();
        }
        expect(active).toEqual([]);
    });

    it(`fires EtcdMembersDown ${forSeconds("EtcdMembersDown")} s after one member dies, and never EtcdQuorumLost`, async () => {
        const t = Date.now();
        await etcd.kill(0);
        const s = await untilFiring("EtcdMembersDown", t, ["EtcdQuorumLost"], forSeconds("EtcdMembersDown") + 30);
        console.log(`EtcdMembersDown fired ${s.toFixed(1)} s after member 0 was killed`);
        // Not before its `for`; after it, within a few scrape and evaluation intervals.
        expect(s).toBeGreaterThanOrEqual(forSeconds("EtcdMembersDown"));
        expect(s).toBeLessThan(forSeconds("EtcdMembersDown") + 15);
        const firing = (await etcdAlerts()).find((a) => a.labels.alertname === "EtcdMembersDown")!;
        expect(firing.labels).toEqual({ alertname: "EtcdMembersDown", severity: "critical", namespace: "apps", etcd: "etcd" });
    }, 240_000);

    it(`fires EtcdQuorumLost ${forSeconds("EtcdQuorumLost")} s after a second member dies`, async () => {
        const t = Date.now();
        await etcd.kill(1);
        const s = await untilFiring("EtcdQuorumLost", t, [], forSeconds("EtcdQuorumLost") + 30);
        console.log(`EtcdQuorumLost fired ${s.toFixed(1)} s after member 1 was killed`);
        // Not before its `for`; after it, within a few scrape and evaluation intervals.
        expect(s).toBeGreaterThanOrEqual(forSeconds("EtcdQuorumLost"));
        expect(s).toBeLessThan(forSeconds("EtcdQuorumLost") + 15);
        const alerts = await etcdAlerts();
        expect(stateOf(alerts, "EtcdMembersDown")).toBe("firing");
        // The survivor has lost its leader too.
        const noLeader = alerts.filter((a) => a.labels.alertname === "EtcdNoLeader").map((a) => a.labels.pod);
        expect(noLeader).toEqual(["etcd-2"]);
    }, 180_000);

    it("resolves every alert once both members are back", async () => {
        const t = Date.now();
        etcd.start(0);
        etcd.start(1);
        await etcd.waitHealthy([0, 1, 2]);
        const end = Date.now() + 60_000;
        let active = await etcdAlerts();
        while (Date.now() < end && active.length > 0) {
            await new Promise((r) => setTimeout(r, 1000));
            active = await etcdAlerts();
        }
        console.log(`every etcd alert resolved ${((Date.now() - t) / 1000).toFixed(1)} s after the restart`);
        expect(active).toEqual([]);
        expect(await prom.scalar('count(up{job="etcd", namespace="apps"} == 1)')).toBe(MEMBERS);
    }, 120_000);

    it("leaves no process behind", async () => {
        const pids = [prom.pid, ...etcd.procs.map((p) => p?.pid)].filter((p): p is number => p !== undefined);
        await prom.stop();
        await etcd.stopAll();
        for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    });
});
