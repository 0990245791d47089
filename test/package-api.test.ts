/**
 * The component package as library users see it: what `components/index.ts` exports, planners
 * that never import a component, and JSDoc defaults that are the DEFAULTS objects' values.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as paas from "../components";
import type {
    AccessControlArgs, AddonsArgs, AutoscalingArgs, EtcdQuorumArgs, GatewayArgs, KubernetesClusterArgs, PlatformArgs, ServiceArgs, WeightedRouteArgs,
} from "../components";
import { Problems } from "../core/src/validation";
import { ROOT } from "./harness/stacks";

/** The planner folders: the core package's and the cloud package's (which builds on the core's). */
const PLANNER_DIRS = [path.join(ROOT, "core/src/planners"), path.join(ROOT, "components/src/planners")];
const plannerFiles = () => PLANNER_DIRS.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith(".ts")).map((f) => path.join(d, f)));

describe("components/index.ts", () => {
    it("exports every component", () => {
        const classes = ["AccessControl", "EtcdQuorum", "Gateway", "KubernetesCluster", "Platform", "Service", "WeightedRoute"] as const;
        for (const c of classes) expect([c, typeof paas[c]]).toEqual([c, "function"]);
    });

    it("exports the closed sets with their values", () => {
        expect(Object.values(paas.Cloud)).toEqual(["aws", "gcp", "azure", "local"]);
        expect(Object.values(paas.GatewayController)).toEqual(["envoy", "gke", "none"]);
        expect(Object.values(paas.EtcdCertificates)).toEqual(["pulumi", "cert-manager"]);
        expect(Object.values(paas.PathMatchType)).toEqual(["Exact", "PathPrefix", "RegularExpression"]);
        expect(Object.values(paas.Permission)).toEqual(["read", "write", "admin"]);
        expect(Object.values(paas.SubjectKind)).toEqual(["User", "Group", "ServiceAccount"]);
        expect(Object.values(paas.ReleaseChannel)).toEqual(["RAPID", "REGULAR", "STABLE"]);
    });

    it("exports the defaults and the pure planners", () => {
        expect(paas.ETCD_DEFAULTS.keepSnapshots).toBe(7);
        expect(paas.PLATFORM_DEFAULTS.namespace).toBe("apps");
        expect(paas.capacityWeights([1, 3])).toEqual([25, 75]);
        expect(paas.planQuorum(5)).toEqual({ members: 5, quorum: 3, faultTolerance: 2 });
        expect(paas.gcpAccountId("x")).toMatch(/^x-[a-z0-9]{6}$/);
    });

    it("exports the Args types (checked by tsc: these literals must type-check against them)", () => {
        const cluster: KubernetesClusterArgs = { cloud: paas.Cloud.Azure, azure: { serviceCidr: "10.0.0.0/16" } };
        const service: ServiceArgs = { namespace: "apps", image: "ghcr.io/acme/api:1.0.0", autoscaling: { minReplicas: 2 } satisfies AutoscalingArgs };
        const route: WeightedRouteArgs = { namespace: "apps", gatewayName: "gw", gatewayNamespace: "gateway", backends: [{ service: "api", port: 80 }], matches: [{ pathType: paas.PathMatchType.Exact }] };
        const etcd: EtcdQuorumArgs = { namespace: "apps", certificates: paas.EtcdCertificates.CertManager, keepSnapshots: 3 };
        const gateway: GatewayArgs = { namespace: "gateway", gatewayClassName: "envoy" };
        const access: AccessControlArgs = { cloud: "aws", clusterName: "c", rules: [{ name: "r", subjects: [{ kind: paas.SubjectKind.Group, name: "g" }], resources: ["pods"], permission: paas.Permission.Read }] };
        const addons: AddonsArgs = { gatewayController: paas.GatewayController.None };
        const platform: PlatformArgs = { cluster, addons, etcd: { keepSnapshots: etcd.keepSnapshots }, legacyChildAliases: false };
        expect(paas.checkService("api", service, "args").list).toEqual([]);
        expect(paas.checkRoute("r", route, "args").list).toEqual([]);
        expect(paas.checkPlatform(platform, (k) => k).list).toEqual([]);
        expect([gateway.gatewayClassName, access.rules?.length]).toEqual(["envoy", 1]);
    });
});

describe("planners", () => {
    it("import no component file: only other planners and the validation helpers", () => {
        const offenders: string[] = [];
        for (const file of plannerFiles()) {
            const src = fs.readFileSync(file, "utf8");
            for (const m of src.matchAll(/from "(\.[^"]+)"/g)) {
                const target = path.resolve(path.dirname(file), m[1]);
                if (!PLANNER_DIRS.includes(path.dirname(target)) && path.basename(target) !== "validation") offenders.push(`${path.relative(ROOT, file)}: ${m[1]}`);
            }
        }
        expect(offenders).toEqual([]);
    });
});

