/** The binaries the toolchain builds, for the tests: finding one, running it as a server, stopping it. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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

/** Starts `binary` with stdout and stderr appended to `logFile`. */
export function spawnLogged(binary: string, args: readonly string[], logFile: string, cwd?: string): ChildProcess {
    const log = fs.openSync(logFile, "a");
    try {
        return spawn(binary, [...args], { cwd, stdio: ["ignore", log, log] });
    } finally {
        fs.closeSync(log);
    }
}

/**
 * Signals a process the test started, by its PID, and waits until it has exited; false (and
 * nothing sent) when it was not running.
 */
export async function stopChild(p: ChildProcess | undefined, signal: NodeJS.Signals): Promise<boolean> {
    if (!p || p.exitCode !== null || p.signalCode !== null) return false;
    const gone = new Promise((res) => p.once("exit", res));
    process.kill(p.pid!, signal);
    await gone;
    return true;
}
