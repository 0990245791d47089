/** A private control plane for one test file: its own state folder and ports, stopped by PID. */
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { type ClusterInfo, type ClusterOptions, clusterDown, clusterUp, DEFAULT_NODES, freePortBase, kubectl } from "../../scripts/cluster/cluster";

export interface TestCluster {
    readonly options: ClusterOptions;
    readonly info: ClusterInfo;
    kubectl(args: readonly string[], input?: string): string;
    json(args: readonly string[]): any;
    /** Audit events (Metadata level) the API server wrote so far. */
    auditEvents(): any[];
    /** One API request as the admin, with the raw status code (e.g. an eviction's 201 or 429). */
    request(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: any }>;
    down(): Promise<string[]>;
}

/**
 * A control plane of its own for a test file. Each file prefers its own port base; when those
 * ports are taken (another run on the machine), the next free base is used.
 */
export async function startTestCluster(preferredPortBase: number, extra: Partial<ClusterOptions> = {}): Promise<TestCluster> {
    const portBase = await freePortBase(preferredPortBase);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-cluster-"));
    const options: ClusterOptions = { dir, portBase, nodes: DEFAULT_NODES, ...extra };
    let info: ClusterInfo;
    try {
        info = await clusterUp(options);
    } catch (e) {
        await clusterDown(options, true);
        throw e;
    }
    // An interrupted run (Ctrl-C, a killed worker) must not leave the control plane running.
    const pids = Object.values(info.pids);
    const killAll = () => {
        for (const pid of pids) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
    };
    process.once("exit", killAll);
    const pki = path.join(dir, "pki");
    const admin = { ca: fs.readFileSync(path.join(pki, "ca.crt")), cert: fs.readFileSync(path.join(pki, "admin.crt")), key: fs.readFileSync(path.join(pki, "admin.key")) };
    return {
        options,
        info,
        kubectl: (args, input) => kubectl(options, args, input),
        json: (args) => JSON.parse(kubectl(options, [...args, "-o", "json"])),
        auditEvents: () => {
            const f = path.join(dir, "logs", "audit.log");
            const lines = fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : [];
            // The server may be writing the last line right now.
            const parsed = lines.map((l) => { try { return JSON.parse(l); } catch { return undefined; } });
            if (parsed.slice(0, -1).some((e) => e === undefined)) throw new Error(`${f} has a line that is not JSON`);
            return parsed.filter((e) => e !== undefined);
        },
        request: (method, apiPath, body) => new Promise((resolve, reject) => {
            const req = https.request(`${info.server}${apiPath}`, {
                method, ...admin,
                headers: { "content-type": "application/json" },
            }, (res) => {
                let text = "";
                res.on("data", (c) => (text += c));
                res.on("end", () => {
                    let parsed: unknown = text;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        // not JSON: keep the text
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            });
            req.on("error", reject);
            req.end(body === undefined ? undefined : JSON.stringify(body));
        }),
        down: async () => {
            const stopped = await clusterDown(options, true);
            process.removeListener("exit", killAll);
            return stopped;
        },
    };
}
