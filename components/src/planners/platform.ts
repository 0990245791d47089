/** Cross-reference checks and derived wiring of the Platform's parts. Pure. */
import type { PlatformArgs } from "../platform";
import { Problems } from "../validation";
import type { Cloud } from "./cluster";
import { checkAccess } from "./access";
import { checkEtcd } from "./etcd";
import { checkRoute } from "./route";
import { checkService } from "./service";
import { DNS_1035 } from "./workload";

/** Which gateway implementation serves the platform's Gateway. */
export const GatewayController = { Envoy: "envoy", Gke: "gke", None: "none" } as const;
export type GatewayController = (typeof GatewayController)[keyof typeof GatewayController];
export const GATEWAY_CONTROLLERS: readonly GatewayController[] = Object.values(GatewayController);

export interface GatewayControllerPlan {
    readonly controller: GatewayController;
    readonly gatewayClassName: string;
    /** Where the data plane's traffic comes from, for the workloads' NetworkPolicies. */
    readonly peer: { readonly namespace?: string; readonly cidrs: readonly string[] };
}

/** GKE's managed load balancers reach pods from Google's front-end and health-check ranges. */
export const GOOGLE_LB_RANGES = ["35.191.0.0/16", "130.211.0.0/22"] as const;
export const ENVOY_NAMESPACE = "envoy-gateway-system";

export function defaultGatewayController(cloud: Cloud): GatewayController {
    return cloud === "gcp" ? "gke" : "envoy";
}

export function planGatewayController(controller: GatewayController, gatewayNamespace: string, className?: string): GatewayControllerPlan {
    switch (controller) {
        case "envoy":
            return { controller, gatewayClassName: className ?? "envoy", peer: { namespace: ENVOY_NAMESPACE, cidrs: [] } };
        case "gke":
            return { controller, gatewayClassName: className ?? "gke-l7-global-external-managed", peer: { cidrs: [...GOOGLE_LB_RANGES] } };
        case "none":
            return { controller, gatewayClassName: className ?? "default", peer: { namespace: gatewayNamespace, cidrs: [] } };
        default: {
            const never: never = controller;
            throw new Error(`unknown gateway controller ${never}`);
        }
    }
}

/** Who calls whom: the inverse of every service's `calls`, so each callee admits exactly its callers. */
export function callersOf(services: readonly { name: string; calls?: readonly string[] }[]): Map<string, string[]> {
    const out = new Map<string, string[]>(services.map((s) => [s.name, []]));
    for (const s of services) for (const callee of s.calls ?? []) out.get(callee)?.push(s.name);
    for (const list of out.values()) list.sort();
    return out;
}

/**
 * Checks the parts of a platform against each other. `at(key)` maps an args key to the path
 * reported (`paas:services` for stack config, `args.services` for the component).
 */
export function checkPlatform(args: PlatformArgs, at: (key: string) => string, problems = new Problems()): Problems {
    const services = args.services ?? [];
    const byName = new Map<string, (typeof services)[number]>();
    services.forEach((s, i) => {
        const path = `${at("services")}[${i}]`;
        if (byName.has(s.name)) problems.add(`${path}.name`, s.name, "must be unique among the services");
        byName.set(s.name, s);
        checkService(s.name, { ...s, namespace: "", calls: [] }, path, problems);
    });
    services.forEach((s, i) => {
        (s.calls ?? []).forEach((callee, j) => {
            const target = byName.get(callee);
            const path = `${at("services")}[${i}].calls[${j}]`;
            if (!target) problems.add(path, callee, `must name a service of ${at("services")}`);
            else if (target.port === undefined) problems.add(path, callee, `names a service without a port: ${callee} accepts no traffic`);
            else if (callee === s.name) problems.add(path, callee, "must not name the service itself");
        });
    });
    const routeNames = new Set<string>();
    (args.routes ?? []).forEach((r, i) => {
        const path = `${at("routes")}[${i}]`;
        if (routeNames.has(r.name)) problems.add(`${path}.name`, r.name, "must be unique among the routes");
        routeNames.add(r.name);
        r.backends.forEach((b, j) => {
            const target = byName.get(b.service);
            if (!target) problems.add(`${path}.backends[${j}].service`, b.service, `must name a service of ${at("services")}`);
            else if (target.port === undefined) problems.add(`${path}.backends[${j}].service`, b.service, "names a service without a port");
        });
        checkRoute(r.name, { ...r, backends: r.backends.map((b) => ({ ...b, port: 1 })) }, path, problems);
    });
    const gw = args.gateway ?? {};
    if (gw.certManagerClusterIssuer !== undefined && !(args.addons?.certManager ?? false))
        problems.add(`${at("gateway")}.certManagerClusterIssuer`, gw.certManagerClusterIssuer, `needs cert-manager: set ${at("addons")}.certManager: true`);
    if (gw.namespace !== undefined && !DNS_1035.test(gw.namespace)) problems.add(`${at("gateway")}.namespace`, gw.namespace, "must be a DNS label");
    if (args.etcd) {
        checkEtcd(args.etcd, at("etcd"), problems);
        const etcdName = args.etcd.name ?? "etcd";
        if (!DNS_1035.test(etcdName)) problems.add(`${at("etcd")}.name`, etcdName, "must be a DNS-1035 label");
        else if (byName.has(etcdName) || byName.has(`${etcdName}-peer`))
            problems.add(`${at("etcd")}.name`, etcdName, `clashes with a service of ${at("services")}; pick another name`);
        if (args.etcd.certificates === "cert-manager" && !(args.addons?.certManager ?? false) && args.cluster.cloud !== "local")
            problems.add(`${at("etcd")}.certificates`, args.etcd.certificates, `needs cert-manager: set ${at("addons")}.certManager: true`);
    }
    if (args.access) {
        checkAccess({
            cloud: args.cluster.cloud,
            rules: args.access.rules,
            breakGlassClusterAdmins: args.access.breakGlassClusterAdmins,
            workloadIdentities: (args.access.workloadIdentities ?? []).map(({ service, ...g }) => ({ ...g, namespace: "x", serviceAccount: service })),
        }, at("access"), problems);
        (args.access.workloadIdentities ?? []).forEach((w, i) => {
            if (!byName.has(w.service)) problems.add(`${at("access")}.workloadIdentities[${i}].service`, w.service, `must name a service of ${at("services")}`);
        });
    }
    return problems;
}
