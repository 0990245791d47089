import { describe, expect, it } from "vitest";
import { runProgram, runStack } from "./harness/stacks";

/** The local stack, rendering manifests instead of deploying into the project's control plane. */
const rendered = (c: Record<string, unknown>) => ({ ...c, "paas:cluster": { local: { renderDirectory: "rendered" } } });

describe("local cloud", () => {
    it("creates no cloud resource and renders manifests to the configured folder", async () => {
        const run = await runStack("local", rendered);
        expect(run.recorder.resources.filter((r) => /^(aws|gcp|azure-native):/.test(r.type))).toEqual([]);
        const provider = run.recorder.get("pulumi:providers:kubernetes", "paas-cluster-k8s").inputs;
        expect(provider.renderYamlToDirectory).toBe("rendered");
        expect(provider.kubeconfig).toBeUndefined();
        expect(run.outputs.renderDirectory.value).toBe("rendered");
        expect(run.outputs.kubeconfig).toEqual({ value: "", secret: true });
    });

    it("declares the platform namespace with the restricted Pod Security Standard and a default-deny policy", async () => {
        const run = await runStack("local");
        const ns = run.recorder.get("kubernetes:core/v1:Namespace", "paas-ns").inputs;
        expect(ns.metadata.name).toBe("apps");
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        const deny = run.recorder.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "paas-default-deny").inputs;
        expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        expect(deny.metadata.namespace).toBe("apps");
    });

    it("targets an existing cluster through a secret kubeconfig", async () => {
        const kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n";
        const run = await runProgram("local", { "paas:cloud": "local", "paas:kubeconfig": kubeconfig }, ["paas:kubeconfig"]);
        const provider = run.recorder.get("pulumi:providers:kubernetes", "paas-cluster-k8s").inputs;
        expect(provider.renderYamlToDirectory).toBeUndefined();
        expect(provider.kubeconfig).toBe(kubeconfig);
        expect(run.recorder.get("pulumi:providers:kubernetes", "paas-cluster-k8s").secretInputs).toEqual(["kubeconfig"]);
        expect(run.outputs.kubeconfig).toEqual({ value: kubeconfig, secret: true });
        expect(run.outputs.renderDirectory.value).toBeUndefined();
    });
});
