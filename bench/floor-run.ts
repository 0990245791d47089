/**
 * The floor: registers exactly the captured resource graph (same types, names, inputs, parents and
 * providers) with the SDK's typed resource classes, components as bare ComponentResource shells,
 * and no config parsing, validation or planners. Same mocks, same process shape as program-run.
 * usage: tsx bench/floor-run.ts <graph.json>
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { BenchMocks, done } from "./mocks";
import { type GraphNode, registerGraph } from "./graph";

async function run(): Promise<void> {
    const mocks = new BenchMocks(false);
    await pulumi.runtime.setMocks(mocks, "paas", "local", false);
    const graph = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as GraphNode[];
    registerGraph(graph);
    await done(mocks, undefined);
}

run().catch((e) => {
    console.error(e);
    process.exit(1);
});
