/** Service args, their defaults, checks and the pure parts of the workload (NetworkPolicy). Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import { AUTOSCALING_DEFAULTS, type AutoscalingArgs, resolveAutoscaling } from "./autoscaling";
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSION_RULE, isSupportedKubernetesVersion } from "./kubernetesVersion";
import { coversInternet, metadataAddressIn, parseIpBlock } from "./network";
import {
    CPU_QUANTITY, DNS_1035, DNS_EGRESS, ENV_NAME, MEMORY_QUANTITY, imageProblem, isDnsSubdomain, objectNameRule, labelKeyProblem, labelValueProblem,
    literalCredentialReason, positiveQuantity, quantityValue, selectorLabels, workloadLabels,
} from "./workload";

/** Where traffic from the gateway's data plane comes from. */
export interface GatewayPeerArgs {
    /** Namespace of the gateway's proxies. @default - none */
    namespace?: string;
    /** Address ranges of a cloud load balancer that sends traffic straight to pods. @default [] */
    cidrs?: string[];
}

export interface ServiceCallArgs {
    /** Name of the called service (in the same namespace). */
    service: string;
    /** Its port. */
    port: number;
}

export interface EgressRuleArgs {
    /** Destination CIDR outside the cluster (IPv4 or IPv6). */
    cidr: string;
    /** Destination TCP port. */
    port: number;
    /**
     * Let this rule reach a cloud metadata endpoint (169.254.169.254, fd00:ec2::254), which hands
     * out the node's cloud credentials to whoever asks. Refused unless set. @default false
     */
    allowCloudMetadata?: boolean;
}

/** An environment variable read from a key of a Kubernetes Secret in the service's namespace. */
export interface SecretKeyRefArgs {
    /** Name of the Secret. */
    name: string;
    /** Key inside the Secret. */
    key: string;
}

export interface ServiceArgs {
    /** Name of the Kubernetes objects (Deployment, Service, ServiceAccount, ...) and of the pods' app label. @default - the component name */
    name?: string;
    /** Namespace to run in. */
    namespace: pulumi.Input<string>;
    /** Container image, pinned by a tag other than `latest` or (recommended) by digest. */
    image: string;
    /**
     * Container port served over HTTP; enables the Service, the probes and gateway ingress.
     * The three probes differ on purpose:
     * - readiness: `GET healthPath` every 5 s, out of the Service after 2 failures; the health
     *   endpoint may check dependencies, since failing it only takes the pod out of rotation.
     * - liveness: a TCP connect to the port every 20 s, restarted after 6 failures (2 minutes);
     *   it never reads the health path, so a failing dependency (shared by every replica) does
     *   not restart every pod at once: only a process that stopped accepting connections is.
     * - startup: the same TCP connect every 5 s, up to 30 failures (150 s to boot); liveness
     *   starts once it passes, readiness runs meanwhile.
     * @default - none (a worker: no Service, no probes)
     */
    port?: number;
    /** Path of the HTTP readiness probe (liveness and startup only check that the port accepts connections). @default /healthz */
    healthPath?: string;
    /** CPU request. @default 250m */
    cpu?: string;
    /** Memory request. @default 256Mi */
    memory?: string;
    /** CPU limit. @default 1 */
    cpuLimit?: string;
    /** Memory limit. @default - the memory request (no overcommit of memory) */
    memoryLimit?: string;
    /** Environment variables with literal values (never credentials: see `secretEnv`). @default {} */
    env?: Record<string, string>;
    /** Environment variables read from Kubernetes Secrets (`valueFrom.secretKeyRef`); the Secrets must exist in the namespace. @default {} */
    secretEnv?: Record<string, SecretKeyRefArgs>;
    /** Container arguments. @default - the image's */
    args?: string[];
    /** UID (and GID) the container runs as. @default 65532 */
    runAsUser?: number;
    /** Mount a service-account token (only for workloads that call the Kubernetes API). @default false */
    automountServiceAccountToken?: boolean;
    /** Extra pod labels (e.g. azure.workload.identity/use); the selector labels may not be overridden. @default {} */
    podLabels?: Record<string, string>;
    /** Annotations of the ServiceAccount (workload identity bindings). @default {} */
    serviceAccountAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The scaling band and replica range. @default 2–10 replicas, up above 80 %, down below 30 % */
    autoscaling?: AutoscalingArgs;
    /** Kubernetes minor version of the cluster, which decides how exactly the band is expressed. @default 1.35 */
    kubernetesVersion?: string;
    /** Accept traffic from the gateway (only with `port`). @default true */
    exposeToGateway?: boolean;
    /** Where the gateway's traffic comes from. @default - no gateway peer */
    gatewayPeer?: GatewayPeerArgs;
    /** Services in the namespace allowed to call this one. @default [] */
    allowFrom?: string[];
    /** Services this one calls (egress is opened to exactly these). @default [] */
    calls?: ServiceCallArgs[];
    /** Destinations outside the cluster. @default [] */
    egress?: EgressRuleArgs[];
    /** Where the container serves Prometheus metrics; with monitoring on, a PodMonitor scrapes it and only Prometheus may reach the port. @default - not scraped */
    metrics?: ServiceMetricsArgs;
}

