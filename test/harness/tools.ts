/** Finding a binary the toolchain builds: its copy in .tools/bin first, else one on PATH. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./stacks";

/**
 * The first `name` (in .tools/bin, then on PATH) whose output for `versionArgs` matches `version`;
 * throws `no <what> found: <how>` when there is none.
 */
export function findTool(name: string, versionArgs: readonly string[], version: RegExp, what: string, how: string): string {
    const candidates = [path.join(ROOT, ".tools/bin", name), ...(process.env.PATH ?? "").split(":").filter(Boolean).map((d) => path.join(d, name))];
    for (const c of candidates) {
        if (!fs.existsSync(c)) continue;
        let v = "";
        try {
            v = execFileSync(c, [...versionArgs], { encoding: "utf8", stdio: "pipe" });
        } catch {
            continue;
        }
        if (version.test(v)) return c;
    }
    throw new Error(`no ${what} found: ${how}`);
}
