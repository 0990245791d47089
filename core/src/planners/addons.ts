/**
 * The add-ons under the platform's own rules: the namespace each chart runs in (declared by the
 * platform, with Pod Security labels, so the stack rules see it), a default deny there with only
 * the flows the add-on needs, and chart values that give every pod resources, a budget and a
 * locked-down securityContext. Pure.
 */
import { GRAFANA_DASHBOARD_LABEL, MONITORING_DEFAULTS } from "./monitoring";
import { CERT_MANAGER_NAMESPACE, ENVOY_NAMESPACE } from "./kubernetesPlatform";
import { DNS_EGRESS, MANAGED_BY } from "./workload";

export type AddonKey = "metricsServer" | "envoyGateway" | "certManager" | "monitoring";

/**
 * Label of a namespace whose pods a chart installs: the stack cannot see them (and a rendered
 * stack has no release at all), so the stack rules know the namespace's selectors by it.
 */
export const ADDON_NAMESPACE_LABEL = "paas.dev/addon";

/** The Pod Security level a namespace enforces. */
export type PodSecurityLevel = "restricted" | "baseline";

/** Labels of a namespace that enforces (and audits and warns at) `level`. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        // Audit and warn at restricted even where baseline is enforced: what falls short is visible.
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}

/** A NetworkPolicy's name and spec (the namespace is the add-on's). */
export interface AddonNetworkPolicy {
    name: string;
    spec: Record<string, unknown>;
}

export interface AddonNamespacePlan {
    addon: AddonKey;
    /** undefined: the chart runs in a namespace of the cluster's own (kube-system), which the platform does not manage. */
    namespace?: { name: string; labels: Record<string, string> };
    networkPolicies: AddonNetworkPolicy[];
}

/** The API server's ports (443 behind the `kubernetes` Service on managed clusters, 6443 on the nodes). */
const API_SERVER_PORTS = [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }];
/** Egress to the API server: its address is the cloud's and unknown here, so the rule names ports only. */
const apiServerEgress = { ports: API_SERVER_PORTS };

const defaultDeny: AddonNetworkPolicy = { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
/** Pods of the namespace talk to each other (controller ↔ proxies, webhook ↔ controller). */
const sameNamespace: AddonNetworkPolicy = {
    name: "allow-same-namespace",
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }, DNS_EGRESS, apiServerEgress] },
};

/** Labels Envoy Gateway puts on the Envoy proxy pods it runs for each Gateway. */
export const ENVOY_PROXY_POD_LABELS = { "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" } as const;

/**
 * Port the chart's admission webhooks listen on (cert-manager's webhook; Envoy Gateway's topology
 * injector): the API server calls it from outside the pod network.
 */
export const WEBHOOK_PORTS: Readonly<Record<"envoyGateway" | "certManager" | "monitoring", number>> = { envoyGateway: 9443, certManager: 10250, monitoring: 10250 };

/** Labels kube-prometheus-stack puts on its Prometheus Operator pod (release "kube-prometheus-stack"). */
export const PROMETHEUS_OPERATOR_POD_LABELS = { app: "kube-prometheus-stack-operator" } as const;
/** The kubelet's port, where Prometheus reads the containers' CPU (cAdvisor). */
const KUBELET_PORT = 10250;

/** What the monitoring add-on's namespace needs to know: where it is, where Prometheus scrapes. */
export interface MonitoringNamespaceArgs {
    readonly namespace: string;
    readonly prometheusPodLabels: Readonly<Record<string, string>>;
    /** Ports Prometheus scrapes in the workloads' namespace. */
    readonly scrapePorts: readonly number[];
}

/** Ingress on a chart's admission-webhook port, from the API server (outside the pod network: any source). */
const webhookFromApiServer = (podLabels: Record<string, string>, port: number): AddonNetworkPolicy => ({
    name: "allow-webhook-from-api-server",
    spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port }] }] },
});

/**
 * Namespaces and policies of the enabled add-ons. `appNamespace` is where the gateway's backends
 * run; `monitoring` is needed when the monitoring add-on is on.
 */
