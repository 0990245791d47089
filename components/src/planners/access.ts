/** AccessControl args, their defaults and checks, shared by the config parser and the component. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../../core/src/validation";
import type { AclRule, AclSubject } from "../../../core/src/planners/acl";
import { type KubernetesAccessArgs, RBAC_DEFAULTS, checkRbac } from "../../../core/src/planners/rbac";
import type { Cloud } from "./cluster";
import { AZURE_FORBIDDEN_ROLES, GCP_FORBIDDEN_ROLES, awsGrantProblems } from "./iam";
import { AWS_WORKLOAD_IDENTITIES, type AwsWorkloadIdentity } from "./karpenter";

export interface AwsGrantArgs {
    /** IAM actions, each named (no wildcards). */
    actions: string[];
    /** Resource ARNs ("*" only when every action is read-only). */
    resources: string[];
}

export interface GcpGrantArgs {
    /** Project roles for the workload's Google service account (never owner/editor). */
    roles: string[];
}

export interface AzureRoleArgs {
    /** Built-in or custom role definition GUID. */
    roleDefinitionId: string;
    /** Scope: a resource, resource group or subscription ID. */
    scope: string;
}

export interface AzureGrantArgs {
    roles: AzureRoleArgs[];
}

export interface WorkloadIdentityArgs {
    /** Namespace of the Kubernetes ServiceAccount. */
    namespace: string;
    /** Name of the Kubernetes ServiceAccount. */
    serviceAccount: string;
    /** AWS permissions (cloud aws). @default - none */
    aws?: AwsGrantArgs;
    /** GCP permissions (cloud gcp). @default - none */
    gcp?: GcpGrantArgs;
    /** Azure permissions (cloud azure). @default - none */
    azure?: AzureGrantArgs;
}

export interface AccessControlArgs {
    /** Cloud of the cluster, which decides the IAM side of workload identities. */
    cloud: Cloud;
    /** Kubernetes access rules. @default [] */
    rules?: AclRule[];
    /** Cloud permissions for Kubernetes service accounts. @default [] */
    workloadIdentities?: WorkloadIdentityArgs[];
    /** BREAK GLASS: subjects bound to cluster-admin. The policy pack flags this binding on purpose. @default [] */
    breakGlassClusterAdmins?: AclSubject[];
    /**
     * Refuse access rules that let their subjects run pods as a ServiceAccount holding a cloud
     * identity (writing pods, Deployments, Jobs… in its namespace). Off, such rules are kept, the
     * component warns, and `runAs` lists who can act with which identity. @default false
     */
    protectWorkloadIdentities?: boolean;
    /** Prefix of the Role and binding names. @default paas */
    prefix?: string;
    /** Cluster name, used to name cloud identities. */
    clusterName: string;
    /** AWS: how workload identities get credentials: IRSA (a role annotated on the ServiceAccount) or EKS Pod Identity (a pod identity association; no annotation). @default irsa */
    awsWorkloadIdentity?: AwsWorkloadIdentity;
    /** AWS: ARN of the cluster's IAM OIDC provider (needed by IRSA workload identities). @default - none */
    oidcProviderArn?: pulumi.Input<string>;
    /** AWS/Azure: issuer URL of the cluster's service-account tokens (needed by their workload identities). @default - none */
    oidcIssuerUrl?: pulumi.Input<string>;
    /** GCP: project of the workload identity pool (needed by GCP workload identities). @default - none */
    gcpProject?: pulumi.Input<string>;
    /** Azure: resource group of the user-assigned identities (needed by Azure workload identities). @default - none */
    azureResourceGroupName?: pulumi.Input<string>;
    /** Azure: location of the user-assigned identities. @default - the resource group's */
    azureLocation?: pulumi.Input<string>;
}

export const ACCESS_DEFAULTS = { prefix: RBAC_DEFAULTS.prefix, awsWorkloadIdentity: "irsa" as AwsWorkloadIdentity } as const;

