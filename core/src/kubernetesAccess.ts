/**
 * `paas:index:KubernetesAccess`: the access model compiled to Kubernetes RBAC — a Role or
 * ClusterRole and its binding per rule, with explicit verbs, resources and API groups, and the
 * flagged break-glass cluster-admin binding.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AccessMatrix, compileAcl, runAsExposure } from "./planners/acl";
import { BREAK_GLASS_BINDING, type KubernetesAccessArgs, RBAC_DEFAULTS, checkRbac } from "./planners/rbac";
import { MANAGED_BY } from "./planners/workload";
import { type MovedChildrenOptions, componentOptions, movedChildAliases } from "./moved";

export type { KubernetesAccessArgs } from "./planners/rbac";

export class KubernetesAccess extends pulumi.ComponentResource {
    /** Who can do what: subject → scope/resource → verbs. */
    readonly matrix: AccessMatrix;
    /**
     * Who can run pods as one of identityServiceAccounts (subject → `namespace/name`): writing a
     * pod-making object lets its writer pick any ServiceAccount of the namespace.
     */
    readonly runAs: Record<string, string[]>;

    constructor(name: string, args: KubernetesAccessArgs, opts?: MovedChildrenOptions) {
        checkRbac(args, "args").throwIfAny(`KubernetesAccess "${name}" arguments`);
        super("paas:index:KubernetesAccess", name, {}, componentOptions(opts));
        const child = { parent: this, aliases: movedChildAliases(opts) };
        const prefix = args.prefix ?? RBAC_DEFAULTS.prefix;
        const compiled = compileAcl(args.rules ?? [], prefix);
        this.matrix = compiled.matrix;
        this.runAs = runAsExposure(compiled.matrix, args.identityServiceAccounts ?? []);
        for (const [subject, accounts] of Object.entries(this.runAs))
            pulumi.log.warn(`${name}: ${subject} can run pods as ${accounts.join(", ")} and so act with their cloud identities (it writes pod-making objects in their namespace); set protectWorkloadIdentities to refuse such rules`, this);
        const labels = { ...MANAGED_BY };

        for (const role of compiled.roles) {
            const meta = { name: role.name, namespace: role.namespace, labels };
            if (role.kind === "Role") new k8s.rbac.v1.Role(`${name}-${role.name}`, { metadata: meta, rules: role.rules }, child);
            else new k8s.rbac.v1.ClusterRole(`${name}-${role.name}`, { metadata: meta, rules: role.rules }, child);
        }
        for (const b of compiled.bindings) {
            const meta = { name: b.name, namespace: b.namespace, labels };
            if (b.kind === "RoleBinding") new k8s.rbac.v1.RoleBinding(`${name}-${b.name}-binding`, { metadata: meta, roleRef: b.roleRef, subjects: b.subjects }, child);
            else new k8s.rbac.v1.ClusterRoleBinding(`${name}-${b.name}-binding`, { metadata: meta, roleRef: b.roleRef, subjects: b.subjects }, child);
        }
        const breakGlass = args.breakGlassClusterAdmins ?? [];
        if (breakGlass.length > 0) {
            pulumi.log.warn(`${name}: BREAK GLASS binding of ${breakGlass.length} subject(s) to cluster-admin is declared`, this);
            new k8s.rbac.v1.ClusterRoleBinding(`${name}-${BREAK_GLASS_BINDING}`, {
                metadata: { name: `${prefix}-${BREAK_GLASS_BINDING}`, labels: { ...labels, "paas.dev/break-glass": "true" } },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
                subjects: breakGlass.map((s) => (s.kind === "ServiceAccount" ? { kind: s.kind, name: s.name, namespace: s.namespace } : { kind: s.kind, name: s.name, apiGroup: "rbac.authorization.k8s.io" })),
            }, child);
        }
        this.registerOutputs({ matrix: this.matrix, runAs: this.runAs });
    }
}
