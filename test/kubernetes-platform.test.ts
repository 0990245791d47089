/**
 * The core's KubernetesPlatform and KubernetesAccess on their own, under mocks: the Kubernetes
 * layer of a platform on a cluster given by its provider (no cloud, no cluster component), with
 * its defaults, its checks all at once before anything is declared, and the RBAC of its rules;
 * and AccessControl, whose RBAC half is a KubernetesAccess that keeps the objects' old URNs.
 */
import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { AccessControl } from "../components/src/accessControl";
import { KubernetesAccess } from "../core/src/kubernetesAccess";
import { KubernetesPlatform, type KubernetesPlatformArgs } from "../core/src/kubernetesPlatform";
import { configErrorOf } from "./harness/config";
import { type Recorder, settle, useMocks } from "./harness/mocks";

const T = {
    layer: "paas:index:KubernetesPlatform",
    access: "paas:index:KubernetesAccess",
    release: "kubernetes:helm.sh/v3:Release",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    binding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    namespace: "kubernetes:core/v1:Namespace",
};

const ARGS: KubernetesPlatformArgs = {
    services: [
        { name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080, calls: ["api"] },
        { name: "api", image: "ghcr.io/acme/api:1.0.0", port: 9090 },
    ],
    routes: [{ name: "shop", backends: [{ service: "web", capacity: 3 }, { service: "api", capacity: 1 }] }],
    access: { rules: [{ name: "devs", subjects: [{ kind: "Group", name: "devs" }], resources: ["pods", "deployments"], namespace: "apps", permission: "read" }] },
};

