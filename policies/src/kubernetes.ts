/** Kubernetes policies: workload security, network exposure, RBAC, availability. */
import { coversInternet } from "../../core/src/planners/network";
import { imageProblem, literalCredentialReason, parseImage } from "../../core/src/planners/workload";
import { type Report, type Subject, k8sName, resourcePolicy } from "./policy";

/** Where the pod spec sits in each workload kind. */
export const POD_SPEC_PATH: Readonly<Record<string, string>> = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
};
export const WORKLOAD_TYPES = Object.keys(POD_SPEC_PATH);
const BATCH_TYPES = ["kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"];

const dig = (o: any, path: string): any => path.split(".").reduce((x, k) => (x == null ? undefined : x[k]), o);

export function podSpecOf(r: Subject): { spec: any; path: string } {
    const path = POD_SPEC_PATH[r.type];
    return { spec: dig(r.props, path) ?? {}, path };
}

interface ContainerRef {
    c: any;
    /** e.g. spec.template.spec.containers[0] */
    path: string;
}

export function containersOf(r: Subject): ContainerRef[] {
    const { spec, path } = podSpecOf(r);
    const out: ContainerRef[] = [];
    for (const field of ["initContainers", "containers", "ephemeralContainers"])
        (spec[field] ?? []).forEach((c: any, i: number) => out.push({ c, path: `${path}.${field}[${i}]` }));
    return out;
}

/** A workload rule applied to every container. */
function perContainer(r: Subject, report: Report, fn: (ref: ContainerRef, pod: any, podPath: string) => string | undefined): void {
    const { spec, path } = podSpecOf(r);
    for (const ref of containersOf(r)) {
        const problem = fn(ref, spec, path);
        if (problem) report(`${k8sName(r)}: ${problem}`);
    }
}

export const noPrivilegedContainers = resourcePolicy({
    name: "k8s-no-privileged-containers",
    description: "Containers must not run privileged: a privileged container is root on the node.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }) =>
        c.securityContext?.privileged === true ? `${path}.securityContext.privileged is true; remove it or set it to false` : undefined),
});

export const noPrivilegeEscalation = resourcePolicy({
    name: "k8s-no-privilege-escalation",
    description: "Containers must set allowPrivilegeEscalation: false (setuid binaries cannot gain privileges).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }) =>
        c.securityContext?.allowPrivilegeEscalation !== false ? `${path}.securityContext.allowPrivilegeEscalation must be false; set it explicitly` : undefined),
});

export const runAsNonRoot = resourcePolicy({
    name: "k8s-run-as-non-root",
    description: "Containers must run as a non-root user (runAsNonRoot: true on the pod or the container, and no runAsUser 0).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }, pod, podPath) => {
        const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
        if (uid === 0) return `${path}.securityContext.runAsUser is 0 (root); use a non-zero UID`;
        return nonRoot !== true ? `${path}.securityContext.runAsNonRoot is not true (nor ${podPath}.securityContext.runAsNonRoot); set runAsNonRoot: true` : undefined;
    }),
});

export const readOnlyRootFilesystem = resourcePolicy({
    name: "k8s-read-only-root-filesystem",
    description: "Containers must mount their root filesystem read-only; writable paths go on volumes.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }) =>
        c.securityContext?.readOnlyRootFilesystem !== true ? `${path}.securityContext.readOnlyRootFilesystem must be true; mount an emptyDir where the app writes` : undefined),
});

/** Capabilities that amount to root on the node or a way out of the container. */
export const DANGEROUS_CAPABILITIES = ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW", "SYS_RAWIO", "BPF", "PERFMON"];

