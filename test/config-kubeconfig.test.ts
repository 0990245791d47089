/** `paas:cluster.local.kubeconfigFile`: the local stack's way to name the project's control plane. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../app/config";
import { ConfigError } from "../core/src/validation";
import { KUBECONFIG_FIXTURE, ROOT, runStack } from "./harness/stacks";

const enc = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
function problems(config: Record<string, unknown>): string[] {
    try {
        // As `pulumi config set --secret paas:kubeconfig` leaves it (a plain-text one is refused on its own).
        parseConfig(enc(config), "local", ["paas:kubeconfig"]);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems.map((p) => `${p.path} ${p.message}`);
    }
    return [];
}
const local = (l: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ "paas:cloud": "local", "paas:cluster": { local: l }, ...extra });

describe("paas:cluster.local.kubeconfigFile", () => {
    it("is what the committed local stack uses: the file cluster:up writes", () => {
        const stack = parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"));
        expect(stack.config["paas:cluster"].local).toEqual({ kubeconfigFile: ".tools/cluster/kubeconfig" });
    });

    it("resolves an existing file and reads nothing else", () => {
        const cfg = parseConfig(enc(local({ kubeconfigFile: KUBECONFIG_FIXTURE })), "local");
        expect(cfg.kubeconfigFile).toBe(KUBECONFIG_FIXTURE);
        expect(cfg.hasKubeconfig).toBe(false);
        expect(cfg.cluster.local).toBeUndefined();
    });

    it.each([
        ["a missing file", local({ kubeconfigFile: "no/such/kubeconfig" }),
            "paas:cluster.local.kubeconfigFile names no file: start the project's local control plane (npm run cluster:up writes .tools/cluster/kubeconfig) or give the path of an existing cluster's kubeconfig"],
        ["a folder", local({ kubeconfigFile: os.tmpdir() }),
            `paas:cluster.local.kubeconfigFile names no file: start the project's local control plane (npm run cluster:up writes .tools/cluster/kubeconfig) or give the path of an existing cluster's kubeconfig`],
        ["with a render folder", local({ kubeconfigFile: KUBECONFIG_FIXTURE, renderDirectory: "out" }),
            `paas:cluster.local.kubeconfigFile and paas:cluster.local.renderDirectory exclude each other (deploy into a cluster, or render manifests); set only one`],
        ["with paas:kubeconfig", local({ kubeconfigFile: KUBECONFIG_FIXTURE }, { "paas:kubeconfig": "apiVersion: v1" }),
            `paas:cluster.local.kubeconfigFile and paas:kubeconfig both name a cluster; set only one`],
        ["on a cloud", { "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": { local: { kubeconfigFile: KUBECONFIG_FIXTURE } } },
            `paas:cluster.local.kubeconfigFile is only used with cloud "local" (the cloud is "aws"); remove it`],
        ["not a string", local({ kubeconfigFile: 3 }), "paas:cluster.local.kubeconfigFile must be a string"],
    ])("refuses %s", (_what, config, message) => {
        expect(problems(config)).toEqual([message]);
    });

    it("hands the file's content to the cluster provider as a secret", async () => {
        const run = await runStack("local");
        const provider = run.recorder.get("pulumi:providers:kubernetes", "paas-cluster-k8s");
        expect(provider.inputs.renderYamlToDirectory).toBeUndefined();
        // Provider inputs reach the engine as strings.
        expect(provider.inputs.enableServerSideApply).toBe("true");
        expect(run.outputs.kubeconfig).toEqual({ value: fs.readFileSync(KUBECONFIG_FIXTURE, "utf8"), secret: true });
    });
});
