/** A private control plane for one test file: its own state folder and ports, stopped by PID. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ClusterInfo, type ClusterOptions, clusterDown, clusterUp, DEFAULT_NODES, kubectl } from "../../scripts/cluster/cluster";

export interface TestCluster {
    readonly options: ClusterOptions;
    readonly info: ClusterInfo;
    kubectl(args: readonly string[], input?: string): string;
    json(args: readonly string[]): any;
    /** Audit events (Metadata level) the API server wrote so far. */
    auditEvents(): any[];
    down(): Promise<string[]>;
}

/** Port bases per test file keep files that run one after another from ever sharing a port. */
export async function startTestCluster(portBase: number, extra: Partial<ClusterOptions> = {}): Promise<TestCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-cluster-"));
    const options: ClusterOptions = { dir, portBase, nodes: DEFAULT_NODES, ...extra };
    let info: ClusterInfo;
    try {
        info = await clusterUp(options);
    } catch (e) {
        await clusterDown(options);
        throw e;
    }
    return {
        options,
        info,
        kubectl: (args, input) => kubectl(options, args, input),
        json: (args) => JSON.parse(kubectl(options, [...args, "-o", "json"])),
        auditEvents: () => {
            const f = path.join(dir, "logs", "audit.log");
            return fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
        },
        down: async () => {
            const stopped = await clusterDown(options, true);
            return stopped;
        },
    };
}
