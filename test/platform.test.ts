/**
 * The Platform component under mocks: child names derive from the platform's name (two platforms
 * in one program do not collide; the program's "paas" keeps its old names through aliases), and
 * the service args the Platform wires itself (pod labels, ServiceAccount annotations, gateway
 * exposure) are merged with the user's, never silently replaced.
 */
import { describe, expect, it } from "vitest";
import { Platform, type PlatformArgs } from "../components/src/platform";
import { selectorLabels } from "../core/src/planners/workload";
import { configErrorOf } from "./harness/config";
import { type Recorder, settle, useMocks } from "./harness/mocks";

const T = {
    platform: "paas:index:Platform",
    layer: "paas:index:KubernetesPlatform",
    service: "paas:index:Service",
    route: "paas:index:WeightedRoute",
    etcd: "paas:index:EtcdQuorum",
    deployment: "kubernetes:apps/v1:Deployment",
    sa: "kubernetes:core/v1:ServiceAccount",
    netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
};

const local = (over: Partial<PlatformArgs> = {}): PlatformArgs => ({
    cluster: { cloud: "local", local: { renderDirectory: "rendered" } },
    services: [
        { name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080, calls: ["api"] },
        { name: "api", image: "ghcr.io/acme/api:1.0.0", port: 9090 },
    ],
    routes: [{ name: "shop", backends: [{ service: "web" }] }],
    etcd: { members: 3, certificates: "cert-manager" },
    ...over,
});

async function build(platforms: [string, PlatformArgs][]): Promise<Recorder> {
    const recorder = await useMocks("test");
    for (const [name, args] of platforms) new Platform(name, args);
    await settle();
    return recorder;
}


/** Every registration below `urn`, at any depth. */
function descendants(r: Recorder, urn: string): Recorder["resources"][number][] {
    const direct = r.resources.filter((x) => x.parent === urn);
    return direct.flatMap((d) => [d, ...descendants(r, d.urn)]);
}

describe("child names of a Platform", () => {
    it("let two Platforms live in one program without a URN collision", async () => {
        const r = await build([["a", local()], ["b", local()]]);
        expect(r.duplicateUrns()).toEqual([]);
        expect(r.ofType(T.service).map((s) => s.name).sort()).toEqual(["a-api", "a-web", "b-api", "b-web"]);
        expect(r.ofType(T.route).map((s) => s.name).sort()).toEqual(["a-shop", "b-shop"]);
        expect(r.ofType(T.etcd).map((s) => s.name).sort()).toEqual(["a-etcd", "b-etcd"]);
        // The Kubernetes objects keep the service's own name: DNS names and selectors do not change.
        expect(r.get(T.deployment, "a-web-deployment").inputs.metadata.name).toBe("web");
        expect(r.get(T.deployment, "b-web-deployment").inputs.spec.selector.matchLabels).toEqual(selectorLabels("web"));
        expect(r.get("kubernetes:apps/v1:StatefulSet", "b-etcd-statefulset").inputs.metadata.name).toBe("etcd");
        expect(r.get("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "a-shop-httproute").inputs.metadata.name).toBe("shop");
    });

    it("alias the services, routes and etcd of the Platform \"paas\" to their names under the Platform, and to their old names", async () => {
        const r = await build([["paas", local()]]);
        const platformUrn = r.get(T.platform, "paas").urn;
        const layerUrn = r.get(T.layer, "paas").urn;
        expect(r.get(T.layer, "paas").parent).toBe(platformUrn);
        const aliased = [[T.service, "paas-web", "web"], [T.service, "paas-api", "api"], [T.route, "paas-shop", "shop"], [T.etcd, "paas-etcd", "etcd"]] as const;
        for (const [type, name, old] of aliased) {
            const reg = r.get(type, name);
            expect([name, reg.parent, reg.aliases]).toEqual([name, layerUrn, [{ parentUrn: platformUrn }, { name: old, parentUrn: platformUrn }]]);
            // The engine carries a parent's alias to children named `<parent name>-…`, so every
            // descendant must be named that way to keep its old URN too.
            const strays = descendants(r, reg.urn).filter((d) => d.type !== "pulumi:providers:kubernetes" && !d.name.startsWith(`${name}-`));
            expect([name, strays.map((d) => d.name)]).toEqual([name, []]);
        }
        expect(r.get(T.platform, "paas").aliases).toEqual([]);
        expect(r.get(T.layer, "paas").aliases).toEqual([]);
        expect(r.get("paas:index:KubernetesCluster", "paas-cluster").aliases).toEqual([]);
    });

    it("registers only the move under the Kubernetes layer with legacyChildAliases: false", async () => {
        const r = await build([["b", local({ legacyChildAliases: false })]]);
        const platformUrn = r.get(T.platform, "b").urn;
        expect([...r.ofType(T.service), ...r.ofType(T.route), ...r.ofType(T.etcd)].map((x) => [x.name, x.aliases])).toEqual(
            ["b-web", "b-api", "b-shop", "b-etcd"].map((n) => [n, [{ parentUrn: platformUrn }]]),
        );
    });

    it("defaults the gateway's TLS Secret to <platform name>-gateway-tls, as its JSDoc says", async () => {
        const r = await build([["shop", local()], ["paas", local({ gateway: { tlsSecretName: "wildcard-tls" } })]]);
        const secretOf = (name: string) => r.get(T.gateway, name).inputs.spec.listeners[0].tls.certificateRefs[0].name;
        expect(secretOf("shop-gateway-gateway")).toBe("shop-gateway-tls");
        expect(secretOf("paas-gateway-gateway")).toBe("wildcard-tls");
    });
});

describe("service args the Platform wires", () => {
    it("keeps the user's pod labels", async () => {
        const r = await build([["p", local({ services: [{ name: "api", image: "ghcr.io/acme/api:1.0.0", port: 9090, podLabels: { team: "payments" } }], routes: [] })]]);
        expect(r.get(T.deployment, "p-api-deployment").inputs.spec.template.metadata.labels).toEqual({
            team: "payments", ...selectorLabels("api"), "app.kubernetes.io/component": "service", "app.kubernetes.io/part-of": "paas", "app.kubernetes.io/managed-by": "paas",
        });
    });

    it("refuses a pod label that would change the workload's selector", () => {
        expect(configErrorOf(() => new Platform("p", local({ services: [{ name: "api", image: "ghcr.io/acme/api:1.0.0", podLabels: { "app.kubernetes.io/name": "web" } }], routes: [] }))))
            .toBe('invalid Platform "p" arguments (1 problem):\n  - args.services[0].podLabels["app.kubernetes.io/name"] conflicts with the label the workload sets itself ("api"); remove it, got "web"');
    });

    it("keeps the user's ServiceAccount annotations", async () => {
        const r = await build([["p", local({ services: [{ name: "api", image: "ghcr.io/acme/api:1.0.0", serviceAccountAnnotations: { "example.com/owner": "team-a" } }], routes: [] })]]);
        expect(r.get(T.sa, "p-api-sa").inputs.metadata.annotations).toEqual({ "example.com/owner": "team-a" });
    });

    it("exposes to the gateway only services a route sends traffic to, unless told otherwise", async () => {
        const services = [
            { name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080 },
            { name: "admin", image: "ghcr.io/acme/admin:1.0.0", port: 8080, exposeToGateway: true },
            { name: "api", image: "ghcr.io/acme/api:1.0.0", port: 9090 },
        ];
        const r = await build([["p", local({ services, addons: { gatewayController: "envoy" } })]]);
        const envoy = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } };
        const ingress = (svc: string) => r.get(T.netpol, `p-${svc}-netpol`).inputs.spec.ingress;
        expect(ingress("web")).toEqual([{ from: [envoy], ports: [{ protocol: "TCP", port: 8080 }] }]);
        expect(ingress("admin")).toEqual([{ from: [envoy], ports: [{ protocol: "TCP", port: 8080 }] }]);
        expect(ingress("api")).toEqual([]);
    });

    it("refuses exposeToGateway: false on a service a route sends traffic to", () => {
        const services = [{ name: "web", image: "ghcr.io/acme/web:1.0.0", port: 8080, exposeToGateway: false }];
        expect(configErrorOf(() => new Platform("p", local({ services }))))
            .toBe('invalid Platform "p" arguments (1 problem):\n  - args.services[0].exposeToGateway must not be false: args.routes[0].backends[0] sends gateway traffic to web, got false');
    });
});

