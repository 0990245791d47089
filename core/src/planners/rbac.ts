/** KubernetesAccess args, their defaults and checks: the RBAC side of the access model. Pure. */
import { Problems } from "../validation";
import { type AclRule, type AclSubject, SUBJECT_KINDS, checkAcl, compileAcl, runAsExposure } from "./acl";
import { DNS_1123_LABEL, SYSTEM_NAMESPACE_RULE, isDnsSubdomain, isSystemNamespace } from "./workload";

export interface KubernetesAccessArgs {
    /** Kubernetes access rules. @default [] */
    rules?: AclRule[];
    /** BREAK GLASS: subjects bound to cluster-admin. The policy pack flags this binding on purpose. @default [] */
    breakGlassClusterAdmins?: AclSubject[];
    /**
     * ServiceAccounts (`namespace/name`) that hold a cloud identity or another power worth
     * guarding: the rules that let their subjects run pods as one of them are warned about (and
     * listed in `runAs`), or refused with protectWorkloadIdentities. @default []
     */
    identityServiceAccounts?: string[];
    /**
     * Refuse access rules that let their subjects run pods as one of identityServiceAccounts
     * (writing pods, Deployments, Jobs… in its namespace). Off, such rules are kept, the
     * component warns, and `runAs` lists who can act as which account. @default false
     */
    protectWorkloadIdentities?: boolean;
    /** Prefix of the Role and binding names. @default paas */
    prefix?: string;
}

export const RBAC_DEFAULTS = { prefix: "paas" } as const;

/** Name of the ClusterRoleBinding of the break-glass subjects, after the prefix. */
export const BREAK_GLASS_BINDING = "break-glass-cluster-admin";

/** Subjects that stand for everyone (or every workload): never bound to anything by the platform. */
const EVERYONE: Readonly<Record<string, string>> = {
    "Group:system:authenticated": "every authenticated user and service account",
    "Group:system:unauthenticated": "every anonymous request",
    "Group:system:serviceaccounts": "every service account of the cluster",
    "User:system:anonymous": "every anonymous request",
};

/** Why a subject of an access rule or of the break-glass list is refused, with the field at fault. */
function subjectProblem(s: AclSubject): { field: "kind" | "name" | "namespace"; value: unknown; message: string } | undefined {
    if (!SUBJECT_KINDS.includes(s.kind)) return { field: "kind", value: s.kind, message: `must be one of ${SUBJECT_KINDS.join(", ")}` };
    if (!s.name || s.name.includes("*")) return { field: "name", value: s.name, message: "must name one subject (no wildcards)" };
    const everyone = EVERYONE[`${s.kind}:${s.name}`] ?? (s.kind === "Group" && s.name.startsWith("system:serviceaccounts:") ? "every service account of a namespace" : undefined);
    if (everyone) return { field: "name", value: s.name, message: `must not be ${s.kind} "${s.name}", which is ${everyone}; name the people or the group that need the access` };
    if (s.kind === "ServiceAccount") {
        if (!isDnsSubdomain(s.name)) return { field: "name", value: s.name, message: "must be a ServiceAccount name (a DNS-1123 subdomain: lowercase letters, digits, '-' and '.')" };
        if (!s.namespace) return { field: "namespace", value: s.namespace, message: "is required for a ServiceAccount" };
        if (!DNS_1123_LABEL.test(s.namespace)) return { field: "namespace", value: s.namespace, message: "must be a namespace name (a DNS label)" };
        return undefined;
    }
    if (s.namespace !== undefined) return { field: "namespace", value: s.namespace, message: "is only for ServiceAccounts" };
    if (s.name.trim() !== s.name || /[\x00-\x1f\x7f]/.test(s.name))
        return { field: "name", value: s.name, message: "must not start or end with spaces nor contain control characters (the authenticator never sends such a name)" };
    return undefined;
}

/** `namespace/name` of a ServiceAccount: a DNS label, a slash, a DNS-1123 subdomain. */
function isServiceAccountKey(key: string): boolean {
    const [ns, name, ...rest] = key.split("/");
    return rest.length === 0 && name !== undefined && DNS_1123_LABEL.test(ns) && isDnsSubdomain(name);
}

/** Checks KubernetesAccess args; problems are reported under `path`. */
export function checkRbac(args: KubernetesAccessArgs, path: string, problems: Problems = new Problems()): Problems {
    checkAcl(args.rules ?? [], `${path}.rules`, problems);
    const prefix = args.prefix ?? RBAC_DEFAULTS.prefix;
    (args.rules ?? []).forEach((r, i) => {
        r.subjects.forEach((s, j) => {
            const p = subjectProblem(s);
            if (p) problems.add(`${path}.rules[${i}].subjects[${j}].${p.field}`, p.value, p.message);
        });
        if (r.namespace !== undefined && isSystemNamespace(r.namespace)) problems.add(`${path}.rules[${i}].namespace`, r.namespace, SYSTEM_NAMESPACE_RULE);
        if (r.namespace === undefined && r.name === BREAK_GLASS_BINDING)
            problems.add(`${path}.rules[${i}].name`, r.name, `clashes with the break-glass ClusterRoleBinding ${prefix}-${BREAK_GLASS_BINDING}; pick another name`);
    });
    const identities = args.identityServiceAccounts ?? [];
    identities.forEach((key, i) => {
        if (!isServiceAccountKey(key)) problems.add(`${path}.identityServiceAccounts[${i}]`, key, 'must be "<namespace>/<service account>"');
    });
    if (args.protectWorkloadIdentities === true && problems.list.every((p) => !p.path.startsWith(`${path}.rules`) && !p.path.startsWith(`${path}.identityServiceAccounts`))) {
        (args.rules ?? []).forEach((r, i) => {
            const exposed = [...new Set(Object.values(runAsExposure(compileAcl([r]).matrix, identities)).flat())].sort();
            if (exposed.length > 0)
                problems.add(`${path}.rules[${i}]`, r.name, `lets its subjects run pods as ${exposed.join(", ")}, which hold cloud identities (protectWorkloadIdentities is on); grant write in a namespace without such ServiceAccounts, or read only`);
        });
    }
    (args.breakGlassClusterAdmins ?? []).forEach((s, j) => {
        const p = subjectProblem(s);
        if (p) problems.add(`${path}.breakGlassClusterAdmins[${j}].${p.field}`, p.value, p.message);
    });
    return problems;
}
