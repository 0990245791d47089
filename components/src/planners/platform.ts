/** Platform args, their defaults, the cross-reference checks and the derived wiring of its parts. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../../core/src/validation";
import { type AccessControlArgs, type WorkloadIdentityArgs, checkAccess, identityBindingKeys } from "./access";
import type { AclRule, AclSubject } from "./acl";
import type { AddonKey } from "./addons";
import { type CapacityPlan, type NodeReserveArgs, type WorkloadDemand, addonDemands, clusterDemands, formatCpu, formatMemory, planCapacity, poolShapes, requests } from "./capacity";
import { CLUSTER_DEFAULTS, type Cloud, type KubernetesClusterArgs, planCluster } from "./cluster";
import { type EtcdQuorumArgs, checkEtcd, etcdObjectNames, planEtcd } from "../../../core/src/planners/etcd";
import { checkGatewayNames, hostnameProblem } from "../../../core/src/planners/gateway";
import { type MonitoringArgs, type MonitoringInput, checkMonitoring, resolveMonitoring, scrapePolicyName } from "./monitoring";
import { planAutoscaling } from "../../../core/src/planners/autoscaling";
import { type WeightedRouteArgs, checkRoute, planRouteWeights } from "../../../core/src/planners/route";
import { type ServiceArgs, type ServiceCallArgs, checkService, resolveService } from "../../../core/src/planners/service";
import { CPU_QUANTITY, DNS_1123_LABEL, MEMORY_QUANTITY, SYSTEM_NAMESPACE_RULE, isSystemNamespace } from "../../../core/src/planners/workload";

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


export interface AddonsArgs {
    /** Gateway API implementation. @default envoy, or gke on GKE (built in) */
    gatewayController?: GatewayController;
    /** Install metrics-server, which HPAs need. @default true on AWS (EKS lacks it), false elsewhere (built in) */
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
    /** cert-manager ClusterIssuer issuing that certificate (needs addons.certManager). @default - none */
    certManagerClusterIssuer?: string;
}

export interface PlatformWorkloadIdentityArgs extends Omit<WorkloadIdentityArgs, "namespace" | "serviceAccount"> {
    /** The platform service whose ServiceAccount gets the cloud identity. */
    service: string;
}

export interface PlatformAccessArgs {
    /** Kubernetes access rules. @default [] */
    rules?: AclRule[];
    /** Cloud permissions of platform services. @default [] */
    workloadIdentities?: PlatformWorkloadIdentityArgs[];
    /** BREAK GLASS: subjects bound to cluster-admin (flagged by the policy pack). @default [] */
    breakGlassClusterAdmins?: AclSubject[];
    /** Refuse rules that let their subjects run pods as a service with a cloud identity. @default false */
    protectWorkloadIdentities?: boolean;
}

export interface PlatformEtcdArgs extends Omit<EtcdQuorumArgs, "namespace"> {
    /** Name of the StatefulSet and its Services. @default etcd */
    name?: string;
}

/** What a stack whose pods cannot all fit its node pools gets. */
export const CapacityOverflow = { Error: "error", Warn: "warn" } as const;
export type CapacityOverflow = (typeof CapacityOverflow)[keyof typeof CapacityOverflow];
export const CAPACITY_OVERFLOWS: readonly CapacityOverflow[] = Object.values(CapacityOverflow);

export interface PlatformCapacityArgs {
    /**
     * When the pods at their maxReplicas do not fit the pools at their maxNodes: refuse the
     * platform (`error`) or deploy it with a warning (`warn`). @default error
     */
    onOverflow?: CapacityOverflow;
    /** What the cloud's DaemonSets take on every node. @default - the cloud's estimate (NODE_DAEMONS in components/src/planners/capacity.ts) */
    nodeReserve?: NodeReserveArgs;
}

export interface PlatformArgs {
    /** The cluster to build (or target). */
    cluster: KubernetesClusterArgs;
    /** Namespace the platform's workloads run in; it enforces the `restricted` Pod Security Standard. @default apps */
    namespace?: string;
    /** Workloads. @default [] */
    services?: PlatformServiceArgs[];
    /** Capacity-weighted routes through the gateway. @default [] */
    routes?: PlatformRouteArgs[];
    /** The shared Gateway. @default - see PlatformGatewayArgs */
    gateway?: PlatformGatewayArgs;
    /** Cluster add-ons. @default - see AddonsArgs */
    addons?: AddonsArgs;
    /** An etcd quorum in the platform namespace. @default - none */
    etcd?: PlatformEtcdArgs;
    /** Access model: RBAC rules and workload identities of platform services. @default - none */
    access?: PlatformAccessArgs;
    /** The capacity plan's settings. @default - overflow is an error, the cloud's node reserve */
    capacity?: PlatformCapacityArgs;
    /**
     * Alias the services, routes and etcd quorum to their names from before they were prefixed
     * with the platform's name, so a stack made then keeps its resources. Set it to false on a
     * second Platform added to such a stack: two platforms cannot both claim the old names.
     * @default true
     */
    legacyChildAliases?: boolean;
}

