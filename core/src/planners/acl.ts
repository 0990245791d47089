/**
 * The access model ACL(U, R) = P: subjects × Kubernetes resources → read | write | admin, compiled
 * to RBAC Roles/ClusterRoles and bindings with explicit verbs, resources and API groups (never
 * "*"), plus the effective-permission matrix reviewers read. Pure.
 */
import { Problems } from "../validation";
import { DNS_1035, DNS_1123_LABEL } from "./workload";

export const Permission = { Read: "read", Write: "write", Admin: "admin" } as const;
export type Permission = (typeof Permission)[keyof typeof Permission];
export const PERMISSIONS: readonly Permission[] = Object.values(Permission);

export const SubjectKind = { User: "User", Group: "Group", ServiceAccount: "ServiceAccount" } as const;
export type SubjectKind = (typeof SubjectKind)[keyof typeof SubjectKind];
export const SUBJECT_KINDS: readonly SubjectKind[] = Object.values(SubjectKind);

export interface AclSubject {
    kind: SubjectKind;
    name: string;
    /** Namespace of a ServiceAccount (required for that kind only). @default - none */
    namespace?: string;
}

export interface AclRule {
    /** Rule name; names the Role and the binding. */
    name: string;
    subjects: AclSubject[];
    /** Kubernetes resource kinds (plural, lowercase), e.g. deployments, pods, configmaps. */
    resources: string[];
    /** Namespace the rule applies in. @default - cluster-wide (ClusterRole) */
    namespace?: string;
    permission: Permission;
    /**
     * Interactive access to the pods, granted only when asked for by name: `exec` and `attach` run
     * commands in a pod (with its ServiceAccount and mounted Secrets), `portforward` reaches its
     * ports past every NetworkPolicy. Needs `pods` among the resources. @default [] (none)
     */
    podAccess?: PodAccess[];
    /**
     * Lets a `write` or `admin` rule cover the objects that guard a namespace (networkpolicies,
     * roles, rolebindings): whoever writes them can undo its isolation or its access rules.
     * @default false (such a rule is refused)
     */
    allowPolicyChanges?: boolean;
}

/** Interactive pod access an ACL rule can opt into. */
export const PodAccess = { Exec: "exec", Attach: "attach", Portforward: "portforward" } as const;
export type PodAccess = (typeof PodAccess)[keyof typeof PodAccess];
export const POD_ACCESS_KINDS: readonly PodAccess[] = Object.values(PodAccess);
/** The subresource and verbs each pod access grants. */
export const POD_ACCESS: Readonly<Record<PodAccess, { subresource: string; verbs: readonly string[] }>> = {
    exec: { subresource: "pods/exec", verbs: ["create", "get"] },
    attach: { subresource: "pods/attach", verbs: ["create", "get"] },
    portforward: { subresource: "pods/portforward", verbs: ["create", "get"] },
};

/** Objects whose writers can undo a namespace's isolation or access rules, and what that means. */
export const GUARD_RESOURCES: Readonly<Record<string, string>> = {
    networkpolicies: "can undo the namespace's network isolation",
    roles: "can rewrite the namespace's access rules (up to the access they hold themselves)",
    rolebindings: "can hand their own access to anyone, including every service account",
};

/** Resources whose writers choose the ServiceAccount pods run as (a Deployment can name any of its namespace). */
export const POD_CREATING_RESOURCES: readonly string[] = ["pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"];

/** API group of each resource the model knows, and whether it lives in a namespace. */
export const RESOURCES: Readonly<Record<string, { group: string; namespaced: boolean }>> = {
    pods: { group: "", namespaced: true },
    services: { group: "", namespaced: true },
    configmaps: { group: "", namespaced: true },
    secrets: { group: "", namespaced: true },
    serviceaccounts: { group: "", namespaced: true },
    persistentvolumeclaims: { group: "", namespaced: true },
    events: { group: "", namespaced: true },
    endpoints: { group: "", namespaced: true },
    namespaces: { group: "", namespaced: false },
    nodes: { group: "", namespaced: false },
    persistentvolumes: { group: "", namespaced: false },
    deployments: { group: "apps", namespaced: true },
    statefulsets: { group: "apps", namespaced: true },
    daemonsets: { group: "apps", namespaced: true },
    replicasets: { group: "apps", namespaced: true },
    jobs: { group: "batch", namespaced: true },
    cronjobs: { group: "batch", namespaced: true },
    horizontalpodautoscalers: { group: "autoscaling", namespaced: true },
    poddisruptionbudgets: { group: "policy", namespaced: true },
    networkpolicies: { group: "networking.k8s.io", namespaced: true },
    ingresses: { group: "networking.k8s.io", namespaced: true },
    httproutes: { group: "gateway.networking.k8s.io", namespaced: true },
    gateways: { group: "gateway.networking.k8s.io", namespaced: true },
    leases: { group: "coordination.k8s.io", namespaced: true },
    roles: { group: "rbac.authorization.k8s.io", namespaced: true },
    rolebindings: { group: "rbac.authorization.k8s.io", namespaced: true },
};

