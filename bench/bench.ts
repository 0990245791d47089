/**
 * `npm run bench`: how the program's cost grows with the platform, against the SDK floor.
 *
 *   npm run bench                          everything (mocks, real engine when the toolchain is there, tests)
 *   npm run bench -- --only mocks,engine   a subset: mocks, engine, tests
 *   npm run bench -- --runs 7              measured runs per figure (after one warm-up), default 5
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
            for (const d of ["app", "components"]) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, filter: (s) => !s.includes("node_modules") });
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

save();
fs.rmSync(work, { recursive: true, force: true });
process.stdout.write(`${table.join("\n")}\n`);