async function build(args: KubernetesPlatformArgs): Promise<{ r: Recorder; layer: KubernetesPlatform }> {
    const r = await useMocks("test");
    const provider = new k8s.Provider("existing", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    const layer = new KubernetesPlatform("shop", args, { provider });
    await settle();
    return { r, layer };
}


describe("KubernetesPlatform on a cluster you already have", () => {
    it("declares the layer with its defaults, on the given provider, with no alias", async () => {
        const { r, layer } = await build(ARGS);
        expect(layer.gatewayController).toBe("envoy");
        expect(r.ofType(T.namespace).map((n) => [n.name, n.inputs.metadata.name, n.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]]).sort()).toEqual([
            ["shop-envoyGateway-ns", "envoy-gateway-system", "baseline"], ["shop-gateway-ns", "gateway", "restricted"], ["shop-ns", "apps", "restricted"],
        ]);
        // Envoy Gateway is the one add-on on by default: no metrics-server, no cert-manager.
        expect(r.ofType(T.release).map((x) => x.inputs.chart)).toEqual(["oci://docker.io/envoyproxy/gateway-helm"]);
        expect(r.ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")[0].inputs.spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([["web", 75], ["api", 25]]);
        const custom = r.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"));
        expect(custom.length).toBeGreaterThan(20);
        expect(custom.filter((x) => !x.provider.includes("::existing::")).map((x) => x.name)).toEqual([]);
        // The kubernetes SDK aliases its own kinds' older API versions; the layer adds no alias of its own.
        expect(r.resources.filter((x) => x.aliases.some((a) => a.type === undefined)).map((x) => x.name)).toEqual([]);
        expect(layer.warnings).toEqual([]);
    });

    it("leaves the Helm releases out when rendering, and installs metrics-server when asked", async () => {
        expect((await build({ ...ARGS, renderOnly: true })).r.ofType(T.release)).toEqual([]);
        expect((await build({ ...ARGS, addons: { metricsServer: true, gatewayController: "none" } })).r.ofType(T.release).map((x) => x.inputs.chart)).toEqual(["metrics-server"]);
    });

    it("compiles the access rules to a Role and its binding under KubernetesAccess", async () => {
        const { r, layer } = await build(ARGS);
        const access = r.get(T.access, "shop-access");
        expect(access.parent).toBe(r.get(T.layer, "shop").urn);
        expect(r.childrenOf(T.access, "shop-access").map((x) => [x.type, x.name, x.inputs.metadata.name])).toEqual([
            [T.role, "shop-access-paas-devs", "paas-devs"], [T.binding, "shop-access-paas-devs-binding", "paas-devs"],
        ]);
        expect(layer.services().size).toBe(2);
        expect(layer.kubernetesAccess()!.matrix["Group:devs"]["apps/pods"]).toEqual(["get", "list", "watch"]);
    });

    it("lists who can run pods as a service with an identity, and refuses it with protectWorkloadIdentities", async () => {
        const write = { name: "ci", subjects: [{ kind: "Group" as const, name: "ci" }], resources: ["deployments"], namespace: "apps", permission: "write" as const };
        const { layer } = await build({ ...ARGS, access: { rules: [write], identityServices: ["api"] } });
        expect(layer.kubernetesAccess()!.runAs).toEqual({ "Group:ci": ["apps/api"] });
        await useMocks("test");
        expect(configErrorOf(() => new KubernetesPlatform("shop", { ...ARGS, access: { rules: [write], identityServices: ["api"], protectWorkloadIdentities: true } }))).toContain(
            'args.access.rules[0] lets its subjects run pods as apps/api, which hold cloud identities',
        );
    });

    it("refuses bad args all at once, naming each key, before declaring anything", async () => {
        const r = await useMocks("test");
        const message = configErrorOf(() => new KubernetesPlatform("shop", {
            namespace: "kube-system",
            services: [{ name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080 }, { name: "web", image: "ghcr.io/acme/web:latest" }],
            routes: [{ name: "shop", backends: [{ service: "nope" }] }],
            addons: { gatewayController: "traefik" as never },
            access: { identityServices: ["ghost"], rules: [{ name: "all", subjects: [{ kind: "Group", name: "system:authenticated" }], resources: ["pods"], permission: "read" }] },
        }));
        expect(message).toMatch(/^invalid KubernetesPlatform "shop" arguments \(7 problems\)/);
        for (const key of ["args.namespace", "args.services[1].name", "args.services[1].image", "args.routes[0].backends[0].service", "args.addons.gatewayController", "args.access.identityServices[0]", "args.access.rules[0].subjects[0].name"])
            expect(message).toContain(`  - ${key} `);
        await settle();
        expect(r.resources).toEqual([]);
    });
});

describe("KubernetesAccess", () => {
    it("binds break-glass subjects to cluster-admin, flagged, and checks its ServiceAccount list", async () => {
        const r = await useMocks("test");
        new KubernetesAccess("ops", { prefix: "ops", breakGlassClusterAdmins: [{ kind: "User", name: "oncall@example.com" }] });
        await settle();
        const glass = r.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "ops-break-glass-cluster-admin");
        expect([glass.inputs.metadata.name, glass.inputs.roleRef.name, glass.inputs.metadata.labels["paas.dev/break-glass"]]).toEqual(["ops-break-glass-cluster-admin", "cluster-admin", "true"]);
        expect(configErrorOf(() => new KubernetesAccess("bad", { identityServiceAccounts: ["apps"] }))).toContain('args.identityServiceAccounts[0] must be "<namespace>/<service account>", got "apps"');
    });

    it("is AccessControl's RBAC half: its objects keep the URNs they had under AccessControl", async () => {
        const r = await useMocks("test");
        const ac = new AccessControl("team", {
            cloud: "local", clusterName: "c",
            rules: [{ name: "devs", subjects: [{ kind: "Group", name: "devs" }], resources: ["pods"], namespace: "apps", permission: "read" }],
        });
        await settle();
        const acUrn = r.get("paas:index:AccessControl", "team").urn;
        const rbac = r.get(T.access, "team");
        expect(rbac.parent).toBe(acUrn);
        const moved = r.childrenOf(T.access, "team").map((x) => [x.name, x.aliases.filter((a) => a.type === undefined)]);
        expect(moved).toEqual([["team-paas-devs", [{ parentUrn: acUrn }]], ["team-paas-devs-binding", [{ parentUrn: acUrn }]]]);
        expect(ac.matrix).toEqual({ "Group:devs": { "apps/pods": ["get", "list", "watch"] } });
    });
});