describe("service args merged with a workload identity (AKS)", () => {
    const azure = (service: PlatformArgs["services"] extends (infer S)[] | undefined ? S : never): PlatformArgs => ({
        cluster: { cloud: "azure", nodePools: [{ name: "system", minNodes: 1, maxNodes: 3 }] },
        services: [service],
        access: {
            workloadIdentities: [{
                service: "api",
                azure: { roles: [{ roleDefinitionId: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", scope: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/data" }] },
            }],
        },
    });
    const api = { name: "api", image: "ghcr.io/acme/api:1.0.0", port: 9090 };

    it("adds the identity's annotation and pod label to the user's", async () => {
        const r = await build([["p", azure({ ...api, podLabels: { team: "payments" }, serviceAccountAnnotations: { "example.com/owner": "team-a" } })]]);
        expect(r.get(T.sa, "p-api-sa").inputs.metadata.annotations).toEqual({ "example.com/owner": "team-a", "azure.workload.identity/client-id": "p-access-apps-api-client" });
        const labels = r.get(T.deployment, "p-api-deployment").inputs.spec.template.metadata.labels;
        expect([labels.team, labels["azure.workload.identity/use"]]).toEqual(["payments", "true"]);
    });

    it("refuses a user value for the identity's annotation or a different value for its pod label", () => {
        const bad = azure({ ...api, podLabels: { "azure.workload.identity/use": "false" }, serviceAccountAnnotations: { "azure.workload.identity/client-id": "someone-else" } });
        expect(configErrorOf(() => new Platform("p", bad))).toBe([
            'invalid Platform "p" arguments (2 problems):',
            '  - args.services[0].serviceAccountAnnotations["azure.workload.identity/client-id"] is set by the workload identity args.access.workloadIdentities[0]; remove it, got "someone-else"',
            '  - args.services[0].podLabels["azure.workload.identity/use"] conflicts with the workload identity args.access.workloadIdentities[0], which needs "true", got "false"',
        ].join("\n"));
    });

    it("accepts the identity's own pod label value", async () => {
        const r = await build([["p", azure({ ...api, podLabels: { "azure.workload.identity/use": "true" } })]]);
        expect(r.get(T.sa, "p-api-sa").inputs.metadata.annotations).toEqual({ "azure.workload.identity/client-id": "p-access-apps-api-client" });
        expect(r.get(T.deployment, "p-api-deployment").inputs.spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    });
});
