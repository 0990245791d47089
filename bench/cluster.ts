/**
 * `npm run bench -- --only cluster`: `pulumi up` of N services into the project's control plane
 * (real API server, controllers and kwok nodes; the provider awaits every object), against
 *   - the floor: the same captured resource graph as raw resources in a bare program,
 *   - the floor with `pulumi.com/skipAwait` on every object (the engine and the server, no await),
 *   - kubectl: the same objects in one `kubectl apply --server-side`, then `kubectl wait` until the
 *     Deployments are Available (what a user comparing with plain manifests would run).
 * Each side starts from an empty cluster (the previous one is destroyed, untimed); ratios are
 * taken pair by pair.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { clusterDown, clusterUp, freePortBase, kubectl, ZONES } from "../scripts/cluster/cluster";
import { benchConfig } from "./configs";
import type { GraphNode } from "./graph";

interface Stats { median: number; min: number; max: number }
export interface ClusterBenchContext {
    readonly root: string;
    readonly work: string;
    readonly runs: number;
    readonly log: (s: string) => void;
    readonly stats: (xs: number[]) => Stats;
    readonly fmt: (s: Stats, unit?: string) => string;
    /** A scratch project with its own backend and a `local` stack. */
    readonly scratch: (name: string, fill: (dir: string) => void) => { dir: string; env: NodeJS.ProcessEnv };
    readonly runJson: (cmd: string, argv: string[]) => { resources: number };
    /** Milliseconds a command took; throws with its output when it fails. */
    readonly timed: (cmd: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv) => number;
}

const NS = "apps";

