/** Real etcd processes on loopback, started from the planner's own flags, stopped by PID. */
import { type ChildProcess, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { type Addressing, type EtcdPlan, loopbackAddressing, memberFlags } from "../../core/src/planners/etcd";
import { ROOT } from "./stacks";
import { spawnLogged, stopChild } from "./tools";

/** The etcd binary: the toolchain's, else one on PATH; fails with how to get it. */
export function etcdBinary(): string {
    const local = path.join(ROOT, ".tools/bin/etcd");
    const candidates = [local, ...(process.env.PATH ?? "").split(":").map((d) => path.join(d, "etcd"))];
    for (const c of candidates) {
        if (!fs.existsSync(c)) continue;
        const v = execFileSync(c, ["--version"], { encoding: "utf8" });
        if (/etcd Version: 3\.6\./.test(v)) return c;
    }
    throw new Error("no etcd 3.6 binary found: run `npm run toolchain -- etcd` (builds it from the Go module go.etcd.io/etcd/server/v3 into .tools/bin)");
}

/**
 * A tool of the etcd 3.6 release (etcdctl, etcdutl): the toolchain's, else one on PATH; undefined
 * when there is none.
 */
export function etcdTool(name: "etcdctl" | "etcdutl"): string | undefined {
    const candidates = [path.join(ROOT, ".tools/bin", name), ...(process.env.PATH ?? "").split(":").filter(Boolean).map((d) => path.join(d, name))];
    for (const c of candidates) {
        if (!fs.existsSync(c)) continue;
        const v = execFileSync(c, ["version"], { encoding: "utf8" });
        if (new RegExp(`${name} version: 3\\.6\\.`).test(v)) return c;
    }
    return undefined;
}

/** Does this tool have `snapshot restore` (etcdutl has; etcdctl lost it in 3.6)? */
export function canRestore(tool: string): boolean {
    try {
        return /snapshot restore/.test(execFileSync(tool, ["snapshot", "restore", "--help"], { encoding: "utf8", stdio: "pipe" }));
    } catch {
        return false;
    }
}

/** Is the loopback TCP port free right now? */
function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", () => resolve(false));
        srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
}

/**
 * A base port whose loopback ports base … base+10·members+2 are all free (member i of an
 * EtcdCluster uses base+10i … base+10i+2), searched from a start that varies per process.
 * Below Linux's ephemeral range (32768 and up): a port found free there can be taken by any
 * outgoing connection before the member binds it.
 */
export async function freeBasePort(members: number): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
        const base = 20000 + ((process.pid * 13 + attempt * 97) % 12000);
        const ports = Array.from({ length: members }, (_, i) => [0, 1, 2].map((k) => base + 10 * i + k)).flat();
        if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
    }
    throw new Error("no free loopback ports found for etcd");
}