/**
 * The largest platform the program is known to render in reasonable time: a mock run of the
 * program at these counts (bench/configs.ts services, one route of two backends each) took
 * 1m42s on 2 busy cores; 2000 services and 500 routes took over 2 minutes.
 */
export const PLATFORM_LIMITS = { services: 1500, routes: 300 } as const;

/** Every fixed default of {@link PlatformArgs}; the check, the component and the docs read these. */
export const PLATFORM_DEFAULTS = {
    namespace: "apps",
    gatewayNamespace: "gateway",
    etcdName: "etcd",
    legacyChildAliases: true,
    capacityOnOverflow: CapacityOverflow.Error,
} as const;

/** What the platform wires into one of its services, beyond the service's own args. */
export interface PlatformServiceWiring {
    /** Its own value, else whether a route sends traffic to it. */
    readonly exposeToGateway: boolean;
    /** The service's own pod labels plus those of its workload identity. */
    readonly podLabels: Readonly<Record<string, string>>;
    /** Services that call it, sorted. */
    readonly allowFrom: readonly string[];
    readonly calls: readonly ServiceCallArgs[];
    /** Index in access.workloadIdentities of the identity bound to its ServiceAccount. */
    readonly identity?: number;
}

/** Plans the wiring of every service (assumes `checkPlatform` found no problem). */
export function planPlatformServices(args: Pick<PlatformArgs, "cluster" | "services" | "routes" | "access">): Map<string, PlatformServiceWiring> {
    const services = args.services ?? [];
    const callers = callersOf(services);
    const ports = new Map(services.map((s) => [s.name, s.port]));
    const routed = new Set((args.routes ?? []).flatMap((r) => r.backends.map((b) => b.service)));
    const identities = args.access?.workloadIdentities ?? [];
    const keys = identityBindingKeys(args.cluster.cloud, args.cluster.aws?.workloadIdentity);
    return new Map(services.map((s) => {
        const identity = identities.findIndex((w) => w.service === s.name);
        return [s.name, {
            exposeToGateway: s.exposeToGateway ?? routed.has(s.name),
            podLabels: { ...(s.podLabels ?? {}), ...(identity >= 0 ? keys.podLabels : {}) },
            allowFrom: callers.get(s.name) ?? [],
            calls: (s.calls ?? []).map((c) => ({ service: c, port: ports.get(c)! })),
            identity: identity >= 0 ? identity : undefined,
        }];
    }));
}

