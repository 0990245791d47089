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

export function pulumiBinary(): string {
    const r = spawnSync("bash", ["-c", "command -v pulumi"], { env: engineEnv, encoding: "utf8" });
    if (r.status !== 0) throw new Error("no pulumi CLI: run `npm run toolchain` (builds it from Go modules into .tools/bin) or install the Pulumi CLI");
    return r.stdout.trim();
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

export interface RunResult { code: number; out: string }

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
    fs.mkdirSync(path.join(dir, ".state"));
    const env = { ...engineEnv, PULUMI_BACKEND_URL: `file://${dir}/.state`, PULUMI_HOME: path.join(dir, ".pulumi-home") };
    const bin = pulumiBinary();
    const argv = (args: string[]) => [...args, "--non-interactive", "--color", "never"];
    return {
        dir,
        env,
        run: (args, allowFail = false) => {
            // SIGINT on timeout: the engine stops its plugins and saves its state.
            const r = spawnSync(bin, argv(args), { cwd: dir, env, encoding: "utf8", timeout: opts.timeoutMs ?? 300_000, killSignal: "SIGINT", maxBuffer: 64 * 1024 * 1024 });
            const out = `${r.stdout}${r.stderr}`;
            const how = r.error ? `failed (${r.error.message})` : r.signal ? `was stopped by ${r.signal}` : `exited ${r.status}`;
            if (r.status !== 0 && !allowFail) throw new Error(`pulumi ${args.join(" ")} ${how}:\n${out.slice(-4000)}`);
            return { code: r.status ?? -1, out };
        },
        start: (args) => {
            const child = spawn(bin, argv(args), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            child.stdout.on("data", (c) => (out += c));
            child.stderr.on("data", (c) => (out += c));
            const done = new Promise<RunResult>((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, out })));
            return { done, output: () => out, stop: () => void child.kill("SIGINT") };
        },
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}
