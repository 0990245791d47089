/**
 * `npm run bench`: how the program's cost grows with the platform, against the SDK floor.
 *
 *   npm run bench                          everything (mocks, real engine when the toolchain is there, tests)
 *   npm run bench -- --only mocks,engine   a subset: mocks, engine, tests
 *   npm run bench -- --runs 7              measured runs per figure (after one warm-up), default 5
 *   npm run bench -- --only audit          opt-in, not in the default set (the 1M export is ~5.5 GB and
 *                                          takes minutes to write and to audit): `npm run audit` on
 *                                          generated exports of 10k, 100k and 1M resources (bench/audit-export.ts),
 *                                          with the growth from each size to the next; at 1M only
 *                                          min(runs, 3) runs and no warm-up. --audit-sizes 10000,100000 picks sizes.
 *   npm run bench -- --only cluster        opt-in (tens of minutes): `pulumi up` of N = 10 and 100 services into
 *                                          a control plane of its own, against the floor, the floor without
 *                                          await and `kubectl apply --server-side` + `kubectl wait`
 *                                          (bench/cluster.ts); min(runs, 3) runs, one warm-up at N = 10.
 *
 * Every figure is the median of the runs (with min and max); program/floor ratios are taken pair
 * by pair (the two run back to back) and their median reported, because these machines are noisy.
 * Prints a Markdown table and writes bench/results/latest.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { writeAuditExport } from "./audit-export";
import { benchConfig } from "./configs";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const RUNS = Number(flag("--runs") ?? 5);
const ONLY = new Set((flag("--only") ?? "mocks,engine,tests").split(","));
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

interface Stats { median: number; min: number; max: number }
const stats = (xs: number[]): Stats => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { median: mid, min: s[0], max: s[s.length - 1] };
};
const fmt = (s: Stats, unit = "") => `${s.median.toFixed(unit === "MB" ? 0 : 2)}${unit} (${s.min.toFixed(unit === "MB" ? 0 : 2)}–${s.max.toFixed(unit === "MB" ? 0 : 2)})`;

function runJson(cmd: string, argv: string[], cwd = ROOT): { ms: number; rssMB: number; resources: number } {
    const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

function timed(cmd: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
    const t0 = performance.now();
    const r = spawnSync(cmd, argv, { cwd, env, encoding: "utf8", maxBuffer: 1 << 26 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
    return ms;
}

/** Warm-up, then RUNS alternating pairs; returns per-side samples and pairwise ratios. */
function pairs(a: () => number, b: () => number): { a: number[]; b: number[]; ratio: number[] } {
    a(); b();
    const out = { a: [] as number[], b: [] as number[], ratio: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
        const x = a();
        const y = b();
        out.a.push(x); out.b.push(y); out.ratio.push(x / y);
    }
    return out;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "paas-bench-"));
const results: Record<string, unknown> = { runs: RUNS, node: process.version, cpus: os.cpus().length, date: new Date().toISOString() };
const table: string[] = [];
/** Writes what is measured so far, so a failure late in the run keeps the earlier figures. */
function save(): void {
    fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, "bench/results/latest.json"), `${JSON.stringify(results, null, 2)}\n`);
    fs.writeFileSync(path.join(ROOT, "bench/results/latest.md"), `${table.join("\n")}\n`);
}

