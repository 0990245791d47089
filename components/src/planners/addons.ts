/**
 * The add-ons under the platform's own rules: the namespace each chart runs in (declared by the
 * platform, with Pod Security labels, so the stack rules see it), a default deny there with only
 * the flows the add-on needs, and chart values that give every pod resources, a budget and a
 * locked-down securityContext. Pure.
 */
import { CERT_MANAGER_NAMESPACE, ENVOY_NAMESPACE } from "./platform";
import { DNS_EGRESS, MANAGED_BY } from "./workload";

export type AddonKey = "metricsServer" | "envoyGateway" | "certManager";

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
export const WEBHOOK_PORTS: Readonly<Record<"envoyGateway" | "certManager", number>> = { envoyGateway: 9443, certManager: 10250 };

/** Ingress on a chart's admission-webhook port, from the API server (outside the pod network: any source). */
const webhookFromApiServer = (podLabels: Record<string, string>, port: number): AddonNetworkPolicy => ({
    name: "allow-webhook-from-api-server",
    spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port }] }] },
});

/** Namespaces and policies of the enabled add-ons. `appNamespace` is where the gateway's backends run. */
export function planAddonNamespaces(enabled: readonly AddonKey[], appNamespace: string): AddonNamespacePlan[] {
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
 * Deployment, resources, and securityContexts, in each chart's own keys.
 */
export function hardenedValues(addon: AddonKey): Record<string, unknown> {
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
    }
}
