/**
 * `paas:index:Service`: a workload with everything production needs around it — Deployment,
 * Service, ServiceAccount, PodDisruptionBudget, NetworkPolicy and the HPA of the scaling band.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AutoscalingPlan, planAutoscaling } from "./planners/autoscaling";
import { type ResolvedService, SERVICE_EPHEMERAL_STORAGE, type ServiceArgs, checkService, metricsPortName, networkPolicySpec, resolveService, serviceProbes } from "./planners/service";
import { restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, workloadLabels } from "./planners/workload";

export type { EgressRuleArgs, GatewayPeerArgs, SecretKeyRefArgs, ServiceArgs, ServiceCallArgs, ServiceMetricsArgs } from "./planners/service";

const PLANS = new WeakMap<object, AutoscalingPlan>();

/** The serving port ("http") and, when it is another one, the metrics port ("metrics"). */
function containerPorts(s: ResolvedService) {
    const ports = s.port === undefined ? [] : [{ name: "http", containerPort: s.port, protocol: "TCP" }];
    if (s.metrics && metricsPortName({ port: s.port, metrics: s.metrics }) === "metrics") ports.push({ name: "metrics", containerPort: s.metrics.port, protocol: "TCP" });
    return ports.length === 0 ? undefined : ports;
}

export class Service extends pulumi.ComponentResource {
    readonly deploymentName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string | undefined>;
    readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        checkService(name, args, "args").throwIfAny(`Service "${name}" arguments`);
        super("paas:index:Service", name, {}, opts);
        const child = { parent: this };
        // Resolved once; the raw args are read again only for the Inputs (namespace, annotations).
        const s = resolveService(name, args);
        const labels = workloadLabels(s.name);
        const selector = selectorLabels(s.name);
        const meta = { name: s.name, namespace: args.namespace, labels };
        const plan = planAutoscaling(s.autoscaling, s.kubernetesVersion);
        PLANS.set(this, plan);
        if (plan.warning) pulumi.log.warn(`${s.name}: ${plan.warning}`, this);

        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { ...meta, annotations: args.serviceAccountAnnotations },
            automountServiceAccountToken: s.automountServiceAccountToken,
        }, child);

        const port = s.port;
        const probes = serviceProbes(s);
        const disk = SERVICE_EPHEMERAL_STORAGE;
        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: meta,
            spec: {
                // No `replicas`: the HPA owns the count, and server-side apply would fight it.
                selector: { matchLabels: selector },
                revisionHistoryLimit: 5,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                template: {
                    // checkService refuses extra labels that would change these.
                    metadata: { labels: { ...s.podLabels, ...labels } },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: s.automountServiceAccountToken,
                        securityContext: restrictedPodSecurity(s.runAsUser),
                        terminationGracePeriodSeconds: 30,
                        topologySpreadConstraints: [
                            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                        ],
                        containers: [{
                            name: "app",
                            image: s.image,
                            imagePullPolicy: "IfNotPresent",
                            args: s.args && [...s.args],
                            env: [
                                ...Object.entries(s.env).map(([k, v]) => ({ name: k, value: v })),
                                // Credentials stay in their Secret: the pod spec only names it.
                                ...Object.entries(s.secretEnv).map(([k, ref]) => ({ name: k, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } })),
                            ],
                            ports: containerPorts(s),
                            resources: {
                                requests: { cpu: s.cpu, memory: s.memory, "ephemeral-storage": disk.request },
                                limits: { cpu: s.cpuLimit, memory: s.memoryLimit, "ephemeral-storage": disk.limit },
                            },
                            ...probes,
                            securityContext: restrictedContainerSecurity(s.runAsUser),
                            // The root filesystem is read-only; /tmp is the one writable place.
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        }],
                        volumes: [{ name: "tmp", emptyDir: { sizeLimit: disk.tmpSizeLimit } }],
                    },
                },
            },
        }, child);

        const service = port === undefined ? undefined : new k8s.core.v1.Service(`${name}-service`, {
            metadata: meta,
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }] },
        }, child);

        // One pod at a time may be evicted, at any scale the HPA picks. Pods that are not ready
        // (crash-looping, say) may always be evicted: they serve nothing, and under the default
        // (IfHealthyBudget) they would block every node drain while the budget is used up.
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: meta,
            spec: { selector: { matchLabels: selector }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
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
            spec: networkPolicySpec(s),
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
