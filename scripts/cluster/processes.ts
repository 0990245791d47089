/**
 * Background processes of the local control plane: each started detached with its own log file
 * and a pid file holding the PID, the binary and the process's start time. Only a PID from such a
 * file whose start time (and binary) still match is ever signalled, so a reused PID is never
 * touched, and a process whose binary was rebuilt since is still found.
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
    /** Field 22 of /proc/<pid>/stat (clock ticks since boot). */
    readonly startTime?: string;
}

const pidPath = (dir: string, name: string) => path.join(dir, "pids", `${name}.pid`);
export const logPath = (dir: string, name: string) => path.join(dir, "logs", `${name}.log`);

function readPidFile(dir: string, name: string): PidFile | undefined {
    try {
        const [pid, binary, startTime] = fs.readFileSync(pidPath(dir, name), "utf8").split("\n");
        const n = Number(pid);
        return Number.isInteger(n) && n > 0 && binary ? { pid: n, binary, startTime: startTime || undefined } : undefined;
    } catch {
        return undefined;
    }
}

/** Start time of a live (not zombie) process, or undefined. */
function startTimeOf(pid: number): string | undefined {
    try {
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return rest[0] === "Z" ? undefined : rest[19];
    } catch {
        return undefined;
    }
}

/** True when `pid` is a live process (not a zombie). */
export function isAlive(pid: number): boolean {
    return startTimeOf(pid) !== undefined;
}

/** True when the process of the pid file runs: same start time, and the binary it was started from. */
function isOurs(p: PidFile): boolean {
    const started = startTimeOf(p.pid);
    if (started === undefined || (p.startTime !== undefined && started !== p.startTime)) return false;
    try {
        // A rebuilt binary leaves the running process's exe as "<path> (deleted)".
        return fs.readlinkSync(`/proc/${p.pid}/exe`).replace(/ \(deleted\)$/, "") === fs.realpathSync(p.binary);
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
    fs.writeFileSync(pidPath(dir, spec.name), `${child.pid}\n${fs.realpathSync(spec.binary)}\n${startTimeOf(child.pid) ?? ""}\n`);
    return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops the process of a pid file (TERM, then KILL after `graceMs`); true if one was running. */
export async function stop(dir: string, name: string, graceMs = 10_000): Promise<boolean> {
    const p = readPidFile(dir, name);
    if (!p) return false;
    let was = false;
    const signal = (sig: NodeJS.Signals) => {
        try {
            process.kill(p.pid, sig);
        } catch {
            // it exited in between
        }
    };
    if (isOurs(p)) {
        was = true;
        signal("SIGTERM");
        const deadline = Date.now() + graceMs;
        while (isOurs(p) && Date.now() < deadline) await sleep(100);
        if (isOurs(p)) {
            signal("SIGKILL");
            const killDeadline = Date.now() + 10_000;
            while (isOurs(p) && Date.now() < killDeadline) await sleep(50);
            if (isOurs(p)) throw new Error(`${name} (PID ${p.pid}) survived SIGKILL for 10 s`);
        }
    }
    fs.rmSync(pidPath(dir, name), { force: true });
    return was;
}