/** The workloads' and the gateway's namespaces: valid, not the cluster's own, not shared with each other or an add-on. */
function checkNamespaces(args: PlatformArgs, at: (key: string) => string, problems: Problems): void {
    const d = PLATFORM_DEFAULTS;
    const controller = args.addons?.gatewayController ?? defaultGatewayController(args.cluster.cloud);
    const addons = new Map<string, string>();
    if (controller === "envoy") addons.set(ENVOY_NAMESPACE, "the Envoy Gateway add-on");
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

/** `gateway.*`: every field is the name of something the API server checks. */
function checkGatewayFields(args: PlatformArgs, at: (key: string) => string, problems: Problems): void {
    const gw = args.gateway ?? {};
    const path = at("gateway");
    if (gw.certManagerClusterIssuer !== undefined && !(args.addons?.certManager ?? false))
        problems.add(`${path}.certManagerClusterIssuer`, gw.certManagerClusterIssuer, `needs cert-manager: set ${at("addons")}.certManager: true`);
    checkGatewayNames({
        className: { key: "className", value: gw.className },
        tlsSecretName: { key: "tlsSecretName", value: gw.tlsSecretName },
        certManagerClusterIssuer: { key: "certManagerClusterIssuer", value: gw.certManagerClusterIssuer },
        hostname: { key: "hostname", value: gw.hostname },
    }, path, problems);
}

/**
 * Checks the parts of a platform against each other. `at(key)` maps an args key to the path
 * reported (`paas:services` for stack config, `args.services` for the component); `name` is the
 * Platform's (its children's cloud names are checked against the clouds' limits when given).
 */
export function checkPlatform(args: PlatformArgs, at: (key: string) => string, problems = new Problems(), name?: string): Problems {
    const services = args.services ?? [];
    const d = PLATFORM_DEFAULTS;
    const appNamespace = args.namespace ?? d.namespace;
    const gatewayNamespace = args.gateway?.namespace ?? d.gatewayNamespace;
    const hasGateway = (args.routes ?? []).length > 0;
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
    checkGatewayFields(args, at, problems);
    if (args.etcd && etcdName !== undefined) {
        checkEtcd(etcdName, args.etcd, at("etcd"), problems);
        if (args.etcd.certificates === "cert-manager" && !(args.addons?.certManager ?? false) && args.cluster.cloud !== "local")
            problems.add(`${at("etcd")}.certificates`, args.etcd.certificates, `needs cert-manager: set ${at("addons")}.certManager: true`);
    }
    if (args.access) {
        const identities = args.access.workloadIdentities ?? [];
        const access: Omit<AccessControlArgs, "clusterName"> = {
            cloud: args.cluster.cloud,
            rules: args.access.rules,
            breakGlassClusterAdmins: args.access.breakGlassClusterAdmins,
            protectWorkloadIdentities: args.access.protectWorkloadIdentities,
            workloadIdentities: identities.map(({ service, ...g }) => ({ ...g, namespace: appNamespace, serviceAccount: service })),
        };
        checkAccess(access, at("access"), problems, { componentName: name === undefined ? undefined : `${name}-access`, serviceAccountKey: "service" });
        // A Role needs its namespace to exist: only the platform's own are known to.
        const created = hasGateway ? [appNamespace, gatewayNamespace] : [appNamespace];
        (args.access.rules ?? []).forEach((r, i) => {
            if (r.namespace !== undefined && !isSystemNamespace(r.namespace) && !created.includes(r.namespace))
                problems.add(`${at("access")}.rules[${i}].namespace`, r.namespace,
                    `must be a namespace the platform creates (${created.join(", ")}): a Role elsewhere fails at deployment unless that namespace already exists, which the platform cannot know; omit it for a cluster-wide rule`);
        });
        const keys = identityBindingKeys(args.cluster.cloud, args.cluster.aws?.workloadIdentity);
        identities.forEach((w, j) => {
            const target = byName.get(w.service);
            const wPath = `${at("access")}.workloadIdentities[${j}]`;
            if (!target) return problems.add(`${wPath}.service`, w.service, `must name a service of ${at("services")}`);
            // What the identity needs on the ServiceAccount and the pods wins; a user value for it is an error.
            const i = services.indexOf(target);
            for (const key of keys.annotations)
                if (target.serviceAccountAnnotations?.[key] !== undefined) {
                    const value = target.serviceAccountAnnotations[key];
                    problems.add(`${at("services")}[${i}].serviceAccountAnnotations["${key}"]`, value,
                        `is set by the workload identity ${wPath}; remove it`, typeof value !== "string");
                }
            for (const [key, value] of Object.entries(keys.podLabels)) {
                const own = target.podLabels?.[key];
                if (own !== undefined && own !== value)
                    problems.add(`${at("services")}[${i}].podLabels["${key}"]`, own, `conflicts with the workload identity ${wPath}, which needs ${JSON.stringify(value)}`);
            }
            return undefined;
        });
    }
    checkCapacityArgs(args.capacity, at("capacity"), problems);
    // The plan needs valid inputs: with any other problem it would only repeat it.
    if (problems.empty) checkCapacity(args, at, problems, name);
    return problems;
}

/**
 * The add-ons the args turn on (metrics-server by default on EKS only; the Envoy Gateway when
 * it is the controller).
 */
export function platformAddons(addons: AddonsArgs | undefined, cloud: Cloud): AddonKey[] {
    const a = addons ?? {};
    const on: AddonKey[] = [];
    if (a.metricsServer ?? cloud === "aws") on.push("metricsServer");
    if (a.certManager) on.push("certManager");
    if ((a.gatewayController ?? defaultGatewayController(cloud)) === "envoy") on.push("envoyGateway");
    if (resolveMonitoring(a.monitoring).stack === "kube-prometheus-stack") on.push("monitoring");
    return on;
}

/** What the monitoring plan needs of a checked platform: each service's plans, each route's weights, the etcd plan. */
export function platformMonitoringInput(args: PlatformArgs): MonitoringInput {
    const kubernetesVersion = args.cluster.kubernetesVersion ?? CLUSTER_DEFAULTS.kubernetesVersion;
    const namespace = args.namespace ?? PLATFORM_DEFAULTS.namespace;
    return {
        monitoring: resolveMonitoring(args.addons?.monitoring),
        namespace,
        services: (args.services ?? []).map((s) => {
            const r = resolveService(s.name, { ...s, calls: [] });
            return { name: r.name, port: r.port, metrics: r.metrics, autoscaling: planAutoscaling(r.autoscaling, kubernetesVersion) };
        }),
        routes: (args.routes ?? []).map((r) => {
            const { capacities, weights } = planRouteWeights(r);
            return { name: r.name, backends: r.backends.map((b, i) => ({ service: b.service, capacity: capacities[i], weight: weights[i] })) };
        }),
        etcd: args.etcd ? planEtcd(args.etcd, args.etcd.name ?? PLATFORM_DEFAULTS.etcdName) : undefined,
    };
}

/** Every long-running pod of the platform: its services, its etcd members and the add-ons' Deployments. */
export function platformDemands(args: PlatformArgs): WorkloadDemand[] {
    const out: WorkloadDemand[] = (args.services ?? []).map((s) => {
        const r = resolveService(s.name, { ...s, calls: [] });
        // The Deployment spreads over zones and nodes with ScheduleAnyway, and has no selector or tolerations.
        return { name: r.name, kind: "Deployment", minReplicas: r.autoscaling.minReplicas, maxReplicas: r.autoscaling.maxReplicas, ...requests(r.cpu, r.memory),
            nodeSelector: {}, tolerations: [], zoneSpread: "soft", onePerNode: false };
    });
    if (args.etcd) {
        const e = planEtcd(args.etcd, args.etcd.name ?? PLATFORM_DEFAULTS.etcdName);
        out.push({ name: e.name, kind: "StatefulSet", minReplicas: e.members, maxReplicas: e.members, ...requests(e.cpu, e.memory),
            nodeSelector: {}, tolerations: [], zoneSpread: "soft", onePerNode: true });
    }
    return [...out, ...addonDemands(platformAddons(args.addons, args.cluster.cloud))];
}

/** The capacity plan of a platform, or why there is none (a local cluster, a machine type of unknown size). */
export function planPlatformCapacity(args: PlatformArgs, name = "paas"): CapacityPlan | { skipped: string } {
    const cluster = planCluster(args.cluster, "cluster", new Problems(), args.cluster.clusterName ?? name);
    const shapes = poolShapes(cluster, args.capacity?.nodeReserve);
    return "skipped" in shapes ? shapes : planCapacity(shapes.pools, [...platformDemands(args), ...clusterDemands(cluster)]);
}

/** "checkout-a (12 of 30 pods: no node of pool(s) apps has …)" for each workload that does not fit. */
export function overflowSummary(plan: CapacityPlan): string {
    return plan.max.unplaced.map((u) => `${u.kind} ${u.workload}: ${u.pods} pod${u.pods === 1 ? "" : "s"} (${u.reason})`).join("; ");
}

function checkCapacity(args: PlatformArgs, at: (key: string) => string, problems: Problems, name?: string): void {
    const plan = planPlatformCapacity(args, name);
    if ("skipped" in plan || plan.max.fits) return;
    if ((args.capacity?.onOverflow ?? PLATFORM_DEFAULTS.capacityOnOverflow) !== "error") return;
    const maxNodes = Object.fromEntries(plan.max.pools.map((p) => [p.pool, p.nodes]));
    problems.add(`${at("cluster")}.nodePools`, maxNodes,
        `cannot hold every pod at maxReplicas with every pool at maxNodes: ${overflowSummary(plan)}; raise maxNodes, use larger machine types or lower maxReplicas, or set ${at("capacity")}.onOverflow: warn to deploy anyway`);
}

function checkCapacityArgs(c: PlatformCapacityArgs | undefined, path: string, problems: Problems): void {
    if (c?.onOverflow !== undefined && !CAPACITY_OVERFLOWS.includes(c.onOverflow))
        problems.add(`${path}.onOverflow`, c.onOverflow, `must be one of ${CAPACITY_OVERFLOWS.map((o) => `"${o}"`).join(", ")}`);
    const r = c?.nodeReserve ?? {};
    if (r.cpu !== undefined && !CPU_QUANTITY.test(r.cpu)) problems.add(`${path}.nodeReserve.cpu`, r.cpu, 'must be a CPU quantity such as "200m"');
    if (r.memory !== undefined && !MEMORY_QUANTITY.test(r.memory)) problems.add(`${path}.nodeReserve.memory`, r.memory, 'must be a memory quantity such as "256Mi"');
    if (r.pods !== undefined && (!Number.isInteger(r.pods) || r.pods < 0 || r.pods > 250)) problems.add(`${path}.nodeReserve.pods`, r.pods, "must be an integer from 0 to 250");
}

/** The `capacity` stack output: per pool, what is left at min and at max, and what does not fit. */
export function capacityOutput(plan: CapacityPlan | { skipped: string }): Record<string, unknown> {
    if ("skipped" in plan) return { skipped: plan.skipped };
    const scenario = (s: CapacityPlan["max"]) => ({
        fits: s.fits,
        pools: Object.fromEntries(s.pools.map((p) => [p.pool, {
            nodes: p.nodes,
            freeCpu: formatCpu(p.free.cpu),
            freeMemory: formatMemory(p.free.memory),
            freePods: p.free.pods,
        }])),
        unplaced: s.unplaced.map((u) => ({ ...u })),
    });
    return { max: scenario(plan.max), min: scenario(plan.min) };
}