/**
 * Name of the container port a service's metrics are scraped on: its serving port ("http") when
 * the metrics share it, else a port of their own ("metrics").
 */
export function metricsPortName(s: { port?: number; metrics: { port: number } }): "http" | "metrics" {
    return s.metrics.port === s.port ? "http" : "metrics";
}

export interface ServiceMetricsArgs {
    /** Container port of the metrics endpoint (plain HTTP); may be the service's `port`. */
    port: number;
    /** Path of the metrics endpoint. @default /metrics */
    path?: string;
}

/** Every fixed default of {@link ServiceArgs}; the check, the component and the docs read these. */
export const SERVICE_DEFAULTS = {
    healthPath: "/healthz",
    metricsPath: "/metrics",
    cpu: "250m",
    memory: "256Mi",
    cpuLimit: "1",
    runAsUser: 65532,
    automountServiceAccountToken: false,
    exposeToGateway: true,
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    autoscaling: AUTOSCALING_DEFAULTS,
} as const;

/**
 * The probes of a service with a port (see {@link ServiceArgs.port}). Liveness is cheaper and
 * slower to fire than readiness: readiness may fail with a dependency and only drains the pod;
 * liveness restarts it, so it (and the startup probe that gates it) checks only the port.
 */
export const SERVICE_PROBES = {
    startup: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 30 },
    readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    liveness: { periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 6 },
} as const;

/** The startup, readiness and liveness probes of `s`, or undefined for a worker (no port). */
export function serviceProbes(s: Pick<ResolvedService, "port" | "healthPath">) {
    if (s.port === undefined) return undefined;
    const tcp = { tcpSocket: { port: "http" } };
    return {
        startupProbe: { ...tcp, ...SERVICE_PROBES.startup },
        readinessProbe: { httpGet: { path: s.healthPath, port: "http" }, ...SERVICE_PROBES.readiness },
        livenessProbe: { ...tcp, ...SERVICE_PROBES.liveness },
    };
}

/**
 * Local disk of a service's pod. /tmp (the one writable path) is an emptyDir capped at
 * `tmpSizeLimit`; the container's ephemeral-storage limit covers that plus its logs, so the
 * kubelet evicts a pod that fills the node's disk instead of the node failing.
 */
export const SERVICE_EPHEMERAL_STORAGE = { tmpSizeLimit: "256Mi", request: "128Mi", limit: "512Mi" } as const;

/** The args with every default applied; the component reads only this (and the Inputs). */
export interface ResolvedService {
    readonly name: string;
    readonly image: string;
    readonly port?: number;
    readonly healthPath: string;
    readonly cpu: string;
    readonly memory: string;
    readonly cpuLimit: string;
    readonly memoryLimit: string;
    readonly env: Readonly<Record<string, string>>;
    readonly secretEnv: Readonly<Record<string, SecretKeyRefArgs>>;
    readonly args?: readonly string[];
    readonly runAsUser: number;
    readonly automountServiceAccountToken: boolean;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly autoscaling: Required<AutoscalingArgs>;
    readonly kubernetesVersion: string;
    readonly exposeToGateway: boolean;
    readonly gatewayPeer: { readonly namespace?: string; readonly cidrs: readonly string[] };
    readonly allowFrom: readonly string[];
    readonly calls: readonly ServiceCallArgs[];
    readonly egress: readonly EgressRuleArgs[];
    readonly metrics?: { readonly port: number; readonly path: string };
}

