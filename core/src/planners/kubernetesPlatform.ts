/**
 * KubernetesPlatform args (the Kubernetes layer of a platform on any cluster), their defaults,
 * the cross-reference checks and the derived wiring of its parts. Pure.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import type { AclRule, AclSubject } from "./acl";
import type { AddonKey } from "./addons";
import { planAutoscaling } from "./autoscaling";
import { type EtcdQuorumArgs, checkEtcd, etcdObjectNames, planEtcd } from "./etcd";
import { checkGatewayNames, hostnameProblem } from "./gateway";
import { DEFAULT_KUBERNETES_VERSION } from "./kubernetesVersion";
import { type MonitoringArgs, type MonitoringInput, checkMonitoring, resolveMonitoring, scrapePolicyName } from "./monitoring";
import { checkRbac } from "./rbac";
import { type WeightedRouteArgs, checkRoute, planRouteWeights } from "./route";
import { type ServiceArgs, type ServiceCallArgs, checkService, resolveService } from "./service";
import { DNS_1123_LABEL, SYSTEM_NAMESPACE_RULE, isSystemNamespace } from "./workload";

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
/** Namespace the cert-manager release is installed into (it creates it). */
export const CERT_MANAGER_NAMESPACE = "cert-manager";
/** Name of the platform's default-deny NetworkPolicy in the workloads' namespace. */
export const DEFAULT_DENY_POLICY = "default-deny";

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

export interface KubernetesAddonsArgs {
    /** Gateway API implementation: envoy installs Envoy Gateway; gke and none use the cluster's own. @default envoy */
    gatewayController?: GatewayController;
    /** Install metrics-server, which HPAs need (most managed clusters have one). @default false */
    metricsServer?: boolean;
    /** Install cert-manager (with Gateway API support) to issue the gateway certificate. @default false */
    certManager?: boolean;
    /** Alerts, scrape targets and a dashboard for the platform's own promises (see MonitoringArgs). @default - none */
    monitoring?: MonitoringArgs;
}

/** A service of the platform: the Service args plus its name and the services it calls. */
export interface PlatformServiceArgs extends Omit<ServiceArgs, "name" | "namespace" | "kubernetesVersion" | "gatewayPeer" | "allowFrom" | "calls" | "exposeToGateway" | "podLabels" | "serviceAccountAnnotations"> {
    /** Name of the workload (Deployment, Service, ...). */
    name: string;
    /** Names of platform services this one calls; each callee admits exactly its callers. @default [] */
    calls?: string[];
    /** Accept traffic from the gateway (only with `port`); false is refused while a route sends traffic to the service. @default - true when a route has the service as a backend, else false */
    exposeToGateway?: boolean;
    /** Extra pod labels, merged with the labels the service's workload identity needs (Azure: azure.workload.identity/use); a different value for one of those is refused. @default {} */
    podLabels?: Record<string, string>;
    /** ServiceAccount annotations, merged with the annotation of the service's workload identity; setting that one too is refused. @default {} */
    serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
}

export interface PlatformRouteBackendArgs {
    /** A platform service with a port. */
    service: string;
    /** Capacity r_i; traffic share r_i / Σ r_j. @default - equal shares */
    capacity?: number;
}

export interface PlatformRouteArgs extends Omit<WeightedRouteArgs, "name" | "namespace" | "gatewayName" | "gatewayNamespace" | "backends"> {
    /** Route name. */
    name: string;
    /** Backends: platform services and their capacities. */
    backends: PlatformRouteBackendArgs[];
}

export interface PlatformGatewayArgs {
    /** Namespace of the Gateway. @default gateway */
    namespace?: string;
    /** GatewayClass. @default - per gateway controller: envoy for envoy, gke-l7-global-external-managed for gke, default for none */
    className?: string;
    /** Hostname the listeners answer for. @default - any */
    hostname?: string;
    /** TLS certificate Secret in the gateway namespace. @default - <platform name>-gateway-tls (paas-gateway-tls for the program's Platform "paas") */
    tlsSecretName?: string;
    /** cert-manager ClusterIssuer issuing that certificate (cert-manager must run in the cluster). @default - none */
    certManagerClusterIssuer?: string;
}

export interface PlatformEtcdArgs extends Omit<EtcdQuorumArgs, "namespace"> {
    /** Name of the StatefulSet and its Services. @default etcd */
    name?: string;
}