/** CA, a server/peer certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeTls(dir: string): { ca: string; clientCert: string; clientKey: string } {
    fs.mkdirSync(dir, { recursive: true });
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=paas-test-ca");
    const leaf = (name: string, ext: string) => {
        fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
        run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", `${name}.ext`);
    };
    leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    leaf("client", "extendedKeyUsage=clientAuth\n");
    return { ca: path.join(dir, "ca.crt"), clientCert: path.join(dir, "client.crt"), clientKey: path.join(dir, "client.key") };
}

export class EtcdCluster {
    readonly addressing: Addressing;
    readonly procs: (ChildProcess | undefined)[];
    /** Client TLS material, for etcdctl. */
    readonly clientTls: { ca: string; clientCert: string; clientKey: string };
    private readonly agent: https.Agent;

    constructor(readonly plan: EtcdPlan, readonly dir: string, basePort: number, private readonly binary = etcdBinary()) {
        const tls = makeTls(path.join(dir, "tls"));
        this.clientTls = tls;
        this.addressing = loopbackAddressing(basePort, path.join(dir, "data"), path.join(dir, "tls"));
        this.procs = Array.from({ length: plan.members }, () => undefined);
        this.agent = new https.Agent({ ca: fs.readFileSync(tls.ca), cert: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey), keepAlive: false });
    }

    flags(i: number): string[] {
        return memberFlags(this.plan, this.addressing, this.addressing.member(i));
    }

    start(i: number): void {
        this.procs[i] = spawnLogged(this.binary, this.flags(i), path.join(this.dir, `m${i}.log`));
    }

    startAll(): void {
        for (let i = 0; i < this.plan.members; i++) this.start(i);
    }

    /** SIGKILL by the PID we started; waits until the process is gone. */
    async kill(i: number): Promise<void> {
        if (await stopChild(this.procs[i], "SIGKILL")) this.procs[i] = undefined;
    }

    async stopAll(): Promise<void> {
        for (let i = 0; i < this.procs.length; i++) await this.kill(i);
    }

    alive(): number[] {
        return this.procs.flatMap((p, i) => (p && p.exitCode === null && p.signalCode === null ? [i] : []));
    }

    /** POST to the v3 JSON gateway of member i over mutual TLS. */
    request(i: number, api: string, body: object, timeoutMs = 5000): Promise<any> {
        const url = new URL(`${this.addressing.member(i).clientUrl}/v3/${api}`);
        return new Promise((resolve, reject) => {
            const req = https.request(url, { method: "POST", agent: this.agent, timeout: timeoutMs, headers: { "content-type": "application/json" } }, (res) => {
                let data = "";
                res.on("data", (c) => (data += c));
                res.on("end", () => {
                    const parsed = data ? JSON.parse(data) : {};
                    if (res.statusCode === 200 && !parsed.error) resolve(parsed);
                    else reject(new Error(`etcd ${api} on m${i}: HTTP ${res.statusCode} ${data.slice(0, 200)}`));
                });
            });
            req.on("timeout", () => req.destroy(new Error(`etcd ${api} on m${i}: timed out after ${timeoutMs} ms`)));
            req.on("error", reject);
            req.end(JSON.stringify(body));
        });
    }

    /** Health from the metrics listener (plain HTTP on loopback). */
    async health(i: number): Promise<boolean> {
        try {
            const res = await fetch(`${this.addressing.member(i).listenMetricsUrl}/health`, { signal: AbortSignal.timeout(2000) });
            return res.ok && ((await res.json()) as { health?: string }).health === "true";
        } catch {
            return false;
        }
    }

    async waitHealthy(members: number[], deadlineMs = 30_000): Promise<void> {
        const end = Date.now() + deadlineMs;
        while (Date.now() < end) {
            const ok = await Promise.all(members.map((i) => this.health(i)));
            if (ok.every(Boolean)) return;
            await new Promise((r) => setTimeout(r, 200));
        }
        const logs = members.map((i) => `--- m${i}\n${fs.readFileSync(path.join(this.dir, `m${i}.log`), "utf8").split("\n").slice(-5).join("\n")}`).join("\n");
        throw new Error(`members ${members.join(",")} not healthy within ${deadlineMs} ms\n${logs}`);
    }

    async put(i: number, key: string, value: string, timeoutMs = 5000): Promise<void> {
        await this.request(i, "kv/put", { key: b64(key), value: b64(value) }, timeoutMs);
    }

    async get(i: number, key: string): Promise<string | undefined> {
        const r = await this.request(i, "kv/range", { key: b64(key) });
        const kv = (r.kvs ?? [])[0];
        return kv ? Buffer.from(kv.value, "base64").toString() : undefined;
    }

    /** etcdctl's connection flags for member i: its client URL and the client certificate. */
    etcdctlFlags(i: number): string[] {
        const t = this.clientTls;
        return [`--endpoints=${this.addressing.member(i).clientUrl}`, `--cacert=${t.ca}`, `--cert=${t.clientCert}`, `--key=${t.clientKey}`];
    }

    /** Header revision of member i's store. */
    async revision(i: number): Promise<number> {
        return Number((await this.request(i, "maintenance/status", {})).header.revision);
    }

    async clusterId(i: number): Promise<string> {
        return (await this.request(i, "maintenance/status", {})).header.cluster_id;
    }
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