// ---- program vs floor under mocks (each run a fresh process: module loading included)
if (ONLY.has("mocks")) {
    const mocks: Record<string, unknown> = {};
    table.push("| under mocks | N | program | floor | program/floor | program peak RSS | floor peak RSS |", "|---|---|---|---|---|---|---|");
    for (const n of [10, 100, 1000]) {
        const config = path.join(work, `config-${n}.json`);
        const graph = path.join(work, `graph-${n}.json`);
        fs.writeFileSync(config, JSON.stringify(benchConfig(n)));
        const captured = runJson(TSX, ["bench/program-run.ts", config, "--capture", graph]);
        log(`N=${n}: ${captured.resources} resources`);
        const rss = { program: [] as number[], floor: [] as number[] };
        const p = pairs(
            () => { const r = runJson(TSX, ["bench/program-run.ts", config]); rss.program.push(r.rssMB); return r.ms / 1000; },
            () => { const r = runJson(TSX, ["bench/floor-run.ts", graph]); rss.floor.push(r.rssMB); return r.ms / 1000; },
        );
        const row = { resources: captured.resources, programS: stats(p.a), floorS: stats(p.b), ratio: stats(p.ratio), programRssMB: stats(rss.program.slice(1)), floorRssMB: stats(rss.floor.slice(1)) };
        mocks[n] = row;
        table.push(`| | ${n} (${captured.resources} resources) | ${fmt(row.programS, "s")} | ${fmt(row.floorS, "s")} | **${row.ratio.median.toFixed(2)}** | ${fmt(row.programRssMB, "MB")} | ${fmt(row.floorRssMB, "MB")} |`);
    }
    const m = mocks as Record<number, { programS: Stats; floorS: Stats }>;
    const growth = { program: m[1000].programS.median / m[100].programS.median, floor: m[1000].floorS.median / m[100].floorS.median };
    results.mocks = { ...mocks, growth100to1000: growth };
    table.push(`| | growth 100 → 1000 | ${growth.program.toFixed(2)}× | ${growth.floor.toFixed(2)}× | | | |`, "");
    save();
}

// ---- real engine: `pulumi preview` of the local stack vs the same graph as raw resources
const BIN = path.join(ROOT, ".tools/bin");
const hasPulumi = spawnSync("bash", ["-c", `PATH="$PATH:${BIN}" command -v pulumi`]).status === 0;
if (ONLY.has("engine") && !hasPulumi) log("engine part skipped: no pulumi CLI (npm run toolchain builds one)");
if (ONLY.has("engine") && hasPulumi) {
    const engine: Record<string, unknown> = {};
    table.push("| real engine (`pulumi preview`) | N | program | floor | program/floor |", "|---|---|---|---|---|");
    for (const n of [10, 100]) {
        const graph = path.join(work, `graph-${n}.json`);
        const config = path.join(work, `config-${n}.json`);
        if (!fs.existsSync(graph)) {
            fs.writeFileSync(config, JSON.stringify(benchConfig(n)));
            runJson(TSX, ["bench/program-run.ts", config, "--capture", graph]);
        }
        const program = scratch(`program-${n}`, (dir) => {
            fs.copyFileSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
            for (const d of ["app", "core", "components"]) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, filter: (s) => !s.includes("node_modules") });
            fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), stringify({ config: benchConfig(n) }));
        });
        const floor = scratch(`floor-${n}`, (dir) => {
            fs.copyFileSync(path.join(ROOT, "bench/graph.ts"), path.join(dir, "graph.ts"));
            // Not graph.json: require("./graph") would resolve to the JSON before the .ts file.
            fs.copyFileSync(graph, path.join(dir, "nodes.json"));
            fs.writeFileSync(path.join(dir, "index.ts"), 'import { registerGraph } from "./graph";\nregisterGraph(require("./nodes.json"));\n');
            fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), "config: {}\n");
        });
        const preview = (s: { dir: string; env: NodeJS.ProcessEnv }) => () => timed("pulumi", ["preview", "--stack", "local", "--non-interactive"], s.dir, s.env) / 1000;
        const p = pairs(preview(program), preview(floor));
        const row = { programS: stats(p.a), floorS: stats(p.b), ratio: stats(p.ratio) };
        engine[n] = row;
        table.push(`| | ${n} | ${fmt(row.programS, "s")} | ${fmt(row.floorS, "s")} | **${row.ratio.median.toFixed(2)}** |`);
        log(`engine N=${n}: ratio ${row.ratio.median.toFixed(2)}`);
    }
    results.engine = engine;
    table.push("");
    save();
}