export function planAddonNamespaces(enabled: readonly AddonKey[], appNamespace: string, monitoring?: MonitoringNamespaceArgs): AddonNamespacePlan[] {
    const plans: AddonNamespacePlan[] = [];
    const labelled = (addon: AddonKey, name: string, level: PodSecurityLevel) => ({ name, labels: { ...MANAGED_BY, [ADDON_NAMESPACE_LABEL]: addon, ...podSecurityLabels(level) } });
    // metrics-server stays in kube-system, where every cloud expects it; the platform does not police that namespace.
    if (enabled.includes("metricsServer")) plans.push({ addon: "metricsServer", networkPolicies: [] });
    if (enabled.includes("certManager")) plans.push({
        addon: "certManager",
        namespace: labelled("certManager", CERT_MANAGER_NAMESPACE, "restricted"),
        networkPolicies: [defaultDeny, sameNamespace,
            webhookFromApiServer({ "app.kubernetes.io/component": "webhook" }, WEBHOOK_PORTS.certManager),
            // ACME: the CA's API (443) and the HTTP-01 self-check through the public address (80).
            { name: "allow-acme-egress", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/component": "controller" } }, policyTypes: ["Egress"],
                egress: [{ ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 80 }] }],
            } },
        ],
    });
    if (enabled.includes("envoyGateway")) plans.push({
        addon: "envoyGateway",
        // Envoy Gateway creates the proxy Deployments itself, with securityContexts from its own
        // EnvoyProxy defaults, which the platform does not set: enforcing restricted would stop a
        // proxy that falls short from starting, so baseline is enforced and restricted audited and warned.
        namespace: labelled("envoyGateway", ENVOY_NAMESPACE, "baseline"),
        networkPolicies: [defaultDeny, sameNamespace,
            webhookFromApiServer({ "control-plane": "envoy-gateway" }, WEBHOOK_PORTS.envoyGateway),
            // The proxies are the way in: anyone may reach them; they reach only the platform's services.
            { name: "allow-proxy-traffic", spec: {
                podSelector: { matchLabels: { ...ENVOY_PROXY_POD_LABELS } }, policyTypes: ["Ingress", "Egress"],
                ingress: [{}],
                egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": appNamespace } } }] }],
            } },
        ],
    });
    if (enabled.includes("monitoring")) {
        const m = monitoring ?? { namespace: MONITORING_DEFAULTS.namespace, prometheusPodLabels: MONITORING_DEFAULTS.prometheusPodLabels, scrapePorts: [] };
        const scrape = m.scrapePorts.map((port) => ({ protocol: "TCP", port }));
        plans.push({
            addon: "monitoring",
            // Grafana's and kube-state-metrics' chart pods do not all set every field restricted asks
            // for: baseline is enforced, restricted audited and warned (node-exporter, which needs
            // the host, is off).
            namespace: labelled("monitoring", m.namespace, "baseline"),
            networkPolicies: [defaultDeny, sameNamespace,
                webhookFromApiServer({ ...PROMETHEUS_OPERATOR_POD_LABELS }, WEBHOOK_PORTS.monitoring),
                // Prometheus scrapes the platform's metrics ports (each target admits it with its own
                // policy) and the kubelets (no fixed address: the port only).
                { name: "allow-prometheus-scrape", spec: {
                    podSelector: { matchLabels: { ...m.prometheusPodLabels } }, policyTypes: ["Egress"],
                    egress: [
                        ...(scrape.length > 0 ? [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": appNamespace } } }], ports: scrape }] : []),
                        { ports: [{ protocol: "TCP", port: KUBELET_PORT }] },
                    ],
                } },
            ],
        });
    }
    return plans;
}

/** A container securityContext that passes the restricted Pod Security Standard, with a read-only root. */
const lockedContainer = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};
const lockedPod = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };

/** Requests and limits (memory limited; CPU limited too, as the pack asks of every container). */
const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

/**
 * Chart values of each add-on beyond its defaults: two replicas and a budget for each long-running
 * Deployment, resources, and securityContexts, in each chart's own keys. `prometheusPodLabels`
 * (monitoring only) are put on the Prometheus pods, which the scrape policies admit by them.
 */
