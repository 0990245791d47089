/** Kubernetes policies on what the restricted standard leaves to the pod spec: ports, kernel knobs, LSM overrides, Service addresses, removed APIs. */
import { POD_SPEC_PATH, WORKLOAD_TYPES, containersOf, podSpecOf } from "./kubernetes";
import { type Subject, k8sName, resourcePolicy } from "./policy";

export const noHostPorts = resourcePolicy({
    name: "k8s-no-host-ports",
    description: "Containers must not bind a hostPort: it bypasses NetworkPolicies, exposes the node and allows one such pod per node.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        for (const { c, path } of containersOf(r))
            (c.ports ?? []).forEach((p: any, j: number) => {
                if (p?.hostPort !== undefined && p.hostPort !== 0)
                    report(`${k8sName(r)}: ${path}.ports[${j}].hostPort is ${p.hostPort}; remove it and reach the pod through a Service`);
            });
    },
});

/** First port a process without root or NET_BIND_SERVICE may bind. */
export const FIRST_UNPRIVILEGED_PORT = 1024;

export const unprivilegedContainerPorts = resourcePolicy({
    name: "k8s-unprivileged-container-ports",
    description: "Container ports must be 1024 or above (a non-root process cannot bind below), unless the container adds NET_BIND_SERVICE.",
    enforcementLevel: "advisory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        for (const { c, path } of containersOf(r)) {
            if ((c.securityContext?.capabilities?.add ?? []).includes("NET_BIND_SERVICE")) continue;
            (c.ports ?? []).forEach((p: any, j: number) => {
                if (typeof p?.containerPort === "number" && p.containerPort < FIRST_UNPRIVILEGED_PORT)
                    report(`${k8sName(r)}: ${path}.ports[${j}].containerPort is ${p.containerPort}, below ${FIRST_UNPRIVILEGED_PORT}; serve on ${FIRST_UNPRIVILEGED_PORT} or above and map the port in the Service`);
            });
        }
    },
});

/** The sysctls the baseline Pod Security Standard allows: namespaced, and unable to affect other pods. */
export const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
];
/** SELinux types a container may run as (omitted: the runtime's container_t). */
export const ALLOWED_SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";
const dig = (o: any, path: string): any => path.split(".").reduce((x, k) => (x == null ? undefined : x[k]), o);

/** Where the pod template's metadata sits (spec.template.spec → spec.template.metadata; a Pod's own). */
function podMetadataPath(r: Subject): string {
    const prefix = POD_SPEC_PATH[r.type].replace(/\.?spec$/, "");
    return prefix ? `${prefix}.metadata` : "metadata";
}

/** Problems of one securityContext (pod or container level) at `at`; omitted fields are the safe defaults. */
function contextProblems(sc: any, at: string): string[] {
    if (!sc) return [];
    const out: string[] = [];
    if (sc.procMount !== undefined && sc.procMount !== "Default") out.push(`${at}.procMount is ${sc.procMount}; remove it (Default masks the host's /proc paths)`);
    const se = sc.seLinuxOptions ?? {};
    if (se.type !== undefined && se.type !== "" && !ALLOWED_SELINUX_TYPES.includes(se.type))
        out.push(`${at}.seLinuxOptions.type is ${se.type}; use one of ${ALLOWED_SELINUX_TYPES.join(", ")} or leave it unset`);
    for (const f of ["user", "role"]) if (se[f] !== undefined && se[f] !== "") out.push(`${at}.seLinuxOptions.${f} is set; remove it`);
    if (sc.appArmorProfile?.type === "Unconfined") out.push(`${at}.appArmorProfile.type is Unconfined; use RuntimeDefault or a Localhost profile`);
    return out;
}

export const noSecurityOverrides = resourcePolicy({
    name: "k8s-no-security-overrides",
    description: "Pods must not set unsafe sysctls, an unmasked procMount, a custom SELinux type, user or role, or an Unconfined AppArmor profile.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    check: (r, _c, report) => {
        const { spec, path } = podSpecOf(r);
        const problems: string[] = [];
        (spec.securityContext?.sysctls ?? []).forEach((s: any, i: number) => {
            if (!SAFE_SYSCTLS.includes(s?.name)) problems.push(`${path}.securityContext.sysctls[${i}] sets ${s?.name}, which is not a safe sysctl; remove it`);
        });
        problems.push(...contextProblems(spec.securityContext, `${path}.securityContext`));
        for (const { c, path: at } of containersOf(r)) problems.push(...contextProblems(c.securityContext, `${at}.securityContext`));
        const meta = podMetadataPath(r);
        const annotations = dig(r.props, meta)?.annotations ?? {};
        for (const [k, v] of Object.entries(annotations))
            if (k.startsWith(APPARMOR_ANNOTATION) && v === "unconfined") problems.push(`${meta}.annotations["${k}"] is unconfined; use runtime/default or localhost/<profile>`);
        for (const p of problems) report(`${k8sName(r)}: ${p}`);
    },
});

