/**
 * The core package through the real CLI, as another program gets it: a copy of core/ on its own
 * (npm installs its dependencies there, as the engine does), a Pulumi home holding the kubernetes
 * provider plugin and nothing else, no network for plugins. `pulumi package get-schema` describes
 * the six components, the Pulumi YAML example (examples/yaml) runs them (rendered, with the route's
 * weights from the capacities, no drift, destroyed), and a YAML program declares the whole
 * Kubernetes layer with one KubernetesPlatform.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCommand, runPulumi, scratchEnv } from "../harness/engine";
import { ROOT } from "../harness/stacks";

let dir: string;
let env: NodeJS.ProcessEnv;

/** The stdout of a `pulumi` command run in `cwd`. */
const pulumi = (args: string[], cwd: string) => runPulumi(args, { cwd, env }).stdout;

/** Copies a folder of the repository, leaving out node_modules. */
function copy(from: string, to: string): void {
    fs.cpSync(path.join(ROOT, from), path.join(dir, to), { recursive: true, filter: (s) => !s.split(path.sep).includes("node_modules") });
}

function duBytes(p: string): number {
    const st = fs.lstatSync(p);
    if (!st.isDirectory()) return st.size;
    return fs.readdirSync(p).reduce((n, e) => n + duBytes(path.join(p, e)), 0);
}