export interface KubernetesPlatformAccessArgs {
    /** Kubernetes access rules. @default [] */
    rules?: AclRule[];
    /** BREAK GLASS: subjects bound to cluster-admin (flagged by the policy pack). @default [] */
    breakGlassClusterAdmins?: AclSubject[];
    /**
     * Platform services whose ServiceAccount holds a cloud identity bound outside the platform:
     * rules that let their subjects run pods as one are warned about, or refused with
     * protectWorkloadIdentities. @default []
     */
    identityServices?: string[];
    /** Refuse rules that let their subjects run pods as one of identityServices. @default false */
    protectWorkloadIdentities?: boolean;
}

export interface KubernetesPlatformArgs {
    /** Namespace the platform's workloads run in; it enforces the `restricted` Pod Security Standard. @default apps */
    namespace?: string;
    /** Workloads. @default [] */
    services?: PlatformServiceArgs[];
    /** Capacity-weighted routes through the gateway. @default [] */
    routes?: PlatformRouteArgs[];
    /** The shared Gateway. @default - see PlatformGatewayArgs */
    gateway?: PlatformGatewayArgs;
    /** Cluster add-ons. @default - see KubernetesAddonsArgs */
    addons?: KubernetesAddonsArgs;
    /** An etcd quorum in the platform namespace. @default - none */
    etcd?: PlatformEtcdArgs;
    /** Access model: Kubernetes RBAC rules. @default - none */
    access?: KubernetesPlatformAccessArgs;
    /** Kubernetes minor version of the cluster, e.g. "1.35" (it decides the HPA fields used). @default 1.35 */
    kubernetesVersion?: string;
    /**
     * The objects are rendered to files, not applied (a provider with renderYamlToDirectory):
     * Helm releases cannot be rendered, so the charts are left out and only their namespaces,
     * policies and CRD-level objects are declared. @default false
     */
    renderOnly?: boolean;
}

/**
 * The largest platform the program is known to render in reasonable time: a mock run of the
 * program at these counts (bench/configs.ts services, one route of two backends each) took
 * 1m42s on 2 busy cores; 2000 services and 500 routes took over 2 minutes.
 */
export const PLATFORM_LIMITS = { services: 1500, routes: 300 } as const;

/** Every fixed default of {@link KubernetesPlatformArgs}; the check, the component and the docs read these. */
export const KUBERNETES_PLATFORM_DEFAULTS = {
    namespace: "apps",
    gatewayNamespace: "gateway",
    etcdName: "etcd",
    gatewayController: GatewayController.Envoy,
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
} as const;

/** What the platform wires into one of its services, beyond the service's own args. */
export interface PlatformServiceWiring {
    /** Its own value, else whether a route sends traffic to it. */
    readonly exposeToGateway: boolean;
    /** Services that call it, sorted. */
    readonly allowFrom: readonly string[];
    readonly calls: readonly ServiceCallArgs[];
}

/** Plans the wiring of every service (assumes `checkKubernetesPlatform` found no problem). */
export function planServiceWiring(args: Pick<KubernetesPlatformArgs, "services" | "routes">): Map<string, PlatformServiceWiring> {
    const services = args.services ?? [];
    const callers = callersOf(services);
    const ports = new Map(services.map((s) => [s.name, s.port]));
    const routed = new Set((args.routes ?? []).flatMap((r) => r.backends.map((b) => b.service)));
    return new Map(services.map((s) => [s.name, {
        exposeToGateway: s.exposeToGateway ?? routed.has(s.name),
        allowFrom: callers.get(s.name) ?? [],
        calls: (s.calls ?? []).map((c) => ({ service: c, port: ports.get(c)! })),
    }]));
}

/** The add-ons the args turn on. */
export function enabledAddons(addons: KubernetesAddonsArgs | undefined): AddonKey[] {
    const a = addons ?? {};
    const on: AddonKey[] = [];
    if (a.metricsServer ?? false) on.push("metricsServer");
    if (a.certManager) on.push("certManager");
    if ((a.gatewayController ?? KUBERNETES_PLATFORM_DEFAULTS.gatewayController) === "envoy") on.push("envoyGateway");
    if (resolveMonitoring(a.monitoring).stack === "kube-prometheus-stack") on.push("monitoring");
    return on;
}