export const dropAllCapabilities = resourcePolicy<{ allowedCapabilities: string[] }>({
    name: "k8s-drop-all-capabilities",
    description: "Containers must drop ALL capabilities and add back only allowed ones (never SYS_ADMIN, NET_ADMIN, NET_RAW, ...).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    configSchema: { properties: { allowedCapabilities: { type: "array", items: { type: "string" }, default: ["NET_BIND_SERVICE"] } } },
    check: (r, config, report) => perContainer(r, report, ({ c, path }) => {
        const caps = c.securityContext?.capabilities ?? {};
        if (!(caps.drop ?? []).includes("ALL")) return `${path}.securityContext.capabilities.drop must include "ALL"`;
        const allowed = config.allowedCapabilities ?? ["NET_BIND_SERVICE"];
        const bad = (caps.add ?? []).filter((a: string) => DANGEROUS_CAPABILITIES.includes(a) || !allowed.includes(a));
        return bad.length ? `${path}.securityContext.capabilities.add has ${bad.join(", ")}; only ${allowed.join(", ") || "none"} may be added` : undefined;
    }),
});

export const noHostNamespaces = resourcePolicy({
    name: "k8s-no-host-namespaces",
    description: "Pods must not share the node's network, PID or IPC namespace.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        const { spec, path } = podSpecOf(r);
        for (const f of ["hostNetwork", "hostPID", "hostIPC"])
            if (spec[f] === true) report(`${k8sName(r)}: ${path}.${f} is true; remove it`);
    },
});

export const noHostPathVolumes = resourcePolicy({
    name: "k8s-no-host-path-volumes",
    description: "Pods must not mount hostPath volumes (they expose the node's filesystem).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        const { spec, path } = podSpecOf(r);
        (spec.volumes ?? []).forEach((v: any, i: number) => {
            if (v.hostPath) report(`${k8sName(r)}: ${path}.volumes[${i}] ("${v.name}") is a hostPath volume; use an emptyDir, a PVC or a projected volume`);
        });
    },
});

export const seccompProfile = resourcePolicy({
    name: "k8s-seccomp-profile",
    description: "Containers must run under the RuntimeDefault (or a Localhost) seccomp profile.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }, pod, podPath) => {
        const type = c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
        return type !== "RuntimeDefault" && type !== "Localhost"
            ? `${path}.securityContext.seccompProfile.type is ${type ?? "unset"} (nor set at ${podPath}.securityContext); set RuntimeDefault`
            : undefined;
    }),
});

export const resourceRequestsLimits = resourcePolicy<{ requireCpuLimit: boolean }>({
    name: "k8s-resources-requests-limits",
    description: "Containers must request CPU and memory and set a memory limit (and a CPU limit unless configured otherwise).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    configSchema: { properties: { requireCpuLimit: { type: "boolean", default: true } } },
    check: (r, config, report) => perContainer(r, report, ({ c, path }) => {
        const missing = [];
        // An omitted request defaults to the limit (the API server copies it): a limit is a request too.
        const requested = (k: string) => c.resources?.requests?.[k] !== undefined || c.resources?.limits?.[k] !== undefined;
        if (!requested("cpu")) missing.push("requests.cpu");
        if (!requested("memory")) missing.push("requests.memory");
        if (c.resources?.limits?.memory === undefined) missing.push("limits.memory");
        if ((config.requireCpuLimit ?? true) && c.resources?.limits?.cpu === undefined) missing.push("limits.cpu");
        return missing.length ? `${path}.resources lacks ${missing.join(", ")}; set them so the scheduler and the HPA can work` : undefined;
    }),
});