export function resolveService(componentName: string, a: Omit<ServiceArgs, "namespace" | "serviceAccountAnnotations">): ResolvedService {
    const d = SERVICE_DEFAULTS;
    const memory = a.memory ?? d.memory;
    return {
        name: a.name ?? componentName,
        image: a.image,
        port: a.port,
        healthPath: a.healthPath ?? d.healthPath,
        cpu: a.cpu ?? d.cpu,
        memory,
        cpuLimit: a.cpuLimit ?? d.cpuLimit,
        memoryLimit: a.memoryLimit ?? memory,
        env: { ...(a.env ?? {}) },
        secretEnv: { ...(a.secretEnv ?? {}) },
        args: a.args,
        runAsUser: a.runAsUser ?? d.runAsUser,
        automountServiceAccountToken: a.automountServiceAccountToken ?? d.automountServiceAccountToken,
        podLabels: { ...(a.podLabels ?? {}) },
        autoscaling: resolveAutoscaling(a.autoscaling),
        kubernetesVersion: a.kubernetesVersion ?? d.kubernetesVersion,
        exposeToGateway: a.exposeToGateway ?? d.exposeToGateway,
        gatewayPeer: { namespace: a.gatewayPeer?.namespace, cidrs: [...(a.gatewayPeer?.cidrs ?? [])] },
        allowFrom: [...(a.allowFrom ?? [])],
        calls: [...(a.calls ?? [])],
        egress: [...(a.egress ?? [])],
        metrics: a.metrics && { port: a.metrics.port, path: a.metrics.path ?? d.metricsPath },
    };
}

export function checkAutoscaling(args: AutoscalingArgs | undefined, path: string, problems: Problems): void {
    const a = resolveAutoscaling(args);
    const { scaleUpAbove: up, scaleDownBelow: down, minReplicas: min, maxReplicas: max } = a;
    if (!Number.isInteger(up) || up < 2 || up > 100) problems.add(`${path}.scaleUpAbove`, up, "must be an integer percent from 2 to 100");
    if (!Number.isInteger(down) || down < 1 || down >= up) problems.add(`${path}.scaleDownBelow`, down, `must be an integer percent with 0 < scaleDownBelow < scaleUpAbove (${up})`);
    if (!Number.isInteger(min) || min < 1) problems.add(`${path}.minReplicas`, min, "must be an integer >= 1");
    if (!Number.isInteger(max) || max < min || max > 1000) problems.add(`${path}.maxReplicas`, max, `must be an integer from minReplicas (${min}) to 1000`);
    const windows: [keyof AutoscalingArgs, number][] = [
        ["scaleDownStabilizationSeconds", a.scaleDownStabilizationSeconds],
        ["scaleUpStabilizationSeconds", a.scaleUpStabilizationSeconds],
    ];
    for (const [k, v] of windows)
        if (!Number.isInteger(v) || v < 0 || v > 3600) problems.add(`${path}.${k}`, v, "must be an integer number of seconds from 0 to 3600");
    const pct = a.scaleDownPercentPerMinute;
    if (!Number.isInteger(pct) || pct < 1 || pct > 100) problems.add(`${path}.scaleDownPercentPerMinute`, pct, "must be an integer percent from 1 to 100");
}

const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/**
 * Checks Service args. `name` is the component name; the Kubernetes name is `args.name` when
 * given (the Platform passes the service's own name there). Problems are reported on the key
 * the caller wrote: a default that conflicts with a given value is the given value's problem.
 */