/** The workloads' and the gateway's namespaces: valid, not the cluster's own, not shared with each other or an add-on. */
function checkNamespaces(args: KubernetesPlatformArgs, at: (key: string) => string, problems: Problems): void {
    const d = KUBERNETES_PLATFORM_DEFAULTS;
    const addons = new Map<string, string>();
    if (!GATEWAY_CONTROLLERS.includes(args.addons?.gatewayController ?? d.gatewayController))
        problems.add(`${at("addons")}.gatewayController`, args.addons?.gatewayController, `must be one of ${GATEWAY_CONTROLLERS.map((c) => `"${c}"`).join(", ")}`);
    if ((args.addons?.gatewayController ?? d.gatewayController) === "envoy") addons.set(ENVOY_NAMESPACE, "the Envoy Gateway add-on");
    if (args.addons?.certManager) addons.set(CERT_MANAGER_NAMESPACE, "the cert-manager add-on");
    const monitoring = resolveMonitoring(args.addons?.monitoring);
    if (monitoring.stack === "kube-prometheus-stack") {
        const key = `${at("addons")}.monitoring.namespace`;
        const clash = addons.get(monitoring.namespace);
        if (clash) problems.add(key, monitoring.namespace, `is the namespace of ${clash}; kube-prometheus-stack needs one of its own`);
        else if (isSystemNamespace(monitoring.namespace)) problems.add(key, monitoring.namespace, SYSTEM_NAMESPACE_RULE);
        addons.set(monitoring.namespace, "the kube-prometheus-stack add-on");
    }
    const check = (key: string, ns: string | undefined) => {
        if (ns === undefined) return;
        if (!DNS_1123_LABEL.test(ns)) problems.add(key, ns, "must be a DNS label (lowercase letters, digits, '-'; at most 63)");
        else if (isSystemNamespace(ns)) problems.add(key, ns, SYSTEM_NAMESPACE_RULE);
        else if (addons.has(ns)) problems.add(key, ns, `is the namespace of ${addons.get(ns)}, which creates it; use another`);
    };
    check(at("namespace"), args.namespace);
    check(`${at("gateway")}.namespace`, args.gateway?.namespace);
    const gatewayNamespace = args.gateway?.namespace ?? d.gatewayNamespace;
    if ((args.routes ?? []).length > 0 && gatewayNamespace === (args.namespace ?? d.namespace))
        problems.add(args.gateway?.namespace !== undefined ? `${at("gateway")}.namespace` : at("namespace"), gatewayNamespace,
            `must differ from the ${args.gateway?.namespace !== undefined ? "workloads'" : "gateway's"} namespace: the platform creates each of the two`);
}

/** The access rules: valid RBAC, and every Role in a namespace the platform creates (or the cluster's own). */
function checkPlatformAccess(args: KubernetesPlatformArgs, byName: ReadonlyMap<string, unknown>, at: (key: string) => string, problems: Problems): void {
    const access = args.access;
    if (!access) return;
    const d = KUBERNETES_PLATFORM_DEFAULTS;
    const appNamespace = args.namespace ?? d.namespace;
    const path = at("access");
    const identityServices = access.identityServices ?? [];
    identityServices.forEach((s, i) => {
        if (!byName.has(s)) problems.add(`${path}.identityServices[${i}]`, s, `must name a service of ${at("services")}`);
    });
    checkRbac({
        rules: access.rules,
        breakGlassClusterAdmins: access.breakGlassClusterAdmins,
        protectWorkloadIdentities: access.protectWorkloadIdentities,
        identityServiceAccounts: identityServices.filter((s) => byName.has(s)).map((s) => `${appNamespace}/${s}`),
    }, path, problems);
    // A Role needs its namespace to exist: only the platform's own are known to.
    const created = (args.routes ?? []).length > 0 ? [appNamespace, args.gateway?.namespace ?? d.gatewayNamespace] : [appNamespace];
    (access.rules ?? []).forEach((r, i) => {
        if (r.namespace !== undefined && !isSystemNamespace(r.namespace) && !created.includes(r.namespace))
            problems.add(`${path}.rules[${i}].namespace`, r.namespace,
                `must be a namespace the platform creates (${created.join(", ")}): a Role elsewhere fails at deployment unless that namespace already exists, which the platform cannot know; omit it for a cluster-wide rule`);
    });
}

/**
 * Checks the parts of a platform against each other. `at(key)` maps an args key to the path
 * reported (`paas:services` for stack config, `args.services` for the component).
 */