/** The registry of an image repository: its first part when that names a host, else Docker Hub. */
export function imageRegistry(repository: string): string {
    const first = repository.split("/")[0];
    return repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

export const imagePinned = resourcePolicy<{ requireDigest: boolean; tagPinnedRepositories: string[]; allowedRegistries: string[] }>({
    name: "k8s-image-pinned",
    description: "Images must be pinned: a tag other than latest, or a digest where requireDigest is set (except the repositories listed in tagPinnedRepositories); with allowedRegistries, only from those registries.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    configSchema: {
        properties: {
            requireDigest: { type: "boolean", default: false },
            // Repositories whose published digest is not known yet: a version tag still passes for them.
            tagPinnedRepositories: { type: "array", items: { type: "string" }, default: [] },
            // Empty: any registry.
            allowedRegistries: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    check: (r, config, report) => perContainer(r, report, ({ c, path }) => {
        if (typeof c.image !== "string") return `${path}.image "${c.image}" must be set`;
        const { repository } = parseImage(c.image);
        const requireDigest = (config.requireDigest ?? false) && !(config.tagPinnedRepositories ?? []).includes(repository);
        const problem = imageProblem(c.image, requireDigest);
        if (problem) return `${path}.image "${c.image}" ${problem}`;
        const allowed = config.allowedRegistries ?? [];
        const registry = imageRegistry(repository);
        return allowed.length && !allowed.includes(registry) ? `${path}.image "${c.image}" comes from the registry ${registry}, not one of ${allowed.join(", ")}; mirror it there` : undefined;
    }),
});

export const probes = resourcePolicy({
    name: "k8s-probes",
    description: "Long-running containers that serve a port must have liveness and readiness probes, and not the same one for both.",
    enforcementLevel: "advisory",
    types: WORKLOAD_TYPES.filter((t) => !BATCH_TYPES.includes(t)),
    check: (r, _c, report) => {
        const { spec, path } = podSpecOf(r);
        (spec.containers ?? []).forEach((c: any, i: number) => {
            if (!c.ports?.length) return;
            const missing = ["livenessProbe", "readinessProbe"].filter((p) => !c[p]);
            if (missing.length) report(`${k8sName(r)}: ${path}.containers[${i}] serves a port but has no ${missing.join(" or ")}; add HTTP or TCP probes`);
            // Readiness may follow a dependency; if liveness does too, one outage restarts every replica.
            else if (JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe))
                report(`${k8sName(r)}: ${path}.containers[${i}] has the same livenessProbe as readinessProbe, so a failing dependency restarts every pod; probe liveness with a cheaper check (the port) and a higher failureThreshold`);
        });
    },
});

export const noServiceAccountTokenAutomount = resourcePolicy<{ allowedServiceAccounts: string[] }>({
    name: "k8s-no-sa-token-automount",
    description: "Pods must not mount a service-account token unless their service account is allowed to call the Kubernetes API.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    configSchema: { properties: { allowedServiceAccounts: { type: "array", items: { type: "string" }, default: [] } } },
    check: (r, config, report) => {
        const { spec, path } = podSpecOf(r);
        const sa = spec.serviceAccountName ?? "default";
        if (spec.automountServiceAccountToken !== false && !(config.allowedServiceAccounts ?? []).includes(sa))
            report(`${k8sName(r)}: ${path}.automountServiceAccountToken is not false; set it to false, or allow service account "${sa}" in the policy config`);
    },
});

export const noLiteralCredentials = resourcePolicy({
    name: "k8s-no-literal-credentials",
    description: "Environment variables must not carry literal credentials (names with the word PASSWORD, SECRET, TOKEN or API_KEY, or values shaped like AWS keys, private keys or tokens); read them from a Secret (valueFrom.secretKeyRef).",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        for (const { c, path } of containersOf(r)) {
            (c.env ?? []).forEach((e: any, i: number) => {
                if (typeof e?.value !== "string") return;
                const reason = literalCredentialReason(String(e.name ?? ""), e.value);
                // The value is never repeated: the report would leak what it flags.
                if (reason) report(`${k8sName(r)}: ${path}.env[${i}] ("${e.name}") has a literal value and ${reason}; move it to a Secret and use valueFrom.secretKeyRef`);
            });
        }
    },
});

// ---------------------------------------------------------------------------------------------