export function checkService(name: string, args: Omit<ServiceArgs, "namespace" | "serviceAccountAnnotations">, path: string, problems = new Problems()): Problems {
    const s = resolveService(name, args);
    if (!DNS_1035.test(s.name)) problems.add(`${path}.name`, s.name, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter, at most 63");
    const image = imageProblem(s.image);
    if (image) problems.add(`${path}.image`, s.image, image);
    if (s.port !== undefined && (!Number.isInteger(s.port) || s.port < 1024 || s.port > 65535))
        problems.add(`${path}.port`, s.port, "must be an integer from 1024 to 65535 (non-root containers cannot bind below 1024)");
    checkResources(args, s, path, problems);
    if (!Number.isInteger(s.runAsUser) || s.runAsUser < 1 || s.runAsUser > 2147483647) problems.add(`${path}.runAsUser`, s.runAsUser, "must be a non-root UID from 1 to 2147483647");
    if (args.healthPath !== undefined && !args.healthPath.startsWith("/")) problems.add(`${path}.healthPath`, args.healthPath, 'must start with "/"');
    if (s.metrics !== undefined) {
        const m = s.metrics;
        if (!Number.isInteger(m.port) || m.port < 1024 || m.port > 65535)
            problems.add(`${path}.metrics.port`, m.port, "must be an integer from 1024 to 65535 (non-root containers cannot bind below 1024)");
        if (!/^\/[!-~]*$/.test(m.path)) problems.add(`${path}.metrics.path`, m.path, 'must start with "/" and have no spaces');
    }
    if (args.kubernetesVersion !== undefined && !isSupportedKubernetesVersion(args.kubernetesVersion))
        problems.add(`${path}.kubernetesVersion`, args.kubernetesVersion, KUBERNETES_VERSION_RULE);
    checkEnv(s, path, problems);
    // The workload's own labels select its pods: an extra label may repeat one, never change it.
    const own = workloadLabels(s.name);
    for (const [k, v] of Object.entries(s.podLabels)) {
        if (k in own) {
            if (own[k] !== v) problems.add(`${path}.podLabels["${k}"]`, v, `conflicts with the label the workload sets itself (${JSON.stringify(own[k])}); remove it`);
            continue;
        }
        const keyProblem = labelKeyProblem(k, ["app.kubernetes.io"]);
        if (keyProblem) problems.add(`${path}.podLabels["${k}"]`, k, keyProblem);
        else if (labelValueProblem(v)) problems.add(`${path}.podLabels["${k}"]`, v, labelValueProblem(v)!);
    }
    checkAutoscaling(args.autoscaling, `${path}.autoscaling`, problems);
    s.calls.forEach((c, i) => {
        if (!DNS_1035.test(c.service)) problems.add(`${path}.calls[${i}].service`, c.service, "must be a service name");
        if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) problems.add(`${path}.calls[${i}].port`, c.port, "must be a port from 1 to 65535");
    });
    checkEgress(s.egress, `${path}.egress`, problems);
    return problems;
}

/** Requests and limits: valid quantities above zero, limits at least the requests. */
function checkResources(args: Pick<ServiceArgs, "cpu" | "memory" | "cpuLimit" | "memoryLimit">, s: ResolvedService, path: string, problems: Problems): void {
    const d = SERVICE_DEFAULTS;
    // A CPU-utilization HPA divides by the request: it must be above zero.
    const cpuOk = CPU_QUANTITY.test(s.cpu) && positiveQuantity(s.cpu);
    if (!CPU_QUANTITY.test(s.cpu)) problems.add(`${path}.cpu`, s.cpu, 'must be a CPU quantity such as "250m" or "1"');
    else if (!cpuOk) problems.add(`${path}.cpu`, s.cpu, "must be greater than 0: the HPA scales on CPU utilization, a percentage of this request");
    const limitOk = CPU_QUANTITY.test(s.cpuLimit) && positiveQuantity(s.cpuLimit);
    if (!CPU_QUANTITY.test(s.cpuLimit)) problems.add(`${path}.cpuLimit`, s.cpuLimit, 'must be a CPU quantity such as "500m" or "2"');
    else if (!limitOk) problems.add(`${path}.cpuLimit`, s.cpuLimit, "must be greater than 0");
    else if (cpuOk && quantityValue(s.cpuLimit) < quantityValue(s.cpu)) {
        if (args.cpuLimit !== undefined) problems.add(`${path}.cpuLimit`, s.cpuLimit, `must be >= cpu (${s.cpu})`);
        else problems.add(`${path}.cpu`, s.cpu, `must be <= cpuLimit (${d.cpuLimit}, its default); set cpuLimit too`);
    }
    const memoryOk = MEMORY_QUANTITY.test(s.memory) && positiveQuantity(s.memory);
    if (!MEMORY_QUANTITY.test(s.memory)) problems.add(`${path}.memory`, s.memory, 'must be a memory quantity such as "256Mi" or "1Gi"');
    else if (!memoryOk) problems.add(`${path}.memory`, s.memory, "must be greater than 0");
    // memoryLimit defaults to memory: only a given one can be wrong on its own.
    if (args.memoryLimit !== undefined) {
        if (!MEMORY_QUANTITY.test(s.memoryLimit)) problems.add(`${path}.memoryLimit`, s.memoryLimit, 'must be a memory quantity such as "512Mi"');
        else if (!positiveQuantity(s.memoryLimit)) problems.add(`${path}.memoryLimit`, s.memoryLimit, "must be greater than 0");
        else if (memoryOk && quantityValue(s.memoryLimit) < quantityValue(s.memory)) problems.add(`${path}.memoryLimit`, s.memoryLimit, `must be >= memory (${s.memory})`);
    }
}

