/**
 * Offline audit: runs the policy pack over a `pulumi stack export` file, with no Pulumi CLI or
 * service. Usage: npm run audit -- <export.json> [--config <policy-config.json>] [--json]
 * Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 unreadable input.
 */
import * as fs from "node:fs";
import type { Subject } from "./src/policy";
import { type PolicyConfigFile, type Violation, evaluate } from "./src/run";

const USAGE = "usage: npm run audit -- <stack-export.json> [--config <policy-config.json>] [--json]";

export class AuditInputError extends Error {}

/** Reads a deployment (format version 3) into policy subjects: inputs for resource policies, as the engine does. */
export function subjectsOf(exported: any): Subject[] {
    const deployment = exported?.deployment ?? exported;
    if (!deployment || !Array.isArray(deployment.resources))
        throw new AuditInputError("not a stack export: expected deployment.resources[] (from `pulumi stack export`)");
    if (exported?.version !== undefined && exported.version !== 3)
        throw new AuditInputError(`unsupported deployment version ${exported.version}: expected 3`);
    return deployment.resources
        .filter((r: any) => typeof r?.urn === "string" && typeof r?.type === "string" && r.custom !== false && !r.type.startsWith("pulumi:"))
        .map((r: any) => ({ type: r.type, urn: r.urn, name: r.urn.split("::").pop(), props: r.inputs ?? {} }));
}

function readJson(path: string, what: string): any {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (e) {
        throw new AuditInputError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new AuditInputError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
    }
}

export function formatTable(violations: readonly Violation[]): string {
    if (violations.length === 0) return "no policy violations";
    const rows = [["POLICY", "LEVEL", "RESOURCE", "MESSAGE"], ...violations.map((v) => [v.policy, v.level, v.urn, v.message])];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ")).join("\n");
}

/** Runs the audit; returns the exit code and writes to the given streams. */
export function audit(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
    const args = [...argv];
    if (args.includes("--help") || args.includes("-h")) {
        out(USAGE);
        return 0;
    }
    const json = args.includes("--json");
    const rest = args.filter((a) => a !== "--json");
    const ci = rest.indexOf("--config");
    let configPath: string | undefined;
    if (ci >= 0) {
        configPath = rest[ci + 1];
        rest.splice(ci, 2);
        if (!configPath) {
            err(`audit: --config needs a file\n${USAGE}`);
            return 2;
        }
    }
    const unknown = rest.filter((a) => a.startsWith("-"));
    if (rest.length !== 1 || unknown.length) {
        err(`audit: ${unknown.length ? `unknown option ${unknown[0]}` : "expected exactly one export file"}\n${USAGE}`);
        return 2;
    }
    try {
        const subjects = subjectsOf(readJson(rest[0], "stack export"));
        const config: PolicyConfigFile = configPath ? readJson(configPath, "policy config") : {};
        const violations = evaluate(subjects, config);
        out(json ? JSON.stringify({ resources: subjects.length, violations }, null, 2) : formatTable(violations));
        const mandatory = violations.filter((v) => v.level === "mandatory").length;
        if (!json) out(`\n${subjects.length} resources, ${violations.length} violations (${mandatory} mandatory)`);
        return mandatory > 0 ? 1 : 0;
    } catch (e) {
        if (e instanceof AuditInputError) {
            err(`audit: ${e.message}`);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    process.exitCode = audit(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`));
}
