/** The real Pulumi engine in a scratch copy of the project, on a scratch file backend. */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { ROOT } from "./stacks";

const BIN = path.join(ROOT, ".tools/bin");
export const engineEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${process.env.PATH}:${BIN}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
};
delete engineEnv.KUBECONFIG;

/**
 * The engine's environment with a file backend (`<dir>/.state`, created here) and a Pulumi home
 * (`<dir>/.pulumi-home`) of its own, then `extra` (a KUBECONFIG, say).
 */
export function scratchEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    fs.mkdirSync(path.join(dir, ".state"), { recursive: true });
    return { ...engineEnv, PULUMI_BACKEND_URL: `file://${dir}/.state`, PULUMI_HOME: path.join(dir, ".pulumi-home"), ...extra };
}

let pulumiPath: string | undefined;
export function pulumiBinary(): string {
    if (pulumiPath) return pulumiPath;
    const r = spawnSync("bash", ["-c", "command -v pulumi"], { env: engineEnv, encoding: "utf8" });
    if (r.status !== 0) throw new Error("no pulumi CLI: run `npm run toolchain` (builds it from Go modules into .tools/bin) or install the Pulumi CLI");
    return (pulumiPath = r.stdout.trim());
}

/**
 * The committed `local` stack config, changed by `edit` (parsed YAML), without the repo's
 * encryption salt: the scratch stack gets its own passphrase.
 */
export function localStackYaml(edit: (config: Record<string, any>) => void = () => {}): string {
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"));
    delete doc.encryptionsalt;
    edit(doc.config);
    return stringify(doc);
}

/**
 * A `local` stack of only `config` (none of the committed stack's services, routes, etcd or
 * access), deployed into the cluster of `kubeconfigFile`, with no gateway controller to install.
 */
export function clusterStackYaml(kubeconfigFile: string, config: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
    return localStackYaml((c) => {
        for (const k of Object.keys(c)) if (k.startsWith("paas:") && k !== "paas:cloud") delete c[k];
        Object.assign(c, { "paas:cluster": { local: { kubeconfigFile }, ...cluster }, "paas:addons": { gatewayController: "none" }, ...config });
    });
}

/** How a command ended: its exit code (-1 when it had none), stdout then stderr, and stdout alone. */
export interface RunResult { code: number; out: string; stdout: string }

export interface RunOptions {
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** Default 5 minutes; then SIGINT, on which pulumi stops its plugins and saves its state. */
    timeoutMs?: number;
    /** Returns a failure instead of throwing. */
    allowFail?: boolean;
}

const tail = (label: string, text: string, max = 4000) =>
    text.trim() ? `\n--- ${label}${text.length > max ? ` (last ${max} characters)` : ""}:\n${text.slice(-max)}` : "";

/**
 * Runs `command` to its end; unless `allowFail`, throws when it does not exit 0, naming the
 * command, how it ended and the ends of its stderr and stdout.
 */
export function runCommand(command: string, args: readonly string[], opts: RunOptions): RunResult {
    const timeout = opts.timeoutMs ?? 300_000;
    const r = spawnSync(command, args, { cwd: opts.cwd, env: opts.env, encoding: "utf8", timeout, killSignal: "SIGINT", maxBuffer: 64 << 20 });
    const stdout = r.stdout ?? "";
    const stderr = r.stderr ?? "";
    if ((r.error || r.status !== 0) && !opts.allowFail) {
        const how = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT" ? `timed out after ${timeout / 1000} s`
            : r.error ? `failed (${r.error.message})`
            : r.signal ? `was stopped by ${r.signal}`
            : `exited ${r.status}`;
        throw new Error(`${[path.basename(command), ...args].join(" ")} (in ${opts.cwd}) ${how}${tail("stderr", stderr)}${tail("stdout", stdout)}`);
    }
    return { code: r.status ?? -1, out: stdout + stderr, stdout };
}

const pulumiArgs = (args: readonly string[]) => [...args, "--non-interactive", "--color", "never"];

/** Runs the pulumi CLI (non-interactive, no colour) as {@link runCommand} does. */
export function runPulumi(args: readonly string[], opts: RunOptions): RunResult {
    return runCommand(pulumiBinary(), pulumiArgs(args), opts);
}

export interface ScratchProject {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    run(args: string[], allowFail?: boolean): RunResult;
    /** Starts pulumi without waiting; `stop()` interrupts it (SIGINT, the engine saves its state). */
    start(args: string[]): { done: Promise<RunResult>; output: () => string; stop: () => void };
    remove(): void;
}

/** A scratch copy of the project (node_modules linked) with its own backend and home. */
export function scratchProject(stackFile: string, opts: { index?: string; timeoutMs?: number } = {}): ScratchProject {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-engine-"));
    for (const f of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    if (opts.index !== undefined) fs.writeFileSync(path.join(dir, "index.ts"), opts.index);
    for (const d of ["app", "core", "components", "policies"]) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, filter: (s) => !s.includes("node_modules") });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), stackFile);
    const env = scratchEnv(dir);
    pulumiBinary(); // no CLI: fail here, before any test
    return {
        dir,
        env,
        run: (args, allowFail = false) => runPulumi(args, { cwd: dir, env, timeoutMs: opts.timeoutMs, allowFail }),
        start: (args) => {
            const child = spawn(pulumiBinary(), pulumiArgs(args), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            let stdout = "";
            child.stdout.on("data", (c) => { out += c; stdout += c; });
            child.stderr.on("data", (c) => (out += c));
            const done = new Promise<RunResult>((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, out, stdout })));
            return { done, output: () => out, stop: () => void child.kill("SIGINT") };
        },
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}