export const networkPolicyEgressInternet = resourcePolicy({
    name: "k8s-network-policy-no-internet-egress",
    description: "NetworkPolicy egress must not open the whole internet: no 0.0.0.0/0 or ::/0, nor ipBlocks that together cover every public address.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:networking.k8s.io/v1:NetworkPolicy"],
    check: (r, _c, report) => {
        (r.props.spec?.egress ?? []).forEach((rule: any, i: number) => {
            const blocks: { cidr: string; except?: string[] }[] = (rule.to ?? []).map((p: any) => p.ipBlock).filter((b: any) => typeof b?.cidr === "string");
            const cidrs = blocks.map((b) => b.cidr);
            if (blocks.length > 0 && coversInternet(blocks))
                report(`${k8sName(r)}: spec.egress[${i}].to ipBlocks (${cidrs.join(", ")}) cover every public address; list the destinations`);
        });
    },
});

export const serviceType = resourcePolicy<{ allowNodePort: boolean; allowLoadBalancer: boolean }>({
    name: "k8s-service-type",
    description: "Services must be ClusterIP (traffic enters through the gateway) unless NodePort/LoadBalancer is allowed in config.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:core/v1:Service"],
    configSchema: { properties: { allowNodePort: { type: "boolean", default: false }, allowLoadBalancer: { type: "boolean", default: false } } },
    check: (r, config, report) => {
        const t = r.props.spec?.type;
        if (t === "NodePort" && !config.allowNodePort) report(`${k8sName(r)}: spec.type is NodePort; use ClusterIP behind the gateway, or set allowNodePort`);
        if (t === "LoadBalancer" && !config.allowLoadBalancer) report(`${k8sName(r)}: spec.type is LoadBalancer; use ClusterIP behind the gateway, or set allowLoadBalancer`);
    },
});

export const tlsRequired = resourcePolicy({
    name: "k8s-tls-required",
    description: "Gateway listeners must terminate TLS (plain HTTP only for a same-namespace redirect listener); Ingresses must have TLS.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:gateway.networking.k8s.io/v1:Gateway", "kubernetes:networking.k8s.io/v1:Ingress"],
    check: (r, _c, report) => {
        if (r.props.kind === "Ingress" || r.type.endsWith(":Ingress")) {
            if (!(r.props.spec?.tls ?? []).length) report(`${k8sName(r)}: spec.tls is empty; add a TLS section with a certificate Secret`);
            return;
        }
        const listeners: any[] = r.props.spec?.listeners ?? [];
        listeners.forEach((l, i) => {
            const at = `spec.listeners[${i}] ("${l.name}")`;
            if ((l.protocol === "HTTPS" || l.protocol === "TLS") && !(l.tls?.certificateRefs ?? []).length && l.tls?.mode !== "Passthrough")
                report(`${k8sName(r)}: ${at} has no tls.certificateRefs; reference a certificate Secret`);
            // allowedRoutes.namespaces.from defaults to Same: an omitted one is the redirect-only listener.
            if (l.protocol === "HTTP" && (l.allowedRoutes?.namespaces?.from ?? "Same") !== "Same")
                report(`${k8sName(r)}: ${at} serves plain HTTP to other namespaces; serve HTTPS, or restrict it to a redirect route (allowedRoutes.namespaces.from: Same)`);
        });
        if (!listeners.some((l) => l.protocol === "HTTPS" || l.protocol === "TLS")) report(`${k8sName(r)}: spec.listeners has no HTTPS listener; add one`);
    },
});

export const rbacNoWildcards = resourcePolicy({
    name: "k8s-rbac-no-wildcards",
    description: "RBAC rules must list verbs, resources and API groups explicitly: no '*'.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"],
    check: (r, _c, report) => {
        (r.props.rules ?? []).forEach((rule: any, i: number) => {
            for (const f of ["verbs", "resources", "apiGroups"])
                if ((rule[f] ?? []).includes("*")) report(`${k8sName(r)}: rules[${i}].${f} contains "*"; list what is needed`);
        });
    },
});

