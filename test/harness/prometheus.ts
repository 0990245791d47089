/** promtool and a real Prometheus on loopback, from the toolchain; servers are stopped by the PID started. */
import { type ChildProcess, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findTool, spawnLogged, stopChild } from "./tools";

const HOW_TO_GET = "run `npm run toolchain -- prometheus` (or `bash scripts/toolchain.sh prometheus`): it builds prometheus and promtool from the Go module github.com/prometheus/prometheus into .tools/bin";

/** A Prometheus 3 binary (`prometheus` or `promtool`): the toolchain's, else one on PATH; fails with how to get it. */
export function prometheusTool(name: "prometheus" | "promtool"): string {
    return findTool(name, ["--version"], new RegExp(`^${name}, version 3\\.`), `${name} 3.x`, HOW_TO_GET);
}

/** Runs promtool; its exit code and everything it printed. */
export function promtool(args: string[], cwd: string): { code: number; output: string } {
    try {
        const out = execFileSync(prometheusTool("promtool"), args, { cwd, encoding: "utf8", stdio: "pipe" });
        return { code: 0, output: out };
    } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { code: err.status ?? -1, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
}

export interface AlertState {
    readonly labels: Record<string, string>;
    readonly state: "pending" | "firing";
}

/** One Prometheus server listening on 127.0.0.1:`port`, its data and config in `dir`. */
export class PrometheusServer {
    private proc?: ChildProcess;
    readonly url: string;

    constructor(readonly dir: string, readonly port: number) {
        this.url = `http://127.0.0.1:${port}`;
    }

    start(configFile: string): void {
        this.proc = spawnLogged(prometheusTool("prometheus"), [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${path.join(this.dir, "data")}`,
            `--web.listen-address=127.0.0.1:${this.port}`,
            "--log.level=warn",
        ], path.join(this.dir, "prometheus.log"), this.dir);
    }

    get pid(): number | undefined {
        return this.proc?.pid;
    }

    async waitReady(deadlineMs = 30_000): Promise<void> {
        const end = Date.now() + deadlineMs;
        while (Date.now() < end) {
            if (this.proc?.exitCode !== null && this.proc?.exitCode !== undefined) break;
            try {
                if ((await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) return;
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`prometheus not ready within ${deadlineMs} ms:\n${fs.readFileSync(path.join(this.dir, "prometheus.log"), "utf8").slice(-2000)}`);
    }

    /** GET an API path; the `data` of a successful answer. */
    async api(pathAndQuery: string): Promise<any> {
        const res = await fetch(`${this.url}/api/v1/${pathAndQuery}`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { status: string; data: unknown; error?: string };
        if (body.status !== "success") throw new Error(`prometheus ${pathAndQuery}: ${body.error}`);
        return body.data;
    }

    /** Active alerts (pending and firing). */
    async alerts(): Promise<AlertState[]> {
        return ((await this.api("alerts")).alerts as AlertState[]).map((a) => ({ labels: a.labels, state: a.state }));
    }

    /** The value of an instant query returning one sample, or undefined when it returns none. */
    async scalar(query: string): Promise<number | undefined> {
        const r = (await this.api(`query?query=${encodeURIComponent(query)}`)).result as { value: [number, string] }[];
        return r.length === 0 ? undefined : Number(r[0].value[1]);
    }

    /** SIGTERM by the PID started, then waits for the exit. */
    async stop(): Promise<void> {
        await stopChild(this.proc, "SIGTERM");
    }
}