export const serviceNoExternalIps = resourcePolicy({
    name: "k8s-service-no-external-ips",
    description: "Services must not set spec.externalIPs: any Service owner could capture traffic to those addresses cluster-wide (CVE-2020-8554).",
    enforcementLevel: "mandatory",
    types: ["kubernetes:core/v1:Service"],
    check: (r, _c, report) => {
        const ips = r.props.spec?.externalIPs;
        if (Array.isArray(ips) && ips.length > 0)
            report(`${k8sName(r)}: spec.externalIPs is ${ips.join(", ")}; remove it and expose the Service through the gateway or a LoadBalancer`);
    },
});

/** API versions Kubernetes no longer serves: the kinds of each, the release that removed them and what replaced them. */
export const REMOVED_APIS: readonly { groupVersion: string; kinds: readonly string[]; removedIn: string; replacement: string }[] = [
    { groupVersion: "extensions/v1beta1", kinds: ["Deployment", "DaemonSet", "ReplicaSet"], removedIn: "1.16", replacement: "apps/v1" },
    { groupVersion: "extensions/v1beta1", kinds: ["NetworkPolicy"], removedIn: "1.16", replacement: "networking.k8s.io/v1" },
    { groupVersion: "extensions/v1beta1", kinds: ["Ingress"], removedIn: "1.22", replacement: "networking.k8s.io/v1" },
    { groupVersion: "extensions/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.16", replacement: "Pod Security admission (namespace labels)" },
    { groupVersion: "apps/v1beta1", kinds: ["Deployment", "StatefulSet", "ControllerRevision"], removedIn: "1.16", replacement: "apps/v1" },
    { groupVersion: "apps/v1beta2", kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"], removedIn: "1.16", replacement: "apps/v1" },
    { groupVersion: "policy/v1beta1", kinds: ["PodDisruptionBudget"], removedIn: "1.25", replacement: "policy/v1" },
    { groupVersion: "policy/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.25", replacement: "Pod Security admission (namespace labels)" },
    { groupVersion: "autoscaling/v2beta1", kinds: ["HorizontalPodAutoscaler"], removedIn: "1.25", replacement: "autoscaling/v2" },
    { groupVersion: "autoscaling/v2beta2", kinds: ["HorizontalPodAutoscaler"], removedIn: "1.26", replacement: "autoscaling/v2" },
    { groupVersion: "batch/v1beta1", kinds: ["CronJob"], removedIn: "1.25", replacement: "batch/v1" },
    { groupVersion: "networking.k8s.io/v1beta1", kinds: ["Ingress", "IngressClass"], removedIn: "1.22", replacement: "networking.k8s.io/v1" },
    { groupVersion: "rbac.authorization.k8s.io/v1beta1", kinds: ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"], removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1" },
    { groupVersion: "admissionregistration.k8s.io/v1beta1", kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], removedIn: "1.22", replacement: "admissionregistration.k8s.io/v1" },
    { groupVersion: "apiextensions.k8s.io/v1beta1", kinds: ["CustomResourceDefinition"], removedIn: "1.22", replacement: "apiextensions.k8s.io/v1" },
    { groupVersion: "scheduling.k8s.io/v1beta1", kinds: ["PriorityClass"], removedIn: "1.22", replacement: "scheduling.k8s.io/v1" },
    { groupVersion: "certificates.k8s.io/v1beta1", kinds: ["CertificateSigningRequest"], removedIn: "1.22", replacement: "certificates.k8s.io/v1" },
    { groupVersion: "coordination.k8s.io/v1beta1", kinds: ["Lease"], removedIn: "1.22", replacement: "coordination.k8s.io/v1" },
    { groupVersion: "storage.k8s.io/v1beta1", kinds: ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], removedIn: "1.22", replacement: "storage.k8s.io/v1" },
    { groupVersion: "storage.k8s.io/v1beta1", kinds: ["CSIStorageCapacity"], removedIn: "1.27", replacement: "storage.k8s.io/v1" },
    { groupVersion: "discovery.k8s.io/v1beta1", kinds: ["EndpointSlice"], removedIn: "1.25", replacement: "discovery.k8s.io/v1" },
    { groupVersion: "events.k8s.io/v1beta1", kinds: ["Event"], removedIn: "1.25", replacement: "events.k8s.io/v1" },
    { groupVersion: "node.k8s.io/v1beta1", kinds: ["RuntimeClass"], removedIn: "1.25", replacement: "node.k8s.io/v1" },
    { groupVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kinds: ["FlowSchema", "PriorityLevelConfiguration"], removedIn: "1.32", replacement: "flowcontrol.apiserver.k8s.io/v1" },
];
const REMOVED_BY_TYPE = new Map<string, (typeof REMOVED_APIS)[number]>(REMOVED_APIS.flatMap((a) => a.kinds.map((k) => [`kubernetes:${a.groupVersion}:${k}`, a] as const)));

export const noRemovedApis = resourcePolicy({
    name: "k8s-no-removed-apis",
    description: "Objects must not use API versions that Kubernetes has removed (extensions/v1beta1, policy/v1beta1, autoscaling/v2beta2, batch/v1beta1, ...): the API server rejects them.",
    enforcementLevel: "mandatory",
    types: [...REMOVED_BY_TYPE.keys()],
    check: (r, _c, report) => {
        const api = REMOVED_BY_TYPE.get(r.type)!;
        report(`${k8sName(r)}: apiVersion ${api.groupVersion} was removed in Kubernetes ${api.removedIn}; use ${api.replacement}`);
    },
});
