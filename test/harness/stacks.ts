/** Loads a stack's config the way the engine does: project defaults, then the stack file. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../../app/main";
import { type Recorder, resolve, settle, useMocks } from "./mocks";

export const ROOT = path.resolve(__dirname, "../..");
export const KUBECONFIG_FIXTURE = path.join(ROOT, "test/fixtures/kubeconfig");
export const STACKS = ["local", "dev", "aws-prod", "gcp-prod", "azure-prod"] as const;

export function stackConfig(stack: string): Record<string, unknown> {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    const out: Record<string, unknown> = {};
    for (const [k, decl] of Object.entries<any>(project.config ?? {})) {
        if (decl && typeof decl === "object" && "default" in decl) out[k.includes(":") ? k : `${project.name}:${k}`] = decl.default;
    }
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    const stackFile = parse(fs.readFileSync(file, "utf8"));
    const config = { ...out, ...(stackFile.config ?? {}) };
    // The local stack names the kubeconfig cluster:up writes; under mocks a fixture stands in for it.
    const local = (config["paas:cluster"] as any)?.local;
    if (local?.kubeconfigFile !== undefined) config["paas:cluster"] = { ...(config["paas:cluster"] as object), local: { ...local, kubeconfigFile: KUBECONFIG_FIXTURE } };
    return config;
}

export interface ProgramRun {
    readonly recorder: Recorder;
    /** Stack outputs, resolved, with their secretness. */
    readonly outputs: Record<string, { value: unknown; secret: boolean }>;
}

/** Runs the whole program under mocks with `config` and waits for every registration. */
export async function runProgram(stack: string, config: Record<string, unknown>, secretKeys: string[] = []): Promise<ProgramRun> {
    const recorder = await useMocks(stack, config, secretKeys);
    const exported = main();
    const outputs: ProgramRun["outputs"] = {};
    for (const [k, v] of Object.entries(exported)) outputs[k] = await resolve(v);
    await settle();
    return { recorder, outputs };
}

export function runStack(stack: string, override: (c: Record<string, unknown>) => Record<string, unknown> = (c) => c): Promise<ProgramRun> {
    return runProgram(stack, override(stackConfig(stack)));
}
