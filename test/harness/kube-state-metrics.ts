/** kube-state-metrics from the toolchain, on loopback against a test cluster; stopped by the PID started. */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findTool, spawnLogged, stopChild } from "./tools";

/** The kube-state-metrics 2.x binary: the toolchain's, else one on PATH; fails with how to get it. */
export function kubeStateMetricsBinary(): string {
    return findTool("kube-state-metrics", ["version"], /version 2\./, "kube-state-metrics 2.x",
        "run `npm run toolchain -- kube-state-metrics` (or `bash scripts/toolchain.sh kube-state-metrics`): it builds it from the Go module k8s.io/kube-state-metrics/v2 into .tools/bin");
}

/** kube-state-metrics serving the objects the alerting rules read, on 127.0.0.1:`port` (telemetry on `port`+1). */
export class KubeStateMetrics {
    private proc?: ChildProcess;
    readonly address: string;

    constructor(readonly dir: string, readonly port: number) {
        this.address = `127.0.0.1:${port}`;
    }

    start(kubeconfig: string): void {
        this.proc = spawnLogged(kubeStateMetricsBinary(), [
            `--kubeconfig=${kubeconfig}`,
            "--host=127.0.0.1", `--port=${this.port}`,
            "--telemetry-host=127.0.0.1", `--telemetry-port=${this.port + 1}`,
            "--resources=horizontalpodautoscalers,endpointslices,poddisruptionbudgets,pods",
        ], path.join(this.dir, "kube-state-metrics.log"), this.dir);
    }

    get pid(): number | undefined {
        return this.proc?.pid;
    }

    /** Waits until /metrics answers with the series of the given metric. */
    async waitFor(metric: string, deadlineMs = 60_000): Promise<void> {
        const end = Date.now() + deadlineMs;
        while (Date.now() < end) {
            try {
                const res = await fetch(`http://${this.address}/metrics`, { signal: AbortSignal.timeout(2000) });
                if (res.ok && (await res.text()).includes(`\n${metric}{`)) return;
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 500));
        }
        throw new Error(`kube-state-metrics served no ${metric} within ${deadlineMs} ms:\n${fs.readFileSync(path.join(this.dir, "kube-state-metrics.log"), "utf8").slice(-2000)}`);
    }

    async stop(): Promise<void> {
        await stopChild(this.proc, "SIGTERM");
    }
}
