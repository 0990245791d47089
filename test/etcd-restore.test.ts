/**
 * The snapshot CronJob's rotation script and the documented restore, on real etcd: a member on
 * loopback (TLS, client certificates) takes timestamped snapshots with `etcdctl snapshot save`
 * and the job's own script, loses its data directory, is restored from the newest snapshot with
 * the planner's `restoreArgs`, and serves the snapshot's keys again.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { INCOMING_SNAPSHOT, RESTORE_REVISION_BUMP, SNAPSHOT_FILE, planEtcd, restoreArgs, snapshotJobScript } from "../core/src/planners/etcd";
import { EtcdCluster, canRestore, etcdTool, freeBasePort } from "./harness/etcd";

/** Runs the job's script on `dir` the way the container does (`sh -c`), in a non-UTC zone. */
function rotate(dir: string, keep: number): string {
    return execFileSync("/bin/sh", ["-c", snapshotJobScript(keep, dir)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TZ: "Asia/Tokyo" } });
}

/** Stands in for `etcdctl snapshot save <dir>/incoming.db` at the UTC time `iso`. */
function fakeSave(dir: string, iso: string, content: string): void {
    const file = path.join(dir, INCOMING_SNAPSHOT);
    fs.writeFileSync(file, content);
    const t = new Date(iso);
    fs.utimesSync(file, t, t);
}

const cleanup: string[] = [];
afterAll(() => {
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
});

describe("the snapshot job's rotation script", () => {
    it("names the snapshot after its UTC time and keeps the newest `keep`, leaving other files alone", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-rotate-"));
        cleanup.push(dir);
        fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
        fs.writeFileSync(path.join(dir, "snapshot-latest.db"), "not a timestamped snapshot");
        const times = ["2025-01-02T03:04:05Z", "2025-01-02T09:00:00Z", "2025-01-03T00:00:01Z", "2025-02-01T23:59:59Z"];
        const outputs = times.map((t, i) => {
            fakeSave(dir, t, `snapshot ${i}`);
            return rotate(dir, 2);
        });
        expect(outputs[0]).toBe(`saved ${dir}/snapshot-20250102T030405Z.db\n`);
        expect(outputs[2]).toBe(`saved ${dir}/snapshot-20250103T000001Z.db\npruned ${dir}/snapshot-20250102T030405Z.db\n`);
        expect(fs.readdirSync(dir).sort()).toEqual(["notes.txt", "snapshot-20250103T000001Z.db", "snapshot-20250201T235959Z.db", "snapshot-latest.db"]);
        expect(fs.readFileSync(path.join(dir, "snapshot-20250201T235959Z.db"), "utf8")).toBe("snapshot 3");
        for (const f of ["snapshot-20250103T000001Z.db", "snapshot-20250201T235959Z.db"]) expect(f).toMatch(SNAPSHOT_FILE);
    });

    it("fails, and deletes nothing, when etcdctl saved no snapshot", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-rotate-"));
        cleanup.push(dir);
        fs.writeFileSync(path.join(dir, "snapshot-20250102T030405Z.db"), "old");
        expect(() => rotate(dir, 1)).toThrow();
        expect(fs.readdirSync(dir)).toEqual(["snapshot-20250102T030405Z.db"]);
    });

    it("refuses to keep fewer than one snapshot", () => {
        expect(() => snapshotJobScript(0)).toThrow("keep must be an integer >= 1, got 0");
    });
});

const etcdctl = etcdTool("etcdctl");
// etcd 3.6 moved `snapshot restore` from etcdctl to etcdutl; either one that has it will do.
const restorer = [etcdTool("etcdutl"), etcdctl].find((t): t is string => t !== undefined && canRestore(t));
// Never a silent skip: without the tools the test fails and says how to get them.
if (!restorer || !etcdctl) {
    describe("restore of a member from one timestamped snapshot", () => {
        it("needs etcdctl and etcdutl 3.6", () => {
            throw new Error("needs etcdctl 3.6 and etcdutl 3.6 (etcdctl 3.6 has no `snapshot restore`) in .tools/bin or on PATH: run `npm run toolchain -- etcd`");
        });
    });
}

describe.runIf(!!restorer && !!etcdctl)(`restore of a member from one timestamped snapshot (${path.basename(restorer ?? "etcdutl")})`, () => {
    const plan = planEtcd({ members: 1, allowSingleMember: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-etcd-restore-"));
    const backups = path.join(dir, "backups");
    fs.mkdirSync(backups);
    let c: EtcdCluster;
    let revisionAtSnapshot = 0;
    const pids: number[] = [];

    /** `etcdctl snapshot save` into the job's incoming file, then the job's script. */
    function snapshot(iso: string): string {
        execFileSync(etcdctl!, [...c.etcdctlFlags(0), "snapshot", "save", path.join(backups, INCOMING_SNAPSHOT)], { stdio: "pipe" });
        const t = new Date(iso);
        fs.utimesSync(path.join(backups, INCOMING_SNAPSHOT), t, t);
        return rotate(backups, 2);
    }

    it("takes three snapshots of a member and keeps the newest two", async () => {
        c = new EtcdCluster(plan, dir, await freeBasePort(1));
        c.start(0);
        pids.push(c.procs[0]!.pid!);
        await c.waitHealthy([0]);
        for (let k = 0; k < 5; k++) await c.put(0, `app/${k}`, `v${k}`);
        snapshot("2025-03-01T00:00:00Z");
        await c.put(0, "app/5", "v5");
        snapshot("2025-03-01T06:00:00Z");
        await c.put(0, "app/6", "v6");
        expect(snapshot("2025-03-01T12:00:00Z")).toBe(`saved ${backups}/snapshot-20250301T120000Z.db\npruned ${backups}/snapshot-20250301T000000Z.db\n`);
        revisionAtSnapshot = await c.revision(0);
        // Written after the last snapshot: a restore must not have it.
        await c.put(0, "app/after", "lost");
        expect(fs.readdirSync(backups).sort()).toEqual(["snapshot-20250301T060000Z.db", "snapshot-20250301T120000Z.db"]);
    });

    it("restores the member from the newest snapshot into a fresh data directory", async () => {
        await c.stopAll();
        const dataDir = c.addressing.member(0).dataDir;
        fs.rmSync(dataDir, { recursive: true, force: true });
        const args = restoreArgs(plan, c.addressing, 0, path.join(backups, "snapshot-20250301T120000Z.db"));
        expect(args).toContain(`--data-dir=${dataDir}`);
        execFileSync(restorer!, args, { stdio: "pipe" });
        expect(fs.existsSync(path.join(dataDir, "member", "snap", "db"))).toBe(true);
    });

    it("starts from the restored data with every key of the snapshot and nothing written after it", async () => {
        c.start(0);
        pids.push(c.procs[0]!.pid!);
        await c.waitHealthy([0]);
        for (let k = 0; k < 7; k++) expect([k, await c.get(0, `app/${k}`)]).toEqual([k, `v${k}`]);
        expect(await c.get(0, "app/after")).toBeUndefined();
        // The revision moved on past anything a client may have seen before the restore.
        expect(await c.revision(0)).toBeGreaterThanOrEqual(revisionAtSnapshot + RESTORE_REVISION_BUMP);
    });

    it("leaves no process behind", async () => {
        await c.stopAll();
        expect(pids).toHaveLength(2);
        for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