/** Verbs per permission. Each level includes the one below it. */
export const VERBS: Readonly<Record<Permission, readonly string[]>> = {
    read: ["get", "list", "watch"],
    write: ["get", "list", "watch", "create", "update", "patch", "delete"],
    admin: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
};
/**
 * Subresources a level adds to each resource it grants, with exact verbs; each level includes the
 * one below. What users of each level expect: `write` can `kubectl scale`; `admin` can also read
 * logs and evict (`kubectl drain` also needs to cordon the node: nodes are cluster-scoped, so
 * draining needs a cluster-wide `write` on nodes as well). exec, attach and port-forward are never
 * part of a level: a rule asks for them in `podAccess`.
 */
const WRITE_SUBRESOURCES: Readonly<Record<string, readonly string[]>> = {
    "deployments/scale": ["get", "patch", "update"],
    "statefulsets/scale": ["get", "patch", "update"],
};
export const SUBRESOURCES: Readonly<Record<Permission, Readonly<Record<string, readonly string[]>>>> = {
    read: {},
    write: WRITE_SUBRESOURCES,
    admin: {
        ...WRITE_SUBRESOURCES,
        "pods/log": ["get"],
        "pods/eviction": ["create"],
    },
};

/** Every subresource the model can grant: the levels' and the opt-in pod access (for matrices and reviews). */
export const ALL_SUBRESOURCES: readonly string[] = [...new Set([...Object.keys(SUBRESOURCES.admin), ...Object.values(POD_ACCESS).map((a) => a.subresource)])];

/**
 * The subresources (with verbs) a rule grants on its resources: its level's, and the pod access
 * it asks for (`create`, and `get` for the WebSocket upgrade kubectl makes).
 */
export function subresourcesOf(resources: readonly string[], permission: Permission, podAccess: readonly PodAccess[] = []): [string, readonly string[]][] {
    const level = Object.entries(SUBRESOURCES[permission]).filter(([sub]) => resources.includes(sub.split("/")[0]));
    const asked = resources.includes("pods") ? [...new Set(podAccess)].sort().map((a): [string, readonly string[]] => [POD_ACCESS[a].subresource, POD_ACCESS[a].verbs]) : [];
    return [...level, ...asked];
}

export interface PolicyRule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
}

export interface RoleSpec {
    kind: "Role" | "ClusterRole";
    name: string;
    namespace?: string;
    rules: PolicyRule[];
}

export interface BindingSpec {
    kind: "RoleBinding" | "ClusterRoleBinding";
    name: string;
    namespace?: string;
    roleRef: { apiGroup: "rbac.authorization.k8s.io"; kind: "Role" | "ClusterRole"; name: string };
    subjects: { kind: SubjectKind; name: string; namespace?: string; apiGroup?: string }[];
}

/** `User:alice`, `Group:devs`, `ServiceAccount:ci/deployer`. */
export function subjectKey(s: AclSubject): string {
    return s.kind === "ServiceAccount" ? `ServiceAccount:${s.namespace}/${s.name}` : `${s.kind}:${s.name}`;
}

/** `apps/deployments`, or `cluster/nodes` for a cluster-wide grant. */
export function scopeKey(namespace: string | undefined, resource: string): string {
    return `${namespace ?? "cluster"}/${resource}`;
}

/** subject → scope/resource → sorted verbs. */
export type AccessMatrix = Record<string, Record<string, string[]>>;

export interface CompiledAcl {
    roles: RoleSpec[];
    bindings: BindingSpec[];
    matrix: AccessMatrix;
}

export function checkAcl(rules: readonly AclRule[], path: string, problems: Problems): void {
    const names = new Set<string>();
    rules.forEach((r, i) => {
        const at = `${path}[${i}]`;
        if (!DNS_1035.test(r.name)) problems.add(`${at}.name`, r.name, "must be a DNS-1035 label (lowercase letters, digits, '-')");
        else if (names.has(r.name)) problems.add(`${at}.name`, r.name, "must be unique among the rules");
        names.add(r.name);
        if (!PERMISSIONS.includes(r.permission)) problems.add(`${at}.permission`, r.permission, `must be one of ${PERMISSIONS.map((p) => `"${p}"`).join(", ")}`);
        if (r.subjects.length === 0) problems.add(`${at}.subjects`, r.subjects, "must list at least one subject");
        r.subjects.forEach((s, j) => {
            if (!SUBJECT_KINDS.includes(s.kind)) problems.add(`${at}.subjects[${j}].kind`, s.kind, `must be one of ${SUBJECT_KINDS.join(", ")}`);
            if (!s.name || s.name.includes("*")) problems.add(`${at}.subjects[${j}].name`, s.name, "must name one subject (no wildcards)");
            if (s.kind === "ServiceAccount" && !s.namespace) problems.add(`${at}.subjects[${j}].namespace`, s.namespace, "is required for a ServiceAccount");
            if (s.kind !== "ServiceAccount" && s.namespace !== undefined) problems.add(`${at}.subjects[${j}].namespace`, s.namespace, "is only for ServiceAccounts");
        });
        if (r.resources.length === 0) problems.add(`${at}.resources`, r.resources, "must list at least one resource");
        r.resources.forEach((res, j) => {
            const known = RESOURCES[res];
            if (!known) problems.add(`${at}.resources[${j}]`, res, `must be one of ${Object.keys(RESOURCES).join(", ")}`);
            else if (!known.namespaced && r.namespace !== undefined) problems.add(`${at}.resources[${j}]`, res, "is cluster-scoped: grant it in a rule without a namespace");
        });
        (r.podAccess ?? []).forEach((a, j) => {
            if (!POD_ACCESS_KINDS.includes(a)) problems.add(`${at}.podAccess[${j}]`, a, `must be one of ${POD_ACCESS_KINDS.map((k) => `"${k}"`).join(", ")}`);
        });
        if ((r.podAccess ?? []).length > 0 && !r.resources.includes("pods")) problems.add(`${at}.podAccess`, r.podAccess, 'needs "pods" among the rule\'s resources');
        if (r.permission !== Permission.Read && r.allowPolicyChanges !== true)
            r.resources.forEach((res, j) => {
                const why = GUARD_RESOURCES[res];
                if (why) problems.add(`${at}.resources[${j}]`, res, `with permission "${r.permission}": whoever holds it ${why}; leave it to the stack, or set allowPolicyChanges: true on the rule to grant it on purpose`);
            });
        // Namespaces are DNS-1123 labels: they may start with a digit.
        if (r.namespace !== undefined && !DNS_1123_LABEL.test(r.namespace)) problems.add(`${at}.namespace`, r.namespace, "must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)");
    });
}

