/** RBAC policies beyond wildcards: grants that amount to more than they say, and bindings to everyone. */
import { type Report, type Subject, k8sName, resourcePolicy } from "./policy";

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";
const ROLE_TYPES = [`${RBAC}:Role`, `${RBAC}:ClusterRole`];
const BINDING_TYPES = [`${RBAC}:RoleBinding`, `${RBAC}:ClusterRoleBinding`];

/** A grant a rule may make: verbs on a resource (or subresource) of an API group. */
interface Grant {
    readonly group: string;
    readonly resource: string;
    readonly verbs: readonly string[];
    /** What it amounts to, for the message. */
    readonly why: string;
    /** A rule limited to named objects does not make this grant (reading one named Secret is not reading them all). */
    readonly namesNarrow?: boolean;
}

const WRITE = ["create", "update", "patch", "delete", "deletecollection"];

/** Grants that let the holder gain permissions it was not given. */
export const ESCALATING_GRANTS: readonly Grant[] = [
    { group: "", resource: "secrets", verbs: ["get", "list", "watch"], why: "reads Secrets, among them every service-account token and credential in scope", namesNarrow: true },
    { group: "rbac.authorization.k8s.io", resource: "roles", verbs: ["bind", "escalate"], why: "can bind or widen roles beyond its own permissions" },
    { group: "rbac.authorization.k8s.io", resource: "clusterroles", verbs: ["bind", "escalate"], why: "can bind or widen roles beyond its own permissions" },
    ...[["", "users"], ["", "groups"], ["", "serviceaccounts"], ["authentication.k8s.io", "uids"], ["authentication.k8s.io", "userextras"]].map(([group, resource]) => ({
        group, resource, verbs: ["impersonate"], why: "can act as other identities",
    })),
    ...["mutatingwebhookconfigurations", "validatingwebhookconfigurations"].map((resource) => ({
        group: "admissionregistration.k8s.io", resource, verbs: WRITE, why: "can change admission webhooks, which see or rewrite every request they match",
    })),
    { group: "certificates.k8s.io", resource: "certificatesigningrequests/approval", verbs: ["update", "patch"], why: "can approve certificate requests, minting client certificates for any identity" },
    { group: "", resource: "nodes/proxy", verbs: ["get", "create", "update", "patch", "delete"], why: "reaches the kubelet API through nodes/proxy, which runs commands in every pod of the node" },
];

/** Grants that give a shell in, or a new pod beside, the workloads of a namespace. */
export const POD_ACCESS_GRANTS: readonly Grant[] = [
    { group: "", resource: "pods/exec", verbs: ["create", "get"], why: "runs commands in the pods, with their service accounts and mounted secrets" },
    { group: "", resource: "pods/attach", verbs: ["create", "get"], why: "attaches to the pods' processes" },
    { group: "", resource: "pods", verbs: ["create"], why: "creates pods, which may run as any service account of the namespace and mount its secrets" },
];

const has = (list: unknown, value: string) => Array.isArray(list) && (list.includes(value) || list.includes("*"));

/** Does the rule grant `resource` ("pods/exec") in `group`? "*" and "*\/exec" match as in the authorizer. */
function coversResource(rule: any, group: string, resource: string): boolean {
    if (!has(rule.apiGroups, group)) return false;
    const resources: unknown[] = Array.isArray(rule.resources) ? rule.resources : [];
    const sub = resource.includes("/") ? resource.slice(resource.indexOf("/")) : undefined;
    return resources.includes("*") || resources.includes(resource) || (sub !== undefined && resources.includes(`*${sub}`));
}

/** Every grant of `grants` each rule makes, reported once per rule and grant. */
function reportGrants(r: Subject, grants: readonly Grant[], report: Report, hint: string): void {
    (r.props.rules ?? []).forEach((rule: any, i: number) => {
        for (const g of grants) {
            if (g.namesNarrow && Array.isArray(rule.resourceNames) && rule.resourceNames.length > 0) continue;
            if (!coversResource(rule, g.group, g.resource)) continue;
            const verbs = g.verbs.filter((v) => has(rule.verbs, v));
            if (verbs.length) report(`${k8sName(r)}: rules[${i}] grants ${verbs.join(", ")} on ${g.resource}, so it ${g.why}; ${hint}`);
        }
    });
}

export const rbacNoEscalation = resourcePolicy({
    name: "k8s-rbac-no-escalation",
    description: "RBAC rules must not grant what amounts to more: reading Secrets, bind/escalate/impersonate, admission webhook changes, CSR approval or nodes/proxy.",
    enforcementLevel: "mandatory",
    types: ROLE_TYPES,
    check: (r, _c, report) => reportGrants(r, ESCALATING_GRANTS, report, "remove it, or scope it to the resourceNames needed"),
});

/** How the pod-access policy's allowlist names a role: namespace/name for a Role, the name for a ClusterRole. */
export const roleKey = (r: Subject) => {
    const name = r.props.metadata?.name ?? r.name;
    return r.props.metadata?.namespace ? `${r.props.metadata.namespace}/${name}` : name;
};

export const rbacPodAccess = resourcePolicy<{ allowedRoles: string[] }>({
    name: "k8s-rbac-pod-access",
    description: "RBAC rules that grant pods/exec, pods/attach or creating pods (a way into the workloads' identities) are flagged unless the role is allowed in config (the access model grants exec only to rules that ask for it in podAccess).",
    enforcementLevel: "advisory",
    types: ROLE_TYPES,
    configSchema: { properties: { allowedRoles: { type: "array", items: { type: "string" }, default: [] } } },
    check: (r, config, report) => {
        if ((config.allowedRoles ?? []).includes(roleKey(r))) return;
        reportGrants(r, POD_ACCESS_GRANTS, report, `keep it to break-glass roles, and allow "${roleKey(r)}" in the policy config if it is one`);
    },
});

/** Identities that stand for everyone (or for unlimited power): no binding may name them. */
export const SYSTEM_SUBJECTS: Readonly<Record<string, string>> = {
    "system:masters": "bypasses RBAC entirely",
    "system:authenticated": "is every authenticated identity, service accounts of every namespace included",
    "system:unauthenticated": "is every anonymous request",
    "system:anonymous": "is every anonymous request",
    "system:serviceaccounts": "is every service account of the cluster",
};

export const rbacNoSystemGroupBinding = resourcePolicy({
    name: "k8s-rbac-no-system-group-binding",
    description: "Role bindings must not name system:masters, system:authenticated, system:unauthenticated, system:anonymous or system:serviceaccounts.",
    enforcementLevel: "mandatory",
    types: BINDING_TYPES,
    check: (r, _c, report) => {
        (r.props.subjects ?? []).forEach((s: any, i: number) => {
            const why = typeof s?.name === "string" ? SYSTEM_SUBJECTS[s.name] : undefined;
            if (why && (s.kind === "Group" || s.kind === "User"))
                report(`${k8sName(r)}: subjects[${i}] is ${s.kind === "Group" ? "the group" : "the user"} ${s.name}, which ${why}; bind named users, groups or service accounts`);
        });
    },
});