beforeAll(() => {
    const plugin = path.join(ROOT, ".tools/bin/pulumi-resource-kubernetes");
    if (!fs.existsSync(plugin)) throw new Error("the kubernetes provider plugin is missing: run `npm run toolchain` (builds it into .tools/bin)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-core-"));
    copy("core", "core");
    copy("examples/yaml", "examples/yaml");
    env = scratchEnv(dir);
    runCommand("npm", ["install", "--no-audit", "--no-fund"], { cwd: path.join(dir, "core"), env });
    // The one plugin the package needs, at the version of the SDK it depends on; PATH is not
    // enough for `package get-schema`, which looks in the Pulumi home and would download.
    const version = JSON.parse(fs.readFileSync(path.join(dir, "core/node_modules/@pulumi/kubernetes/package.json"), "utf8")).version;
    pulumi(["plugin", "install", "resource", "kubernetes", version, "--file", plugin], dir);
}, 600_000);
afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the core package from the CLI", () => {
    it("has only its own dependencies installed, no cloud SDK", () => {
        const installed = fs.readdirSync(path.join(dir, "core/node_modules/@pulumi")).sort();
        expect(installed).toEqual(["kubernetes", "pulumi"]);
        console.log(`core package: node_modules ${(duBytes(path.join(dir, "core/node_modules")) / 2 ** 20).toFixed(0)} MiB`);
    });

    it("is described by `pulumi package get-schema` offline: six components with typed inputs and outputs", () => {
        const schema = JSON.parse(pulumi(["package", "get-schema", path.join(dir, "core")], dir));
        expect(schema.name).toBe("paas");
        const components = ["EtcdQuorum", "Gateway", "KubernetesAccess", "KubernetesPlatform", "Service", "WeightedRoute"];
        expect(Object.keys(schema.resources).sort()).toEqual(components.map((c) => `paas:index:${c}`));
        const r = (t: string) => schema.resources[`paas:index:${t}`];
        for (const t of components) {
            expect([t, r(t).isComponent]).toEqual([t, true]);
            expect(Object.keys(r(t).inputProperties).length, t).toBeGreaterThan(0);
        }
        expect(r("Service").requiredInputs.sort()).toEqual(["image", "namespace"]);
        expect(r("WeightedRoute").requiredInputs.sort()).toEqual(["backends", "gatewayName", "gatewayNamespace", "namespace"]);
        expect(r("EtcdQuorum").inputProperties.certificates.$ref).toMatch(/^#\/types\/paas:index:EtcdCertificates$/);
        expect(Object.keys(r("Gateway").properties).sort()).toEqual(["gatewayName", "gatewayNamespace"]);
        expect(Object.keys(r("EtcdQuorum").properties)).toContain("clientEndpoint");
        const layer = r("KubernetesPlatform");
        expect(layer.inputProperties.services.items.$ref).toMatch(/^#\/types\/paas:index:PlatformServiceArgs$/);
        expect(layer.inputProperties.addons.$ref).toMatch(/^#\/types\/paas:index:KubernetesAddonsArgs$/);
        expect(schema.types["paas:index:KubernetesAddonsArgs"].properties.gatewayController.$ref).toMatch(/^#\/types\/paas:index:GatewayController$/);
        expect(Object.keys(layer.properties).sort()).toEqual(["gatewayController", "namespace", "warnings"]);
        expect(r("KubernetesAccess").inputProperties.rules.items.$ref).toMatch(/^#\/types\/paas:index:AclRule$/);
        expect(schema.types["paas:index:AclRule"].properties.permission.$ref).toMatch(/^#\/types\/paas:index:Permission$/);
        expect(Object.keys(r("KubernetesAccess").properties).sort()).toEqual(["matrix", "runAs"]);
        // No cloud package anywhere in it.
        expect(JSON.stringify(schema)).not.toMatch(/"(aws|gcp|azure-native|tls):/);
    });
});

describe("the Pulumi YAML example (examples/yaml)", () => {
    const example = () => path.join(dir, "examples/yaml");
    const out = () => path.join(dir, "rendered");
    const rendered = () => (fs.existsSync(out()) ? fs.readdirSync(out(), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml")).sort() : []);
    const object = (file: string) => parse(fs.readFileSync(path.join(out(), "1-manifest", file), "utf8"));

    beforeAll(() => {
        pulumi(["stack", "init", "dev"], example());
        pulumi(["config", "set", "renderDir", out()], example());
    });

    it("runs Gateway, two Services, a WeightedRoute, an EtcdQuorum and KubernetesAccess on `pulumi up`", () => {
        const text = pulumi(["up", "--yes"], example());
        expect(text).toMatch(/\+ 41 created/);
        expect(rendered()).toHaveLength(33);
        expect(object("rbac.authorization.k8s.io_v1-role-shop-shop-developers-read.yaml").rules).toEqual([
            { apiGroups: [""], resources: ["pods", "services"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
        ]);
        const route = object("gateway.networking.k8s.io_v1-httproute-shop-web.yaml");
        expect(route.spec.rules.map((rule: any) => rule.backendRefs.map((b: any) => [b.name, b.weight]))).toEqual([[["web-v1", 75], ["web-v2", 25]]]);
        expect(route.spec.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gateway", namespace: "shop", sectionName: "https" }]);
        const etcd = object("apps_v1-statefulset-shop-etcd.yaml");
        expect([etcd.spec.replicas, object("policy_v1-poddisruptionbudget-shop-etcd.yaml").spec.maxUnavailable]).toEqual([3, 1]);
        expect(object("apps_v1-deployment-shop-web-v2.yaml").spec.template.spec.containers[0].image).toBe("ghcr.io/acme/web:1.5.0");
        expect(JSON.parse(pulumi(["stack", "output", "--json"], example()))).toEqual({ gateway: "gateway", etcdEndpoint: "https://etcd.shop.svc.cluster.local:2379" });
    });

    it("has no drift, and `destroy` removes what it rendered", () => {
        expect(pulumi(["preview", "--expect-no-changes"], example())).toMatch(/41 unchanged/);
        pulumi(["destroy", "--yes"], example());
        expect(rendered()).toEqual([]);
    });
});

describe("KubernetesPlatform from Pulumi YAML", () => {
    const program = () => path.join(dir, "platform-yaml");
    const out = () => path.join(dir, "platform-rendered");
    const object = (file: string) => parse(fs.readFileSync(path.join(out(), "1-manifest", file), "utf8"));

    beforeAll(() => {
        fs.mkdirSync(program());
        // Nested args (services, routes, access rules, add-ons with an enum) through the schema.
        fs.writeFileSync(path.join(program(), "Pulumi.yaml"), `name: paas-platform-yaml
runtime: yaml
packages:
  paas: ../core
resources:
  k8s:
    type: pulumi:providers:kubernetes
    properties:
      renderYamlToDirectory: ${out()}
  shop:
    type: paas:index:KubernetesPlatform
    properties:
      namespace: shop
      renderOnly: true
      addons: {gatewayController: none}
      services:
        - {name: web, image: "ghcr.io/acme/web:1.4.2", port: 8080, calls: [api]}
        - {name: api, image: "ghcr.io/acme/api:2.0.1", port: 9090}
      routes:
        - name: web
          backends: [{service: web, capacity: 2}, {service: api, capacity: 1}]
      access:
        rules:
          - {name: devs, permission: read, namespace: shop, subjects: [{kind: Group, name: devs}], resources: [deployments, pods]}
    options:
      providers: ["\${k8s}"]
outputs:
  namespace: \${shop.namespace}
  gatewayController: \${shop.gatewayController}
`);
        pulumi(["stack", "init", "dev"], program());
    });

    it("renders the namespace, its default deny, the services, the weighted route and the access rules", () => {
        expect(pulumi(["up", "--yes"], program())).toMatch(/\+ \d+ created/);
        // gatewayController none: no add-on, only the layer's own objects (2 namespaces, the default deny, 6 per
        // service, the Gateway and its redirect route, the weighted route, a Role and its binding).
        expect(fs.readdirSync(path.join(out(), "1-manifest"))).toHaveLength(20);
        expect(object("v1-namespace-default-shop.yaml").metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        expect(object("networking.k8s.io_v1-networkpolicy-shop-default-deny.yaml").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        expect(object("apps_v1-deployment-shop-api.yaml").spec.template.spec.containers[0].image).toBe("ghcr.io/acme/api:2.0.1");
        const route = object("gateway.networking.k8s.io_v1-httproute-shop-web.yaml");
        expect(route.spec.rules.map((rule: any) => rule.backendRefs.map((b: any) => [b.name, b.weight]))).toEqual([[["web", 67], ["api", 33]]]);
        expect(route.spec.parentRefs[0]).toMatchObject({ name: "shop-gateway", namespace: "gateway" });
        expect(object("rbac.authorization.k8s.io_v1-rolebinding-shop-paas-devs.yaml").subjects).toEqual([{ kind: "Group", name: "devs", apiGroup: "rbac.authorization.k8s.io" }]);
        // The caller of api is admitted by its policy: web → api on 9090.
        expect(JSON.stringify(object("networking.k8s.io_v1-networkpolicy-shop-api.yaml").spec.ingress)).toContain('"app.kubernetes.io/name":"web"');
        expect(JSON.parse(pulumi(["stack", "output", "--json"], program()))).toEqual({ namespace: "shop", gatewayController: "none" });
        pulumi(["destroy", "--yes"], program());
    });
});
