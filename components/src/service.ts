/**
 * `paas:index:Service`: a workload with everything production needs around it — Deployment,
 * Service, ServiceAccount, PodDisruptionBudget, NetworkPolicy and the HPA of the scaling band.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AutoscalingArgs, type AutoscalingPlan, planAutoscaling } from "./planners/autoscaling";
import { DEFAULT_KUBERNETES_VERSION } from "./planners/cluster";
import { DNS_EGRESS, restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, workloadLabels } from "./planners/workload";
import { checkService } from "./planners/service";

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
    /** Destination CIDR outside the cluster. */
    cidr: string;
    /** Destination TCP port. */
    port: number;
}

export interface ServiceArgs {
    /** Namespace to run in. */
    namespace: pulumi.Input<string>;
    /** Container image, pinned by a tag other than `latest` or (recommended) by digest. */
    image: string;
    /** Container port served over HTTP; enables the Service, the probes and gateway ingress. @default - none (a worker) */
    port?: number;
    /** Path of the HTTP liveness and readiness probes. @default /healthz */
    healthPath?: string;
    /** CPU request. @default 250m */
    cpu?: string;
    /** Memory request. @default 256Mi */
    memory?: string;
    /** CPU limit. @default 1 */
    cpuLimit?: string;
    /** Memory limit. @default - the memory request (no overcommit of memory) */
    memoryLimit?: string;
    /** Environment variables. @default {} */
    env?: Record<string, string>;
    /** Container arguments. @default - the image's */
    args?: string[];
    /** UID (and GID) the container runs as. @default 65532 */
    runAsUser?: number;
    /** Mount a service-account token (only for workloads that call the Kubernetes API). @default false */
    automountServiceAccountToken?: boolean;
    /** Extra pod labels (e.g. azure.workload.identity/use). @default {} */
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
}

const PLANS = new WeakMap<object, AutoscalingPlan>();

export class Service extends pulumi.ComponentResource {
    readonly deploymentName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string | undefined>;
    readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        checkService(name, args, "args").throwIfAny(`Service "${name}" arguments`);
        super("paas:index:Service", name, {}, opts);
        const child = { parent: this };
        const runAsUser = args.runAsUser ?? 65532;
        const labels = workloadLabels(name);
        const selector = selectorLabels(name);
        const meta = { name, namespace: args.namespace, labels };
        const plan = planAutoscaling(args.autoscaling ?? {}, args.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
        PLANS.set(this, plan);
        if (plan.warning) pulumi.log.warn(`${name}: ${plan.warning}`, this);

        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { ...meta, annotations: args.serviceAccountAnnotations },
            automountServiceAccountToken: args.automountServiceAccountToken ?? false,
        }, child);

        const port = args.port;
        const probe = port === undefined ? undefined : { httpGet: { path: args.healthPath ?? "/healthz", port: "http" } };
        const memory = args.memory ?? "256Mi";
        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: meta,
            spec: {
                // No `replicas`: the HPA owns the count, and server-side apply would fight it.
                selector: { matchLabels: selector },
                revisionHistoryLimit: 5,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                template: {
                    metadata: { labels: { ...args.podLabels, ...labels } },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: args.automountServiceAccountToken ?? false,
                        securityContext: restrictedPodSecurity(runAsUser),
                        terminationGracePeriodSeconds: 30,
                        topologySpreadConstraints: [
                            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                        ],
                        containers: [{
                            name: "app",
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            args: args.args,
                            env: Object.entries(args.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
                            ports: port === undefined ? undefined : [{ name: "http", containerPort: port, protocol: "TCP" }],
                            resources: {
                                requests: { cpu: args.cpu ?? "250m", memory },
                                limits: { cpu: args.cpuLimit ?? "1", memory: args.memoryLimit ?? memory },
                            },
                            livenessProbe: probe && { ...probe, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                            readinessProbe: probe && { ...probe, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                            startupProbe: probe && { ...probe, periodSeconds: 5, failureThreshold: 30 },
                            securityContext: restrictedContainerSecurity(runAsUser),
                            // The root filesystem is read-only; /tmp is the one writable place.
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        }],
                        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
                    },
                },
            },
        }, child);

        const service = port === undefined ? undefined : new k8s.core.v1.Service(`${name}-service`, {
            metadata: meta,
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }] },
        }, child);

        // One pod at a time may be evicted, at any scale the HPA picks.
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: meta,
            spec: { selector: { matchLabels: selector }, maxUnavailable: 1 },
        }, child);

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
            metadata: meta,
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                minReplicas: plan.minReplicas,
                maxReplicas: plan.maxReplicas,
                metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: plan.targetUtilization } } }],
                behavior: {
                    scaleUp: { ...plan.scaleUp, policies: [...plan.scaleUp.policies], tolerance: plan.scaleUpTolerance },
                    scaleDown: { ...plan.scaleDown, policies: [...plan.scaleDown.policies], tolerance: plan.scaleDownTolerance },
                },
            },
        }, child);

        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: meta,
            spec: networkPolicySpec(name, args),
        }, child);

        this.deploymentName = deployment.metadata.name;
        this.serviceName = service ? service.metadata.name : pulumi.output(undefined);
        this.serviceAccountName = sa.metadata.name;
        this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName, serviceAccountName: this.serviceAccountName });
    }

    /** The resolved HPA plan (target, tolerances, behavior). */
    autoscalingPlan(): AutoscalingPlan {
        return PLANS.get(this)!;
    }
}

/** Least-privilege flows: in from the gateway and named callers; out to DNS, named callees and listed CIDRs. */
export function networkPolicySpec(name: string, args: ServiceArgs) {
    const tcp = (port: number) => ({ protocol: "TCP", port });
    const ingress = [];
    if (args.port !== undefined) {
        const peers = [];
        if (args.exposeToGateway ?? true) {
            if (args.gatewayPeer?.namespace)
                peers.push({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.gatewayPeer.namespace } } });
            for (const cidr of args.gatewayPeer?.cidrs ?? []) peers.push({ ipBlock: { cidr } });
        }
        for (const caller of [...(args.allowFrom ?? [])].sort()) peers.push({ podSelector: { matchLabels: selectorLabels(caller) } });
        if (peers.length > 0) ingress.push({ from: peers, ports: [tcp(args.port)] });
    }
    const egress: object[] = [DNS_EGRESS];
    for (const call of args.calls ?? []) egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(call.service) } }], ports: [tcp(call.port)] });
    for (const e of args.egress ?? []) egress.push({ to: [{ ipBlock: { cidr: e.cidr } }], ports: [tcp(e.port)] });
    return { podSelector: { matchLabels: selectorLabels(name) }, policyTypes: ["Ingress", "Egress"], ingress, egress };
}
