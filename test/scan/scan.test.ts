/**
 * Peer scanners over every stack's Kubernetes objects (the program under mocks, as `pulumi up`
 * would send them): kube-score, checkov and trivy, pinned in toolchain.versions. Any finding not in
 * policies/scan-exemptions.yaml fails, and so does an exemption that matches no finding.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ROOT, STACKS, runStack } from "../harness/stacks";

interface Finding { tool: Tool; check: string; kind: string; namespace: string; name: string; detail: string }
interface Exemption { tool: string; check: string | string[]; kind?: string | string[]; namespace?: string | string[]; name?: string | string[]; stacks?: string[]; why: string }

const TOOLS = ["kube-score", "checkov", "trivy"] as const;
type Tool = (typeof TOOLS)[number];
const BIN = path.join(ROOT, ".tools/bin");
const HOW = "run `npm run toolchain -- kube-score checkov trivy` (kube-score and trivy are built from their Go modules, checkov is installed from PyPI into .tools/venv)";

function tool(name: string): string {
    const p = path.join(BIN, name);
    if (!fs.existsSync(p)) throw new Error(`${name} is missing at .tools/bin/${name}: ${HOW}`);
    return p;
}

/** The objects of a stack that reach the API server, one YAML document each; Secret values are blanked. */
async function manifests(stack: string): Promise<Record<string, any>[]> {
    const run = await runStack(stack);
    return run.recorder.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh") && r.inputs.kind)
        .map((r) => {
            const o = structuredClone(r.inputs);
            for (const f of ["data", "stringData"]) if (o.kind === "Secret" && o[f]) o[f] = Object.fromEntries(Object.keys(o[f]).map((k) => [k, ""]));
            return o;
        });
}

const KUBE_SCORE_LINE = /^\[(CRITICAL|WARNING)\] ([^/\s]+)(?:\/(\S+))? \S+\/(\w+): (?:\(([^)]*)\) )?(.*)$/;

/** kube-score reads files, not directories: it is given every file of `dir` in one run, so checks across objects still see them all. */
function kubeScore(dir: string): Finding[] {
    const files = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
    const r = spawnSync(tool("kube-score"), ["score", "--kubernetes-version", "v1.35", "--output-format", "ci", ...files], { encoding: "utf8", maxBuffer: 64 << 20 });
    // Exit 1 means critical findings, but also that it could not read its input (said on stderr).
    if ((r.status !== 0 && r.status !== 1) || r.stderr.trim()) throw new Error(`kube-score failed (exit ${r.status}): ${r.stderr}`);
    const out: Finding[] = [];
    for (const line of r.stdout.split("\n")) {
        if (!/^\[(CRITICAL|WARNING)\]/.test(line)) continue;
        const m = KUBE_SCORE_LINE.exec(line);
        if (!m) throw new Error(`kube-score printed a line this test cannot read: ${line}`);
        out.push({ tool: "kube-score", name: m[2], namespace: m[3] ?? "", kind: m[4], check: m[6].trim(), detail: m[5] ? `container ${m[5]}` : "" });
    }
    return out;
}

