/** The mocks both benchmark processes use: echo inputs back, optionally capture the graph. */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { GraphNode } from "./graph";

const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export class BenchMocks implements pulumi.runtime.Mocks {
    readonly graph: GraphNode[] = [];
    private readonly meta = new Map<string, { parent: string; provider: string }>();
    constructor(readonly capturing: boolean) {}

    /** Records each registration's parent and provider at the monitor (capture mode only). */
    watchParents(): void {
        const monitor = pulumi.runtime.getMonitor() as any;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, cb: any) => {
            this.meta.set(`${req.getType()}::${req.getName()}`, { parent: req.getParent(), provider: req.getProvider() });
            return register(req, cb);
        };
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        if (this.capturing) {
            const m = this.meta.get(`${args.type}::${args.name}`) ?? { parent: "", provider: "" };
            const urn = `urn:pulumi:local::paas::${m.parent ? `${m.parent.split("::")[2].split("$").pop()}$` : ""}${args.type}::${args.name}`;
            this.graph.push({ type: args.type, name: args.name, urn, parent: m.parent, provider: m.provider.split("::").slice(0, -1).join("::"), custom: !!args.custom, inputs: args.inputs });
        }
        return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
    }

    call(): Record<string, unknown> {
        return {};
    }
}

export async function done(mocks: BenchMocks, capturePath: string | undefined): Promise<void> {
    await waitForRPCs();
    if (capturePath) fs.writeFileSync(capturePath, JSON.stringify(mocks.graph));
    const rssMB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ ms: performance.now(), rssMB, resources: mocks.graph.length })}\n`);
}
