/**
 * One run of the whole program under Pulumi mocks, in a fresh process (module loading included).
 * usage: tsx bench/program-run.ts <config.json> [--capture graph.json]
 * Prints {"ms": wall time since process start, "rssMB": peak RSS, "resources": count}.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { BenchMocks, done } from "./mocks";

async function run(): Promise<void> {
    const [configPath, flag, capturePath] = process.argv.slice(2);
    const mocks = new BenchMocks(flag === "--capture");
    await pulumi.runtime.setMocks(mocks, "paas", "local", false);
    if (mocks.capturing) mocks.watchParents();
    const config = JSON.parse(fs.readFileSync(configPath, "utf8")) as Record<string, unknown>;
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
    const { main } = await import("../app/main");
    const outputs = main();
    await Promise.all(Object.values(outputs).map((o) => new Promise((res) => (pulumi.output(o) as pulumi.Output<unknown>).apply(res))));
    await done(mocks, capturePath);
}

run().catch((e) => {
    console.error(e);
    process.exit(1);
});