function checkov(dir: string): { findings: Finding[]; passed: number } {
    const r = spawnSync(tool("checkov"), ["-d", dir, "--framework", "kubernetes", "--output", "json", "--quiet", "--compact", "--skip-download"], { encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`checkov failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    let report = JSON.parse(r.stdout || "{}");
    if (Array.isArray(report)) report = report.find((x) => x.check_type === "kubernetes") ?? report[0];
    const failed: any[] = report?.results?.failed_checks ?? [];
    return {
        passed: report?.summary?.passed ?? 0,
        findings: failed.map((f) => {
            // checkov names a resource Kind.namespace.name.
            const [kind, namespace, ...rest] = String(f.resource).split(".");
            return { tool: "checkov" as const, check: f.check_id, kind, namespace, name: rest.join("."), detail: f.check_name };
        }),
    };
}

/** One file per object, named `Kind_namespace_name.yaml`, so trivy's per-file results name the object (kube-score and checkov name it themselves). */
function objectFile(o: Record<string, any>): string {
    return `${o.kind}_${o.metadata?.namespace ?? ""}_${o.metadata?.name}.yaml`;
}

function trivy(dir: string, cache: string): { findings: Finding[]; passed: number } {
    // Offline: the checks embedded in the binary (no bundle download), no version notice, no telemetry.
    const r = spawnSync(tool("trivy"), [
        "config", "--format", "json", "--quiet", "--skip-check-update", "--skip-version-check", "--disable-telemetry", "--cache-dir", cache, dir,
    ], { encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`trivy failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    const report = JSON.parse(r.stdout);
    const findings: Finding[] = [];
    let passed = 0;
    for (const result of report.Results ?? []) {
        const m = /^([A-Za-z0-9]+)_([^_]*)_(.+)\.yaml$/.exec(path.basename(result.Target));
        if (!m) throw new Error(`trivy reported a file this test did not write: ${result.Target}`);
        passed += result.MisconfSummary?.Successes ?? 0;
        for (const f of result.Misconfigurations ?? []) {
            if (f.Status !== "FAIL") continue;
            findings.push({ tool: "trivy", check: f.ID, kind: m[1], namespace: m[2], name: m[3], detail: f.Message });
        }
    }
    return { findings, passed };
}

const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
function exempts(e: Exemption, f: Finding, stack: string): boolean {
    const is = (v: string | string[] | undefined, x: string) => list(v)?.includes(x) ?? true;
    return e.tool === f.tool && is(e.check, f.check) && is(e.kind, f.kind) && is(e.namespace, f.namespace) && is(e.name, f.name) && is(e.stacks, stack);
}
const show = (f: Finding) => `${f.tool}: ${f.kind} ${f.namespace}/${f.name}: ${f.check}${f.detail ? ` (${f.detail})` : ""}`;

const exemptions: Exemption[] = parse(fs.readFileSync(path.join(ROOT, "policies/scan-exemptions.yaml"), "utf8"));
const used = new Set<number>();
let dir: string;

beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-scan-")); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

describe("exemption file", () => {
    it("gives every exemption a tool, a check and a reason", () => {
        for (const e of exemptions) {
            expect(TOOLS, JSON.stringify(e)).toContain(e.tool);
            expect(list(e.check)?.length, JSON.stringify(e)).toBeGreaterThan(0);
            expect(e.why?.length ?? 0, `exemption ${JSON.stringify(e.check)} needs a why`).toBeGreaterThan(40);
        }
    });
});

describe.each(STACKS)("stack %s", (stack) => {
    it("has no unexempted kube-score, checkov or trivy finding", async () => {
        const objects = await manifests(stack);
        expect(objects.length).toBeGreaterThan(20);
        const sub = path.join(dir, stack);
        fs.mkdirSync(sub, { recursive: true });
        for (const o of objects) fs.writeFileSync(path.join(sub, objectFile(o)), stringify(o));
        expect(fs.readdirSync(sub).length, "two objects share a file name").toBe(objects.length);

        const ks = kubeScore(sub);
        const ck = checkov(sub);
        const tv = trivy(sub, path.join(dir, "trivy-cache"));
        // A scanner that read nothing would pass everything: checkov and trivy must have run their checks.
        expect(ck.passed, "checkov ran no checks").toBeGreaterThan(100);
        expect(tv.passed, "trivy ran no checks").toBeGreaterThan(100 * objects.length / 10);
        const open: string[] = [];
        for (const f of [...ks, ...ck.findings, ...tv.findings]) {
            const i = exemptions.findIndex((e) => exempts(e, f, stack));
            if (i < 0) open.push(show(f));
            else used.add(i);
        }
        console.log(`scan ${stack}: ${objects.length} objects; kube-score ${ks.length} findings, checkov ${ck.passed} passed / ${ck.findings.length} failed, trivy ${tv.passed} passed / ${tv.findings.length} failed; ${open.length} not exempted`);
        expect(open, `findings not in policies/scan-exemptions.yaml:\n${open.join("\n")}`).toEqual([]);
    });
});

describe("exemptions in use", () => {
    it("matches a finding with every exemption (remove the ones that no longer apply)", () => {
        const stale = exemptions.filter((_, i) => !used.has(i)).map((e) => `${e.tool} ${JSON.stringify(e.check)}`);
        expect(stale).toEqual([]);
    });
});
