import { describe, expect, it } from "vitest";
import { ADDON_CHARTS } from "../core/src/addons";
import { platformAddons } from "../components/src/planners/platform";
import { ADDON_NAMESPACE_LABEL, ENVOY_PROXY_POD_LABELS, hardenedValues, planAddonNamespaces } from "../core/src/planners/addons";
import { runStack } from "./harness/stacks";

/** Every object in a values tree whose key is `key` (securityContexts, resources…), with its path. */
function findAll(tree: unknown, key: string, at = ""): [string, any][] {
    if (typeof tree !== "object" || tree === null) return [];
    return Object.entries(tree).flatMap(([k, v]) => [...(k === key ? [[`${at}${k}`, v] as [string, any]] : []), ...findAll(v, key, `${at}${k}.`)]);
}

describe("add-ons under the platform's rules", () => {
    it("give every chart part resources with limits, and locked-down container securityContexts", () => {
        for (const addon of ["metricsServer", "certManager", "envoyGateway", "monitoring"] as const) {
            const values = hardenedValues(addon);
            const res = findAll(values, "resources");
            expect(res.length, addon).toBeGreaterThan(0);
            for (const [at, r] of res) expect([addon, at, Object.keys(r.requests).sort(), Object.keys(r.limits).sort()]).toEqual([addon, at, ["cpu", "memory"], ["cpu", "memory"]]);
            const containers = [...findAll(values, "containerSecurityContext"), ...findAll(values, "securityContext").filter(([, v]) => "capabilities" in v)];
            expect(containers.length, addon).toBeGreaterThan(0);
            for (const [at, c] of containers)
                expect([addon, at, c]).toEqual([addon, at, expect.objectContaining({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } })]);
        }
        // Two replicas and a budget for each long-running part.
        const cm = hardenedValues("certManager") as any;
        for (const part of [cm, cm.webhook, cm.cainjector]) expect([part.replicaCount, part.podDisruptionBudget.enabled]).toEqual([2, true]);
        expect((hardenedValues("envoyGateway") as any).podDisruptionBudget).toEqual({ minAvailable: 1 });
        expect((hardenedValues("metricsServer") as any).podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    });

    it("plan a labelled namespace with a default deny and only the flows each chart needs", () => {
        const plans = planAddonNamespaces(["metricsServer", "certManager", "envoyGateway"], "apps");
        expect(plans.map((p) => [p.addon, p.namespace?.name, p.namespace?.labels["pod-security.kubernetes.io/enforce"], p.networkPolicies.map((n) => n.name)])).toEqual([
            ["metricsServer", undefined, undefined, []],
            ["certManager", "cert-manager", "restricted", ["default-deny", "allow-same-namespace", "allow-webhook-from-api-server", "allow-acme-egress"]],
            ["envoyGateway", "envoy-gateway-system", "baseline", ["default-deny", "allow-same-namespace", "allow-webhook-from-api-server", "allow-proxy-traffic"]],
        ]);
        const proxy = plans[2].networkPolicies.find((n) => n.name === "allow-proxy-traffic")!.spec as any;
        expect(proxy.podSelector.matchLabels).toEqual(ENVOY_PROXY_POD_LABELS);
        expect(proxy.egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } } }] }]);
        // Restricted is audited and warned everywhere, whatever is enforced.
        for (const p of plans.filter((x) => x.namespace)) expect([p.namespace!.labels["pod-security.kubernetes.io/audit"], p.namespace!.labels["pod-security.kubernetes.io/warn"]]).toEqual(["restricted", "restricted"]);
        for (const p of plans.filter((x) => x.namespace)) expect(p.namespace!.labels[ADDON_NAMESPACE_LABEL]).toBe(p.addon);
    });

    it("declare the namespaces before the releases, which never create one (aws-prod)", async () => {
        const run = await runStack("aws-prod");
        const releases = run.recorder.ofType("kubernetes:helm.sh/v3:Release");
        expect(releases.length).toBeGreaterThan(0);
        for (const r of releases) expect([r.name, r.inputs.createNamespace]).toEqual([r.name, false]);
        // The add-ons' releases carry the hardened values (the cluster's own, such as Karpenter, are the cluster's).
        const addons = releases.flatMap((r) => (Object.keys(ADDON_CHARTS) as (keyof typeof ADDON_CHARTS)[]).filter((k) => r.name === `paas-${k}`).map((k) => [k, r] as const));
        expect(addons.map(([k]) => k)).toEqual(["metricsServer", "envoyGateway"]);
        for (const [key, r] of addons) expect(r.inputs.values).toEqual(hardenedValues(key));
        const namespaces = run.recorder.ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name);
        for (const r of releases.filter((x) => x.inputs.namespace !== "kube-system")) expect(namespaces).toContain(r.inputs.namespace);
        expect(platformAddons({ certManager: true, gatewayController: "envoy" }, "aws")).toEqual(["metricsServer", "certManager", "envoyGateway"]);
        expect(platformAddons({ metricsServer: false, gatewayController: "none" }, "aws")).toEqual([]);
    });
});
