/**
 * Background processes of the local control plane: each started detached with its own log file
 * and a pid file holding the PID and the binary. Only a PID from such a file whose
 * /proc/<pid>/exe is still that binary is ever signalled, so a reused PID is never touched.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ProcessSpec {
    readonly name: string;
    readonly binary: string;
    readonly args: readonly string[];
}

interface PidFile {
    readonly pid: number;
    readonly binary: string;
}

const pidPath = (dir: string, name: string) => path.join(dir, "pids", `${name}.pid`);
export const logPath = (dir: string, name: string) => path.join(dir, "logs", `${name}.log`);

function readPidFile(dir: string, name: string): PidFile | undefined {
    try {
        const [pid, binary] = fs.readFileSync(pidPath(dir, name), "utf8").split("\n");
        const n = Number(pid);
        return Number.isInteger(n) && n > 0 && binary ? { pid: n, binary } : undefined;
    } catch {
        return undefined;
    }
}

/** True when the process of the pid file runs and is still the binary it was started from. */
function isOurs(p: PidFile): boolean {
    try {
        return fs.realpathSync(`/proc/${p.pid}/exe`) === fs.realpathSync(p.binary);
    } catch {
        return false;
    }
}

export type ProcessState = { state: "running"; pid: number } | { state: "exited"; pid: number } | { state: "never started" };

export function processState(dir: string, name: string): ProcessState {
    const p = readPidFile(dir, name);
    if (!p) return { state: "never started" };
    return isOurs(p) ? { state: "running", pid: p.pid } : { state: "exited", pid: p.pid };
}

/** The last lines of a component's log, for error messages. */
export function logTail(dir: string, name: string, lines = 15): string {
    try {
        const text = fs.readFileSync(logPath(dir, name), "utf8").trimEnd().split("\n");
        return text.slice(-lines).map((l) => `    ${l}`).join("\n");
    } catch {
        return "    (no log)";
    }
}

export function start(dir: string, spec: ProcessSpec): number {
    fs.mkdirSync(path.join(dir, "pids"), { recursive: true });
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    if (!fs.existsSync(spec.binary)) throw new Error(`${spec.binary} does not exist: run \`npm run toolchain\` (it builds the control plane from Go modules)`);
    const out = fs.openSync(logPath(dir, spec.name), "a");
    fs.writeSync(out, `\n--- ${new Date().toISOString()} ${path.basename(spec.binary)} ${spec.args.join(" ")}\n`);
    const child = spawn(spec.binary, spec.args, { cwd: dir, detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    if (child.pid === undefined) throw new Error(`could not start ${spec.binary}`);
    child.unref();
    fs.writeFileSync(pidPath(dir, spec.name), `${child.pid}\n${spec.binary}\n`);
    return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops the process of a pid file (TERM, then KILL after `graceMs`); true if one was running. */
export async function stop(dir: string, name: string, graceMs = 10_000): Promise<boolean> {
    const p = readPidFile(dir, name);
    if (!p) return false;
    let was = false;
    if (isOurs(p)) {
        was = true;
        process.kill(p.pid, "SIGTERM");
        const deadline = Date.now() + graceMs;
        while (isOurs(p) && Date.now() < deadline) await sleep(100);
        if (isOurs(p)) {
            process.kill(p.pid, "SIGKILL");
            while (isOurs(p)) await sleep(50);
        }
    }
    fs.rmSync(pidPath(dir, name), { force: true });
    return was;
}