export async function clusterBench(ctx: ClusterBenchContext): Promise<{ rows: Record<number, unknown>; table: string[] }> {
    const dir = path.join(ctx.work, "cluster");
    // Room for N = 100 at the HPA minimums (200 pods of 250m = 50 CPU): three 16-CPU nodes are not enough,
    // and the real scheduler leaves the rest Pending (a first run timed out on exactly that).
    const nodes = Array.from({ length: 9 }, (_, i) => ({ name: `bench-node-${i}`, zone: ZONES[i % 3], cpu: "16", memory: "64Gi", pods: 110 }));
    const o = { dir, portBase: await freePortBase(17_570), nodes, log: ctx.log };
    const rows: Record<number, unknown> = {};
    const table = ["| control plane (`pulumi up`, awaited) | N | program | floor | kubectl apply + wait | program/floor | program/kubectl | floor, no await | program preview |", "|---|---|---|---|---|---|---|---|---|"];
    try {
        const t0 = performance.now();
        const info = await clusterUp(o);
        ctx.log(`cluster: up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        const kubeconfigText = fs.readFileSync(info.kubeconfig, "utf8");
        for (const n of [10, 100]) {
            const config = { ...benchConfig(n), "paas:cluster": { local: { kubeconfigFile: info.kubeconfig } }, "paas:addons": { gatewayController: "none" } };
            const configFile = path.join(ctx.work, `cluster-config-${n}.json`);
            const graphFile = path.join(ctx.work, `cluster-graph-${n}.json`);
            fs.writeFileSync(configFile, JSON.stringify(config));
            const captured = ctx.runJson(path.join(ctx.root, "node_modules/.bin/tsx"), ["bench/program-run.ts", configFile, "--capture", graphFile]);
            const graph = (JSON.parse(fs.readFileSync(graphFile, "utf8")) as GraphNode[]).map((g) =>
                g.type === "pulumi:providers:kubernetes" ? { ...g, inputs: { kubeconfig: kubeconfigText, enableServerSideApply: true } } : g);
            const objects = graph.filter((g) => g.custom && g.type.startsWith("kubernetes:")).map((g) => g.inputs);
            // Namespaces first, as one kubectl call applies them in order.
            objects.sort((a: any, b: any) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
            const manifests = path.join(ctx.work, `cluster-objects-${n}.json`);
            fs.writeFileSync(manifests, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
            const noAwait = graph.map((g) => g.custom && g.type.startsWith("kubernetes:") && g.type !== "pulumi:providers:kubernetes"
                ? { ...g, inputs: { ...g.inputs, metadata: { ...(g.inputs.metadata as object), annotations: { ...((g.inputs.metadata as any)?.annotations ?? {}), "pulumi.com/skipAwait": "true" } } } }
                : g);
            const floorProject = (name: string, nodes: GraphNode[]) => ctx.scratch(name, (d) => {
                fs.copyFileSync(path.join(ctx.root, "bench/graph.ts"), path.join(d, "graph.ts"));
                fs.writeFileSync(path.join(d, "nodes.json"), JSON.stringify(nodes));
                fs.writeFileSync(path.join(d, "index.ts"), 'import { registerGraph } from "./graph";\nregisterGraph(require("./nodes.json"));\n');
                fs.writeFileSync(path.join(d, "Pulumi.local.yaml"), "config: {}\n");
            });
            const program = ctx.scratch(`cluster-program-${n}`, (d) => {
                fs.copyFileSync(path.join(ctx.root, "index.ts"), path.join(d, "index.ts"));
                for (const sub of ["app", "core", "components"]) fs.cpSync(path.join(ctx.root, sub), path.join(d, sub), { recursive: true, filter: (s) => !s.includes("node_modules") });
                fs.writeFileSync(path.join(d, "Pulumi.local.yaml"), stringify({ config }));
            });
            const floor = floorProject(`cluster-floor-${n}`, graph);
            const floorNoAwait = floorProject(`cluster-floor-noawait-${n}`, noAwait);
            const pulumiArgs = ["--yes", "--stack", "local", "--non-interactive", "--color", "never"];
            const up = (s: { dir: string; env: NodeJS.ProcessEnv }) => () => {
                const t = ctx.timed("pulumi", ["up", ...pulumiArgs], s.dir, s.env) / 1000;
                ctx.timed("pulumi", ["destroy", ...pulumiArgs], s.dir, s.env);
                return t;
            };
            const kubectlSide = () => {
                const t = performance.now();
                kubectl(o, ["apply", "--server-side", "--field-manager=bench", "-f", manifests]);
                kubectl(o, ["wait", "--for=condition=Available", "deployment", "--all", "-n", NS, "--timeout=300s"]);
                const s = (performance.now() - t) / 1000;
                kubectl(o, ["delete", "--wait=true", "--ignore-not-found", "-f", manifests]);
                return s;
            };
            ctx.log(`cluster N=${n}: ${captured.resources} resources, ${objects.length} Kubernetes objects`);
            const sides = { program: up(program), floor: up(floor), kubectl: kubectlSide };
            // One warm-up (module and plugin caches) before the first size only: each side is minutes at N=100.
            if (n === 10) for (const f of Object.values(sides)) f();
            const samples = { program: [] as number[], floor: [] as number[], floorNoAwait: [] as number[], kubectl: [] as number[], preview: [] as number[], vsFloor: [] as number[], vsKubectl: [] as number[] };
            for (let i = 0; i < ctx.runs; i++) {
                const s = { program: sides.program(), floor: sides.floor(), kubectl: sides.kubectl() };
                for (const k of ["program", "floor", "kubectl"] as const) samples[k].push(s[k]);
                samples.vsFloor.push(s.program / s.floor);
                samples.vsKubectl.push(s.program / s.kubectl);
                ctx.log(`cluster N=${n} run ${i + 1}: program ${s.program.toFixed(1)} s, floor ${s.floor.toFixed(1)} s, kubectl ${s.kubectl.toFixed(1)} s`);
            }
            // Where the time goes, once per size: the floor without await (engine + server), and the
            // program's preview against the live cluster (engine + program + dry runs).
            samples.floorNoAwait.push(up(floorNoAwait)());
            samples.preview.push(ctx.timed("pulumi", ["preview", "--stack", "local", "--non-interactive", "--color", "never"], program.dir, program.env) / 1000);
            ctx.log(`cluster N=${n}: floor without await ${samples.floorNoAwait[0].toFixed(1)} s, program preview ${samples.preview[0].toFixed(1)} s`);
            const row = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, ctx.stats(v)])) as Record<keyof typeof samples, Stats>;
            rows[n] = { resources: captured.resources, objects: objects.length, ...row };
            table.push(`| | ${n} (${objects.length} objects) | ${ctx.fmt(row.program, "s")} | ${ctx.fmt(row.floor, "s")} | ${ctx.fmt(row.kubectl, "s")} | **${row.vsFloor.median.toFixed(2)}** | ${row.vsKubectl.median.toFixed(2)} | ${row.floorNoAwait.median.toFixed(2)}s | ${row.preview.median.toFixed(2)}s |`);
        }
    } finally {
        await clusterDown(o, true);
    }
    table.push("");
    return { rows, table };
}