/** `@default` text of every optional property of the exported input types (`…Args`, ACL rules) of the planners. */
function documentedDefaults(): Map<string, Map<string, string | undefined>> {
    const out = new Map<string, Map<string, string | undefined>>();
    for (const file of plannerFiles()) {
        const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
        sf.forEachChild((node) => {
            if (!ts.isInterfaceDeclaration(node) || !node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
            if (!/Args$/.test(node.name.text) && !["AclRule", "AclSubject"].includes(node.name.text)) return;
            const props = new Map<string, string | undefined>();
            for (const m of node.members) {
                if (!ts.isPropertySignature(m) || !m.questionToken) continue;
                const tag = ts.getJSDocTags(m).find((t) => t.tagName.text === "default");
                const text = tag === undefined ? undefined : typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "";
                props.set(m.name.getText(sf), text?.trim());
            }
            out.set(node.name.text, props);
        });
    }
    return out;
}

describe("documented defaults", () => {
    const docs = documentedDefaults();

    it("exist on every optional property of the Args types (never an undocumented default)", () => {
        const missing = [...docs].flatMap(([iface, props]) => [...props].filter(([, d]) => d === undefined || d === "").map(([p]) => `${iface}.${p}`));
        expect(missing).toEqual([]);
    });

    /** Interface → the DEFAULTS object (and key renames) its literal @default values must equal. */
    const sources: [string, Record<string, unknown>, Record<string, string>?][] = [
        ["ServiceArgs", paas.SERVICE_DEFAULTS],
        ["AutoscalingArgs", paas.AUTOSCALING_DEFAULTS],
        ["EtcdArgs", paas.ETCD_DEFAULTS],
        ["WeightedRouteArgs", paas.ROUTE_DEFAULTS],
        ["RouteMatchArgs", paas.ROUTE_DEFAULTS],
        ["GatewayArgs", paas.GATEWAY_DEFAULTS],
        ["AccessControlArgs", paas.ACCESS_DEFAULTS],
        ["PlatformArgs", paas.PLATFORM_DEFAULTS],
        ["PlatformGatewayArgs", paas.PLATFORM_DEFAULTS, { namespace: "gatewayNamespace" }],
        ["PlatformEtcdArgs", paas.PLATFORM_DEFAULTS, { name: "etcdName" }],
        ["KubernetesClusterArgs", paas.CLUSTER_DEFAULTS],
        ["NodePoolArgs", paas.CLUSTER_DEFAULTS],
        ["ApiAccessArgs", paas.CLUSTER_DEFAULTS.apiAccess],
        ["AwsClusterArgs", paas.CLUSTER_DEFAULTS.aws],
        ["GcpClusterArgs", paas.CLUSTER_DEFAULTS.gcp],
        ["AzureClusterArgs", paas.CLUSTER_DEFAULTS.azure],
        ["LocalClusterArgs", paas.CLUSTER_DEFAULTS.local],
    ];

    it.each(sources)("of %s are the values its DEFAULTS object holds", (iface, defaults, renames = {}) => {
        const props = docs.get(iface);
        expect(props, `no exported interface ${iface}`).toBeDefined();
        const compared: [string, string, string][] = [];
        for (const [prop, doc] of props!) {
            const key = renames[prop] ?? prop;
            const value = defaults[key];
            // Literal defaults only: "- …" describes a derived one, objects are checked by their own interface.
            if (value === undefined || typeof value === "object" || doc === undefined || doc.startsWith("-")) continue;
            compared.push([prop, doc.split(/\s+/)[0], String(value)]);
        }
        expect(compared.length, `${iface}: nothing compared`).toBeGreaterThan(0);
        expect(compared.filter(([, doc, value]) => doc !== value)).toEqual([]);
    });

    it("describe the derived defaults the code computes", () => {
        expect(docs.get("PlatformGatewayArgs")!.get("tlsSecretName")).toBe("- <platform name>-gateway-tls (paas-gateway-tls for the program's Platform \"paas\")");
        expect(docs.get("EtcdArgs")!.get("snapshotSchedule")).toBe("- every 6 hours, on the hour");
        expect(paas.ETCD_DEFAULTS.snapshotSchedule).toBe("0 */6 * * *");
        expect(docs.get("AzureClusterArgs")!.get("dnsServiceIp")).toBe("- the 10th address of serviceCidr (10.0.0.10)");
        expect(paas.planCluster({ cloud: "azure" }, "args", new Problems(), "c").azure!.dnsServiceIp).toBe("10.0.0.10");
    });
});