export function hardenedValues(addon: AddonKey, prometheusPodLabels: Readonly<Record<string, string>> = MONITORING_DEFAULTS.prometheusPodLabels): Record<string, unknown> {
    switch (addon) {
        case "metricsServer":
            return {
                replicas: 2,
                podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
                resources: resources("100m", "200Mi", "500m", "400Mi"),
                podSecurityContext: lockedPod,
                securityContext: { ...lockedContainer, runAsUser: 1000 },
            };
        case "certManager": {
            const part = (cpu: string, memory: string, memoryLimit: string) => ({
                replicaCount: 2,
                podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
                resources: resources(cpu, memory, "500m", memoryLimit),
                securityContext: lockedPod,
                containerSecurityContext: lockedContainer,
            });
            const { replicaCount: _, podDisruptionBudget: __, ...job } = part("10m", "32Mi", "64Mi");
            return {
                crds: { enabled: true },
                config: { enableGatewayAPI: true },
                ...part("50m", "128Mi", "256Mi"),
                webhook: { ...part("20m", "64Mi", "128Mi"), securePort: WEBHOOK_PORTS.certManager },
                cainjector: part("50m", "128Mi", "256Mi"),
                startupapicheck: job,
            };
        }
        case "envoyGateway":
            return {
                deployment: {
                    replicas: 2,
                    envoyGateway: { resources: resources("100m", "256Mi", "500m", "1024Mi"), securityContext: { ...lockedContainer, runAsUser: 65532, runAsGroup: 65532 } },
                },
                podDisruptionBudget: { minAvailable: 1 },
                certgen: { job: { resources: resources("10m", "32Mi", "100m", "64Mi"), securityContext: { ...lockedContainer, runAsUser: 65532, runAsGroup: 65532 } } },
            };
        case "monitoring": {
            const pod = { ...lockedPod, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 };
            const budget = { enabled: true, maxUnavailable: 1 };
            return {
                crds: { enabled: true },
                // Managed control planes do not expose etcd, the scheduler, the controller manager or
                // kube-proxy to in-cluster scraping; node-exporter needs the host's namespaces.
                kubeEtcd: { enabled: false },
                kubeControllerManager: { enabled: false },
                kubeScheduler: { enabled: false },
                kubeProxy: { enabled: false },
                nodeExporter: { enabled: false },
                prometheusOperator: {
                    resources: resources("100m", "128Mi", "500m", "256Mi"),
                    securityContext: pod,
                    containerSecurityContext: lockedContainer,
                },
                prometheus: {
                    podDisruptionBudget: budget,
                    prometheusSpec: {
                        replicas: 2,
                        // Select every PrometheusRule, ServiceMonitor, PodMonitor and Probe, not only the chart's own.
                        ruleSelectorNilUsesHelmValues: false,
                        serviceMonitorSelectorNilUsesHelmValues: false,
                        podMonitorSelectorNilUsesHelmValues: false,
                        probeSelectorNilUsesHelmValues: false,
                        podMetadata: { labels: { ...prometheusPodLabels } },
                        resources: resources("500m", "2Gi", "2", "4Gi"),
                        securityContext: pod,
                        retention: "15d",
                    },
                },
                alertmanager: {
                    podDisruptionBudget: budget,
                    alertmanagerSpec: { replicas: 2, resources: resources("50m", "64Mi", "200m", "128Mi"), securityContext: pod },
                },
                grafana: {
                    // Grafana keeps its state in SQLite on a single volume: one replica.
                    replicas: 1,
                    resources: resources("100m", "256Mi", "500m", "512Mi"),
                    initChownData: { enabled: false },
                    sidecar: { dashboards: { enabled: true, label: Object.keys(GRAFANA_DASHBOARD_LABEL)[0], labelValue: Object.values(GRAFANA_DASHBOARD_LABEL)[0] } },
                },
                "kube-state-metrics": {
                    replicas: 1,
                    resources: resources("50m", "128Mi", "200m", "256Mi"),
                    securityContext: { enabled: true, ...pod },
                    containerSecurityContext: lockedContainer,
                },
            };
        }
    }
}
