/**
 * The README's policy table, generated from the pack itself.
 * `npm run docs:policies` rewrites it in README.md; a test fails when it is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { allPolicies } from "./src/all";
import { enforcementLevel, type PolicyConfigFile } from "./src/run";

const BEGIN = "<!-- policies:begin -->";
const END = "<!-- policies:end -->";

export function policyTable(dev: PolicyConfigFile): string {
    const rows = allPolicies.map((p) => {
        const settings = Object.entries(p.configSchema?.properties ?? {}).map(([k, s]) => `\`${k}\` (${JSON.stringify((s as { default?: unknown }).default)})`).join(", ");
        const kind = "validateStack" in p ? "stack" : "resource";
        return `| \`${p.name}\` | ${kind} | ${p.description} | ${p.enforcementLevel} | ${enforcementLevel(p, dev)} | ${settings || "–"} |`;
    });
    return ["| policy | scope | rule | default level | dev.json | settings (default) |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

export function withTable(readme: string, table: string): string {
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    if (start < 0 || end < start) throw new Error(`README.md lacks the ${BEGIN} … ${END} markers`);
    return `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    const dev = JSON.parse(fs.readFileSync(path.join(root, "policies/config/dev.json"), "utf8"));
    const file = path.join(root, "README.md");
    fs.writeFileSync(file, withTable(fs.readFileSync(file, "utf8"), policyTable(dev)));
    console.log(`README.md: ${allPolicies.length} policies`);
}