// ---- offline audit (`npm run audit`) of generated exports: opt-in, see the header
if (ONLY.has("audit")) {
    const sizes = (flag("--audit-sizes") ?? "10000,100000,1000000").split(",").map(Number);
    const audit: Record<string, unknown> = {};
    table.push("| `npm run audit` | N resources | export | time | per resource | growth from previous N |", "|---|---|---|---|---|---|");
    let previous: { n: number; s: number } | undefined;
    for (const n of sizes) {
        const file = path.join(work, `export-${n}.json`);
        const t0 = performance.now();
        const bytes = writeAuditExport(file, n);
        log(`audit N=${n}: export of ${(bytes / 1e6).toFixed(0)} MB written in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
        // Exit 1 is expected (the generator leaves one service in 1000 without an HPA); 2 or a crash is not.
        const once = () => {
            const t = performance.now();
            const r = spawnSync(TSX, ["policies/audit.ts", file, "--config", "policies/config/prod.json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 28 });
            if (r.status !== 0 && r.status !== 1) throw new Error(`audit of ${n} resources failed (${r.status ?? r.signal}):\n${r.stderr.slice(-3000)}`);
            return (performance.now() - t) / 1000;
        };
        const big = n >= 1_000_000;
        if (!big) once();
        const runs = Array.from({ length: big ? Math.min(RUNS, 3) : RUNS }, once);
        fs.rmSync(file, { force: true });
        const s = stats(runs);
        const growth = previous ? { fromN: previous.n, sizeRatio: n / previous.n, timeRatio: s.median / previous.s } : undefined;
        audit[n] = { exportMB: Math.round(bytes / 1e6), seconds: s, microsPerResource: (s.median / n) * 1e6, growth };
        table.push(`| | ${n} | ${(bytes / 1e6).toFixed(0)} MB | ${fmt(s, "s")} | ${((s.median / n) * 1e6).toFixed(1)} µs | ${growth ? `**${growth.timeRatio.toFixed(2)}×** for ${+growth.sizeRatio.toFixed(2)}× resources` : ""} |`);
        log(`audit N=${n}: median ${s.median.toFixed(1)}s${growth ? `, ${growth.timeRatio.toFixed(2)}× the time of N=${previous!.n}` : ""}`);
        previous = { n, s: s.median };
        results.audit = audit;
        save();
    }
    table.push("");
}

/** A scratch Pulumi project (node_modules linked) with its own file backend and a `local` stack. */
function scratch(name: string, fill: (dir: string) => void): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = path.join(work, name);
    fs.mkdirSync(path.join(dir, ".state"), { recursive: true });
    for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fill(dir);
    const env = {
        ...process.env, PATH: `${process.env.PATH}:${BIN}`, PULUMI_BACKEND_URL: `file://${dir}/.state`, PULUMI_HOME: path.join(dir, ".home"),
        PULUMI_CONFIG_PASSPHRASE: "bench", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    delete (env as Record<string, unknown>).KUBECONFIG;
    timed("pulumi", ["stack", "init", "local", "--non-interactive"], dir, env);
    return { dir, env };
}

// ---- the test suite and the type check
if (ONLY.has("tests")) {
    const t = { test: [] as number[], typecheck: [] as number[] };
    const run = (script: string) => timed("npm", ["run", "-s", script], ROOT) / 1000;
    run("typecheck");
    for (let i = 0; i < Math.max(1, Math.min(RUNS, 3)); i++) {
        t.typecheck.push(run("typecheck"));
        t.test.push(run("test"));
    }
    results.tests = { npmTestS: stats(t.test), typecheckS: stats(t.typecheck) };
    table.push("| suite | median (min–max) |", "|---|---|", `| \`npm test\` | ${fmt(stats(t.test), "s")} |`, `| \`npm run typecheck\` | ${fmt(stats(t.typecheck), "s")} |`, "");
}

async function finish(): Promise<void> {
    // ---- the real control plane: opt-in, see the header
    if (ONLY.has("cluster")) {
        if (!hasPulumi) throw new Error("the cluster part needs the toolchain: npm run toolchain");
        const { clusterBench } = await import("./cluster");
        const r = await clusterBench({ root: ROOT, work, runs: Math.min(RUNS, 3), log, stats, fmt, scratch, runJson, timed });
        results.cluster = r.rows;
        table.push(...r.table);
    }
    save();
    fs.rmSync(work, { recursive: true, force: true });
    process.stdout.write(`${table.join("\n")}\n`);
}

finish().catch((e) => {
    save();
    console.error(e);
    process.exit(1);
});