/** RBAC rules of one ACL rule: one PolicyRule per API group, explicit everything. */
function policyRules(resources: readonly string[], permission: Permission, podAccess: readonly PodAccess[] = []): PolicyRule[] {
    const byGroup = new Map<string, string[]>();
    for (const r of [...new Set(resources)].sort()) {
        const g = RESOURCES[r].group;
        byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
    }
    const out: PolicyRule[] = [];
    for (const [group, res] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
        out.push({ apiGroups: [group], resources: res, verbs: [...VERBS[permission]] });
        // Subresources with the same verbs share a rule.
        const byVerbs = new Map<string, string[]>();
        for (const [sub, verbs] of subresourcesOf(res, permission, podAccess)) byVerbs.set(verbs.join(","), [...(byVerbs.get(verbs.join(",")) ?? []), sub]);
        for (const [verbs, subs] of byVerbs) out.push({ apiGroups: [group], resources: subs, verbs: verbs.split(",") });
    }
    return out;
}

/** Compiles validated rules. Names: `<prefix>-<rule>` for both the role and its binding. */
export function compileAcl(rules: readonly AclRule[], prefix = "paas"): CompiledAcl {
    const roles: RoleSpec[] = [];
    const bindings: BindingSpec[] = [];
    const matrix: AccessMatrix = {};
    for (const r of rules) {
        const cluster = r.namespace === undefined;
        const name = `${prefix}-${r.name}`;
        roles.push({ kind: cluster ? "ClusterRole" : "Role", name, namespace: r.namespace, rules: policyRules(r.resources, r.permission, r.podAccess) });
        bindings.push({
            kind: cluster ? "ClusterRoleBinding" : "RoleBinding",
            name,
            namespace: r.namespace,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: cluster ? "ClusterRole" : "Role", name },
            subjects: r.subjects.map((s) => (s.kind === "ServiceAccount"
                ? { kind: s.kind, name: s.name, namespace: s.namespace }
                : { kind: s.kind, name: s.name, apiGroup: "rbac.authorization.k8s.io" })),
        });
        for (const s of r.subjects) {
            const row = (matrix[subjectKey(s)] ??= {});
            const grants: [string, readonly string[]][] = [...r.resources.map((res): [string, readonly string[]] => [res, VERBS[r.permission]]), ...subresourcesOf(r.resources, r.permission, r.podAccess)];
            for (const [res, verbs] of grants) {
                const k = scopeKey(r.namespace, res);
                row[k] = [...new Set([...(row[k] ?? []), ...verbs])].sort();
            }
        }
    }
    return { roles, bindings, matrix };
}

/**
 * Which ServiceAccounts each subject can run pods as, among `serviceAccounts` (`namespace/name`,
 * e.g. the ones holding cloud identities): creating or updating any pod-making object in a
 * namespace lets its writer name any ServiceAccount of that namespace in the pod template, and
 * so act with that account's cloud identity. Read off the matrix, so it is what RBAC allows.
 */
export function runAsExposure(matrix: AccessMatrix, serviceAccounts: readonly string[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [subject, row] of Object.entries(matrix)) {
        const can = (scope: string) => POD_CREATING_RESOURCES.some((res) => (row[scopeKey(scope === "cluster" ? undefined : scope, res)] ?? []).some((v) => v === "create" || v === "update" || v === "patch"));
        const exposed = serviceAccounts.filter((sa) => can("cluster") || can(sa.split("/")[0]));
        if (exposed.length > 0) out[subject] = [...exposed].sort();
    }
    return out;
}