/** The ServiceAccount annotation each cloud's workload identity sets (its value is the cloud identity). */
export const IDENTITY_ANNOTATION: Readonly<Record<Exclude<Cloud, "local">, string>> = {
    aws: "eks.amazonaws.com/role-arn",
    gcp: "iam.gke.io/gcp-service-account",
    azure: "azure.workload.identity/client-id",
};

/** Pod labels Azure workload identity needs on the pods of a bound ServiceAccount. */
export const AZURE_IDENTITY_POD_LABELS: Readonly<Record<string, string>> = { "azure.workload.identity/use": "true" };

/** What the workload identity of one ServiceAccount puts on it and its pods (keys known before any deployment). */
export function identityBindingKeys(cloud: Cloud, awsWorkloadIdentity: AwsWorkloadIdentity = "irsa"): { annotations: readonly string[]; podLabels: Readonly<Record<string, string>> } {
    // EKS Pod Identity binds by association: nothing on the ServiceAccount or its pods.
    if (cloud === "local" || (cloud === "aws" && awsWorkloadIdentity === "podIdentity")) return { annotations: [], podLabels: {} };
    return { annotations: [IDENTITY_ANNOTATION[cloud]], podLabels: cloud === "azure" ? AZURE_IDENTITY_POD_LABELS : {} };
}

/** Logical (and, autonamed, physical) name of the cloud resources of one workload identity. */
export function identityResourceName(componentName: string, namespace: string, serviceAccount: string): string {
    return `${componentName}-${namespace}-${serviceAccount}`;
}

/** Characters Pulumi's autonaming adds to a logical name ("-" and 7 random ones). */
export const AUTONAME_SUFFIX = 8;

/**
 * The longest physical name each cloud takes for a workload identity's resources, less what the
 * component appends: AWS IAM role names are at most 64, Azure federated credentials 120 (the
 * component adds "-federation"). GCP account IDs are shortened to fit by gsaAccountId.
 */
export const IDENTITY_NAME_MAX: Readonly<Partial<Record<Cloud, { max: number; what: string }>>> = {
    aws: { max: 64 - AUTONAME_SUFFIX, what: "the IAM role name (at most 64 characters, with the 8 Pulumi adds)" },
    azure: { max: 120 - AUTONAME_SUFFIX - "-federation".length, what: "the federated identity credential name (at most 120 characters, with the 19 the component and Pulumi add)" },
};

/**
 * Checks AccessControl args. `opts.componentName` (the AccessControl's name) lets the names of
 * the cloud resources of workload identities be checked against the clouds' limits;
 * `opts.serviceAccountKey` is the key problems of a ServiceAccount are reported on (the
 * Platform's `service`).
 */
export function checkAccess(args: Omit<AccessControlArgs, "clusterName">, path: string, problems: Problems, opts: { componentName?: string; serviceAccountKey?: string } = {}): void {
    checkRbac(accessRbacArgs(args), path, problems);
    checkWorkloadIdentities(args, path, problems, opts);
}

/** The RBAC half of AccessControl args: what its KubernetesAccess child gets. */
export function accessRbacArgs(args: Omit<AccessControlArgs, "clusterName">): KubernetesAccessArgs {
    return {
        rules: args.rules,
        breakGlassClusterAdmins: args.breakGlassClusterAdmins,
        protectWorkloadIdentities: args.protectWorkloadIdentities,
        prefix: args.prefix,
        identityServiceAccounts: (args.workloadIdentities ?? []).map((w) => `${w.namespace}/${w.serviceAccount}`),
    };
}