export function checkKubernetesPlatform(args: KubernetesPlatformArgs, at: (key: string) => string, problems = new Problems()): Problems {
    const services = args.services ?? [];
    const d = KUBERNETES_PLATFORM_DEFAULTS;
    checkNamespaces(args, at, problems);
    for (const k of ["services", "routes"] as const) {
        const n = (args[k] ?? []).length;
        if (n > PLATFORM_LIMITS[k]) problems.add(at(k), n, `must list at most ${PLATFORM_LIMITS[k]} ${k} (the largest platform measured to render in reasonable time)`);
    }
    // Names the platform gives objects of the kinds every service has, in the services' namespace.
    const etcdName = args.etcd ? args.etcd.name ?? d.etcdName : undefined;
    const taken = new Map<string, string>([[DEFAULT_DENY_POLICY, "the platform's default-deny NetworkPolicy"]]);
    if (etcdName !== undefined) {
        const e = etcdObjectNames(etcdName);
        for (const n of new Set([e.statefulSet, ...e.services, ...e.networkPolicies, e.serviceAccount, e.podDisruptionBudget]))
            taken.set(n, `an object of the etcd quorum ${etcdName}`);
    }
    // With monitoring on, every scrape target has a NetworkPolicy `<target>-metrics` for Prometheus.
    checkMonitoring(args.addons?.monitoring, `${at("addons")}.monitoring`, problems);
    if (resolveMonitoring(args.addons?.monitoring).stack !== "none") {
        if (etcdName !== undefined) taken.set(scrapePolicyName(etcdName), `the scrape NetworkPolicy of the etcd quorum ${etcdName}`);
        for (const s of services) if (s.metrics !== undefined) taken.set(scrapePolicyName(s.name), `the scrape NetworkPolicy of the service ${s.name}`);
    }
    const byName = new Map<string, (typeof services)[number]>();
    services.forEach((s, i) => {
        const path = `${at("services")}[${i}]`;
        if (byName.has(s.name)) problems.add(`${path}.name`, s.name, "must be unique among the services");
        else if (taken.has(s.name)) problems.add(`${path}.name`, s.name, `clashes with ${taken.get(s.name)}, which has the same name; pick another name`);
        byName.set(s.name, s);
        checkService(s.name, { ...s, calls: [] }, path, problems);
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
            else if (target.exposeToGateway === false) {
                const k = services.indexOf(target);
                problems.add(`${at("services")}[${k}].exposeToGateway`, false, `must not be false: ${path}.backends[${j}] sends gateway traffic to ${b.service}`);
            }
        });
        const listener = args.gateway?.hostname !== undefined && hostnameProblem(args.gateway.hostname) === undefined ? args.gateway.hostname : undefined;
        checkRoute(r.name, { ...r, backends: r.backends.map((b) => ({ ...b, port: 1 })) }, path, problems, listener);
    });
    const gw = args.gateway ?? {};
    checkGatewayNames({
        className: { key: "className", value: gw.className },
        tlsSecretName: { key: "tlsSecretName", value: gw.tlsSecretName },
        certManagerClusterIssuer: { key: "certManagerClusterIssuer", value: gw.certManagerClusterIssuer },
        hostname: { key: "hostname", value: gw.hostname },
    }, at("gateway"), problems);
    if (args.etcd && etcdName !== undefined) checkEtcd(etcdName, args.etcd, at("etcd"), problems);
    checkPlatformAccess(args, byName, at, problems);
    return problems;
}

/** What the monitoring plan needs of a checked platform: each service's plans, each route's weights, the etcd plan. */
export function monitoringInput(args: KubernetesPlatformArgs): MonitoringInput {
    const kubernetesVersion = args.kubernetesVersion ?? KUBERNETES_PLATFORM_DEFAULTS.kubernetesVersion;
    return {
        monitoring: resolveMonitoring(args.addons?.monitoring),
        namespace: args.namespace ?? KUBERNETES_PLATFORM_DEFAULTS.namespace,
        services: (args.services ?? []).map((s) => {
            const r = resolveService(s.name, { ...s, calls: [] });
            return { name: r.name, port: r.port, metrics: r.metrics, autoscaling: planAutoscaling(r.autoscaling, kubernetesVersion) };
        }),
        routes: (args.routes ?? []).map((r) => {
            const { capacities, weights } = planRouteWeights(r);
            return { name: r.name, backends: r.backends.map((b, i) => ({ service: b.service, capacity: capacities[i], weight: weights[i] })) };
        }),
        etcd: args.etcd ? planEtcd(args.etcd, args.etcd.name ?? KUBERNETES_PLATFORM_DEFAULTS.etcdName) : undefined,
    };
}