export const noClusterAdminBinding = resourcePolicy({
    name: "k8s-no-cluster-admin-binding",
    description: "Nothing may be bound to the cluster-admin ClusterRole (break-glass bindings are flagged too).",
    enforcementLevel: "mandatory",
    types: ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"],
    check: (r, _c, report) => {
        if (r.props.roleRef?.name === "cluster-admin")
            report(`${k8sName(r)}: roleRef.name is cluster-admin; bind a least-privilege role from the access model instead`);
    },
});

export const hpaReplicaBounds = resourcePolicy<{ minReplicas: number }>({
    name: "k8s-hpa-replica-bounds",
    description: "HPAs must have minReplicas <= maxReplicas and at least the configured minimum (default 2, so one pod is never the only one).",
    enforcementLevel: "mandatory",
    types: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler"],
    configSchema: { properties: { minReplicas: { type: "integer", default: 2, minimum: 1 } } },
    check: (r, config, report) => {
        const min = r.props.spec?.minReplicas ?? 1;
        const max = r.props.spec?.maxReplicas;
        const floor = config.minReplicas ?? 2;
        if (max !== undefined && min > max) report(`${k8sName(r)}: spec.minReplicas (${min}) is greater than spec.maxReplicas (${max}); lower min or raise max`);
        if (min < floor) report(`${k8sName(r)}: spec.minReplicas is ${min}; use at least ${floor} so a single pod failure is not an outage`);
    },
});

/** True when a PDB can never allow an eviction (drains block forever). */
export function pdbBlocksAll(spec: any): boolean {
    const mu = spec?.maxUnavailable;
    const ma = spec?.minAvailable;
    return mu === 0 || mu === "0" || mu === "0%" || ma === "100%";
}

export const pdbAllowsDisruption = resourcePolicy({
    name: "k8s-pdb-allows-disruption",
    description: "PodDisruptionBudgets must allow at least one disruption, or node drains and upgrades block forever.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:policy/v1:PodDisruptionBudget"],
    check: (r, _c, report) => {
        if (pdbBlocksAll(r.props.spec))
            report(`${k8sName(r)}: spec allows no disruption (maxUnavailable 0 or minAvailable 100%); allow at least one pod to be evicted`);
    },
});

/** The etcd member flags that TLS with client-certificate auth needs. */
export const ETCD_TLS_FLAGS = ["--cert-file", "--key-file", "--client-cert-auth", "--trusted-ca-file", "--peer-cert-file", "--peer-key-file", "--peer-client-cert-auth", "--peer-trusted-ca-file"];

/** Does the container run an etcd member (the server, not etcdctl/etcdutl)? */
export function isEtcdContainer(c: any): boolean {
    const base = (p: unknown) => String(p ?? "").split("/").pop() ?? "";
    const cmd0 = (c.command ?? [])[0];
    if (cmd0 !== undefined) return base(cmd0) === "etcd";
    const first = base((c.args ?? [])[0]);
    return /^etcd(:|@|$)/.test(base(c.image)) && first !== "etcdctl" && first !== "etcdutl";
}

export const etcdTls = resourcePolicy({
    name: "k8s-etcd-tls",
    description: "etcd members must use TLS with client-certificate auth for both peer and client traffic.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => perContainer(r, report, ({ c, path }) => {
        if (!isEtcdContainer(c)) return undefined;
        const words: string[] = [...(c.command ?? []), ...(c.args ?? [])].map(String);
        const has = (flag: string) => words.some((w) => w === flag || w.startsWith(`${flag}=`) && !w.endsWith("=false"));
        const missing = ETCD_TLS_FLAGS.filter((f) => !has(f));
        const plain = words.filter((w) => /^--(listen|advertise|initial-advertise)-(peer|client)-urls=.*http:\/\//.test(w)).map((w) => w.split("=")[0]);
        const problems = [];
        if (missing.length) problems.push(`lacks ${missing.join(", ")}`);
        if (plain.length) problems.push(`serves plain http on ${plain.join(", ")}`);
        return problems.length ? `${path} runs etcd but ${problems.join(" and ")}; enable peer and client TLS with client-certificate auth` : undefined;
    }),
});