/** The cloud half of AccessControl args: the AWS mode and each workload identity's grant. Options as for checkAccess. */
export function checkWorkloadIdentities(args: Omit<AccessControlArgs, "clusterName">, path: string, problems: Problems, opts: { componentName?: string; serviceAccountKey?: string } = {}): void {
    const { componentName, serviceAccountKey = "serviceAccount" } = opts;
    if (args.awsWorkloadIdentity !== undefined && !AWS_WORKLOAD_IDENTITIES.includes(args.awsWorkloadIdentity))
        problems.add(`${path}.awsWorkloadIdentity`, args.awsWorkloadIdentity, `must be one of ${AWS_WORKLOAD_IDENTITIES.map((m) => `"${m}"`).join(", ")}`);
    else if (args.awsWorkloadIdentity !== undefined && args.cloud !== "aws")
        problems.add(`${path}.awsWorkloadIdentity`, args.awsWorkloadIdentity, `is only used with cloud "aws" (the cloud is "${args.cloud}")`);
    const seen = new Set<string>();
    const nameLimit = IDENTITY_NAME_MAX[args.cloud];
    (args.workloadIdentities ?? []).forEach((w, i) => {
        const at = `${path}.workloadIdentities[${i}]`;
        const key = `${w.namespace}/${w.serviceAccount}`;
        if (seen.has(key)) problems.add(`${at}.${serviceAccountKey}`, w.serviceAccount, "must be unique among the workload identities");
        seen.add(key);
        if (componentName !== undefined && nameLimit && w[args.cloud as "aws" | "azure"] !== undefined) {
            const id = identityResourceName(componentName, w.namespace, w.serviceAccount);
            if (id.length > nameLimit.max)
                problems.add(`${at}.${serviceAccountKey}`, w.serviceAccount, `makes ${nameLimit.what} too long: "${id}" has ${id.length} characters, at most ${nameLimit.max} fit; use a shorter name`);
        }
        for (const c of ["aws", "gcp", "azure"] as const)
            if (w[c] !== undefined && c !== args.cloud) problems.add(`${at}.${c}`, w[c], `is only allowed when the cloud is "${c}" (the cloud is "${args.cloud}")`);
        const grant = args.cloud === "local" ? undefined : w[args.cloud];
        if (args.cloud === "local") problems.add(at, w.serviceAccount, 'needs a cloud: workload identities do not exist on the "local" cloud');
        else if (grant === undefined) problems.add(`${at}.${args.cloud}`, undefined, `is required: the grant for cloud "${args.cloud}"`);
        if (w.aws) {
            if (w.aws.actions.length === 0) problems.add(`${at}.aws.actions`, w.aws.actions, "must list at least one action");
            if (w.aws.resources.length === 0) problems.add(`${at}.aws.resources`, w.aws.resources, "must list at least one resource ARN");
            for (const p of awsGrantProblems(w.aws.actions, w.aws.resources)) problems.add(`${at}.aws.${p.field}[${p.index}]`, p.value, p.message);
        }
        // The component names each GCP binding after the role's last segment: two roles with the same one would clash.
        const gcpIds = new Map<string, number>();
        w.gcp?.roles.forEach((r, j) => {
            const id = r.split("/").pop()!;
            if (!/^(roles|projects\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "must be a role such as roles/storage.objectViewer");
            else if ((GCP_FORBIDDEN_ROLES as readonly string[]).includes(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "is far broader than a workload needs; grant a predefined or custom role");
            else if (gcpIds.has(id)) problems.add(`${at}.gcp.roles[${j}]`, r, `repeats the role ID ${id} of ${at}.gcp.roles[${gcpIds.get(id)}]; grant each role once`);
            else gcpIds.set(id, j);
        });
        const azureGrants = new Map<string, number>();
        w.azure?.roles.forEach((r, j) => {
            if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(r.roleDefinitionId)) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "must be a role definition GUID");
            else if ((AZURE_FORBIDDEN_ROLES as readonly string[]).includes(r.roleDefinitionId.toLowerCase())) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "is Owner, Contributor or User Access Administrator; grant a narrower role");
            if (!/^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\/.*[^/])?$/i.test(r.scope))
                problems.add(`${at}.azure.roles[${j}].scope`, r.scope, "must be an Azure resource ID (/subscriptions/<GUID>/…)");
            // Azure refuses a second assignment of the same role to the same principal at the same scope.
            const grant = `${r.roleDefinitionId.toLowerCase()} ${r.scope.toLowerCase()}`;
            if (azureGrants.has(grant)) problems.add(`${at}.azure.roles[${j}]`, r, `repeats ${at}.azure.roles[${azureGrants.get(grant)}] (the same role at the same scope); grant it once`);
            else azureGrants.set(grant, j);
        });
    });
}