/** Names, literal credentials (values are never printed) and Secret references. */
function checkEnv(s: ResolvedService, path: string, problems: Problems): void {
    for (const [k, v] of Object.entries(s.env)) {
        if (!ENV_NAME.test(k)) problems.add(`${path}.env.${k}`, k, "key must be an environment variable name");
        else if (typeof v !== "string") problems.add(`${path}.env.${k}`, undefined, "must be a string", true);
        else {
            const reason = literalCredentialReason(k, v);
            if (reason) problems.add(`${path}.env.${k}`, undefined, `must not be a literal credential (${reason}): keep it in a Kubernetes Secret and read it with secretEnv.${k}: {name, key}`, true);
        }
    }
    for (const [k, ref] of Object.entries(s.secretEnv)) {
        const at = `${path}.secretEnv.${k}`;
        if (!ENV_NAME.test(k)) problems.add(at, k, "key must be an environment variable name");
        else if (k in s.env) problems.add(at, undefined, `is also set in env; set it in one of the two`, true);
        if (!isDnsSubdomain(ref.name)) problems.add(`${at}.name`, ref.name, objectNameRule("Secret"));
        if (!SECRET_KEY.test(ref.key)) problems.add(`${at}.key`, ref.key, "must be a Secret key: 1 to 253 letters, digits, '-', '_' or '.'");
    }
}

/** Destinations outside the cluster: valid blocks, never the whole internet, no metadata endpoint unless asked for. */
function checkEgress(egress: readonly EgressRuleArgs[], path: string, problems: Problems): void {
    egress.forEach((e, i) => {
        const b = parseIpBlock(e.cidr);
        const at = `${path}[${i}].cidr`;
        if (!b || !e.cidr.includes("/")) problems.add(at, e.cidr, "must be an IPv4 or IPv6 CIDR block such as 203.0.113.0/24");
        else if (b.hostBits) problems.add(at, e.cidr, "must not have host bits set");
        else if (coversInternet([e.cidr])) problems.add(at, e.cidr, `must not be ${b.family === 4 ? "0.0.0.0/0" : "::/0"}, nor cover every public address: list the destinations`);
        else {
            const metadata = metadataAddressIn(e.cidr);
            if (metadata && !e.allowCloudMetadata)
                problems.add(at, e.cidr, `contains the cloud metadata endpoint ${metadata}, which hands out the node's credentials; narrow the block, or set allowCloudMetadata: true on this rule`);
        }
        if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) problems.add(`${path}[${i}].port`, e.port, "must be a port from 1 to 65535");
    });
    const cidrs = egress.map((e) => e.cidr);
    if (!cidrs.some((c) => coversInternet([c])) && coversInternet(cidrs))
        problems.add(path, cidrs, "must not open egress to the whole internet: together these blocks cover every public address, as 0.0.0.0/0 does; list the destinations");
}

/** Least-privilege flows: in from the gateway and named callers; out to DNS, named callees and listed CIDRs. */
export function networkPolicySpec(s: ResolvedService) {
    const tcp = (port: number) => ({ protocol: "TCP", port });
    const ingress = [];
    if (s.port !== undefined) {
        const peers = [];
        if (s.exposeToGateway) {
            if (s.gatewayPeer.namespace)
                peers.push({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": s.gatewayPeer.namespace } } });
            for (const cidr of s.gatewayPeer.cidrs) peers.push({ ipBlock: { cidr } });
        }
        for (const caller of [...s.allowFrom].sort()) peers.push({ podSelector: { matchLabels: selectorLabels(caller) } });
        if (peers.length > 0) ingress.push({ from: peers, ports: [tcp(s.port)] });
    }
    const egress: object[] = [DNS_EGRESS];
    for (const call of s.calls) egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(call.service) } }], ports: [tcp(call.port)] });
    for (const e of s.egress) egress.push({ to: [{ ipBlock: { cidr: e.cidr } }], ports: [tcp(e.port)] });
    return { podSelector: { matchLabels: selectorLabels(s.name) }, policyTypes: ["Ingress", "Egress"], ingress, egress };
}
