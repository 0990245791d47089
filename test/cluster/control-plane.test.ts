/** cluster:up / cluster:down as a user meets them: idempotent start, crash reporting, clean stop. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterDown, clusterStatus, clusterUp, COMPONENTS, DEFAULT_NODES } from "../../scripts/cluster/cluster";
import { isAlive as alive } from "../../scripts/cluster/processes";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { ROOT } from "../harness/stacks";


describe("the control plane's lifecycle", () => {
    let cluster: TestCluster;
    beforeAll(async () => {
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 10);
    });
    afterAll(async () => {
        await cluster?.down();
    });

    it("serves 1.35 on 127.0.0.1 only, with the CRDs, the default StorageClass and three Ready nodes in three zones", () => {
        expect(cluster.info.server).toBe(`https://127.0.0.1:${cluster.options.portBase + 2}`);
        expect(cluster.json(["version"]).serverVersion.gitVersion).toBe("v1.35.8");
        const crds = cluster.json(["get", "crd"]).items.map((c: any) => c.metadata.name);
        for (const c of ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "gatewayclasses.gateway.networking.k8s.io", "certificates.cert-manager.io", "issuers.cert-manager.io"])
            expect(crds).toContain(c);
        const sc = cluster.json(["get", "storageclass"]).items;
        expect(sc.map((s: any) => [s.metadata.name, s.metadata.annotations["storageclass.kubernetes.io/is-default-class"], s.reclaimPolicy])).toEqual([["paas-local", "true", "Retain"]]);
        const nodes = cluster.json(["get", "nodes"]).items;
        expect(nodes.map((n: any) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"], n.status.allocatable.cpu])).toEqual(
            DEFAULT_NODES.map((n) => [n.name, n.zone, n.cpu]));
        // Every listening socket of every component (IPv4 and IPv6) is on loopback.
        const inodes = new Set(Object.values(cluster.info.pids).flatMap((pid) => fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
            try {
                return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
            } catch {
                return undefined;
            }
        }).filter((x): x is string => x !== undefined)));
        const listening = ["tcp", "tcp6"].flatMap((f) => fs.readFileSync(`/proc/net/${f}`, "utf8").split("\n").slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)))
            .filter((f) => f[3] === "0A" && inodes.has(f[9])).map((f) => f[1]);
        const ports = new Set(listening.map((a) => parseInt(a.split(":")[1], 16)));
        for (let i = 0; i < 6; i++) expect([cluster.options.portBase + i, ports.has(cluster.options.portBase + i)]).toEqual([cluster.options.portBase + i, true]);
        for (const a of listening) expect([a, a.split(":")[0]]).toEqual([a, "0100007F"]);
    });

    it("kwok holds a renewing lease for every node (what keeps them Ready; local-stack.test.ts checks minutes later)", async () => {
        const renewed = () => Object.fromEntries(cluster.json(["get", "lease", "-n", "kube-node-lease"]).items.map((l: any) => [l.metadata.name, l.spec.renewTime]));
        const first = renewed();
        expect(Object.keys(first).sort()).toEqual(DEFAULT_NODES.map((n) => n.name));
        await new Promise((r) => setTimeout(r, 12_000));
        const later = renewed();
        for (const n of DEFAULT_NODES) expect([n.name, later[n.name] !== first[n.name]]).toEqual([n.name, true]);
    });

    it("refuses to start a second control plane on ports that are taken, and to change a running one's options", async () => {
        const dir = fs.mkdtempSync(path.join(path.dirname(cluster.options.dir), "paas-cluster-"));
        try {
            await expect(clusterUp({ ...cluster.options, dir })).rejects.toThrow(/^ports \d+, \d+, \d+, \d+, \d+, \d+ on 127\.0\.0\.1 are in use \(another control plane\?\): choose other ports with --port-base N/);
            expect(fs.existsSync(path.join(dir, "pids")) ? fs.readdirSync(path.join(dir, "pids")) : []).toEqual([]);
        } finally {
            await clusterDown({ dir }, true);
        }
        await expect(clusterUp({ ...cluster.options, featureGates: "HPAConfigurableTolerance=false" })).rejects.toThrow(/runs with .*not .*stop it first \(npm run cluster:down\)/);
    });

    it("starting again is harmless: the same processes keep running", async () => {
        const again = await clusterUp(cluster.options);
        expect(again.pids).toEqual(cluster.info.pids);
        expect(again.crashed).toEqual([]);
    });

    it("a crashed component is reported with the end of its log and started again", async () => {
        const pid = cluster.info.pids["kube-scheduler"];
        process.kill(pid, "SIGKILL");
        const deadline = Date.now() + 10_000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(clusterStatus(cluster.options)["kube-scheduler"]).toBe(`not running (was PID ${pid}; see logs/kube-scheduler.log)`);
        const lines: string[] = [];
        const again = await clusterUp({ ...cluster.options, log: (l) => lines.push(l) });
        expect(again.crashed.length).toBe(1);
        expect(again.crashed[0]).toMatch(new RegExp(`^kube-scheduler \\(PID ${pid}\\) was not running any more; the end of its log:\\n {4}\\S`));
        expect(again.pids["kube-scheduler"]).not.toBe(pid);
        expect(alive(again.pids["kube-scheduler"])).toBe(true);
        expect(lines.some((l) => l.startsWith("cluster: kube-scheduler ready in "))).toBe(true);
        for (const c of COMPONENTS.filter((c) => c !== "kube-scheduler")) expect(again.pids[c]).toBe(cluster.info.pids[c]);
        (cluster.info.pids as Record<string, number>)["kube-scheduler"] = again.pids["kube-scheduler"];
    });

    it("the CLI prints its help, and refuses bad options naming them", () => {
        const cli = (args: string[]) => spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "scripts/cluster/cli.ts"), ...args], { encoding: "utf8" });
        const help = cli(["--help"]);
        expect(help.status).toBe(0);
        expect(help.stdout).toContain("Usage: npm run cluster:up | cluster:down | cluster:status");
        const bad = cli(["up", "--port-base", "80"]);
        expect([bad.status, bad.stderr.trim()]).toEqual([2, "cluster: --port-base (PAAS_CLUSTER_PORT_BASE) must be an integer from 1024 to 65529, got '80'"]);
        const unknown = cli(["up", "--nodes", "5"]);
        expect([unknown.status, unknown.stderr.trim()]).toEqual([2, "cluster: unknown option '--nodes' for 'up' (see --help)"]);
        const status = cli(["status", "--dir", cluster.options.dir, "--port-base", String(cluster.options.portBase)]);
        expect(status.stdout).toContain(`kube-apiserver           running (PID ${cluster.info.pids["kube-apiserver"]})`);
    });

    it("cluster:down stops exactly the PIDs it recorded, and --purge removes only its folder", async () => {
        const pids = Object.values(cluster.info.pids);
        expect(pids.every(alive)).toBe(true);
        // --purge deletes only a folder marked as a cluster's state.
        const other = fs.mkdtempSync(path.join(path.dirname(cluster.options.dir), "paas-not-a-cluster-"));
        fs.mkdirSync(path.join(other, "pids"));
        await expect(clusterDown({ dir: other }, true)).rejects.toThrow(`${other} holds no .paas-cluster marker: it is not a control plane's state folder, nothing was deleted`);
        expect(fs.existsSync(path.join(other, "pids"))).toBe(true);
        fs.rmSync(other, { recursive: true });
        expect((await cluster.down()).sort()).toEqual([...COMPONENTS].sort());
        expect(pids.filter(alive)).toEqual([]);
        expect(fs.existsSync(cluster.options.dir)).toBe(false);
    });
});
