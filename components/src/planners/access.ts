/** AccessControl args, their defaults and checks, shared by the config parser and the component. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import { type AclRule, type AclSubject, checkAcl } from "./acl";
import type { Cloud } from "./cluster";
import { AZURE_FORBIDDEN_ROLES, GCP_FORBIDDEN_ROLES, awsGrantProblems } from "./iam";

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
    /** Prefix of the Role and binding names. @default paas */
    prefix?: string;
    /** Cluster name, used to name cloud identities. */
    clusterName: string;
    /** AWS: ARN of the cluster's IAM OIDC provider (needed by AWS workload identities). @default - none */
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

export const ACCESS_DEFAULTS = { prefix: "paas" } as const;

/** The ServiceAccount annotation each cloud's workload identity sets (its value is the cloud identity). */
export const IDENTITY_ANNOTATION: Readonly<Record<Exclude<Cloud, "local">, string>> = {
    aws: "eks.amazonaws.com/role-arn",
    gcp: "iam.gke.io/gcp-service-account",
    azure: "azure.workload.identity/client-id",
};

/** Pod labels Azure workload identity needs on the pods of a bound ServiceAccount. */
export const AZURE_IDENTITY_POD_LABELS: Readonly<Record<string, string>> = { "azure.workload.identity/use": "true" };

/** What the workload identity of one ServiceAccount puts on it and its pods (keys known before any deployment). */
export function identityBindingKeys(cloud: Cloud): { annotations: readonly string[]; podLabels: Readonly<Record<string, string>> } {
    if (cloud === "local") return { annotations: [], podLabels: {} };
    return { annotations: [IDENTITY_ANNOTATION[cloud]], podLabels: cloud === "azure" ? AZURE_IDENTITY_POD_LABELS : {} };
}

export function checkAccess(args: Omit<AccessControlArgs, "clusterName">, path: string, problems: Problems): void {
    checkAcl(args.rules ?? [], `${path}.rules`, problems);
    const seen = new Set<string>();
    (args.workloadIdentities ?? []).forEach((w, i) => {
        const at = `${path}.workloadIdentities[${i}]`;
        const key = `${w.namespace}/${w.serviceAccount}`;
        if (seen.has(key)) problems.add(`${at}.serviceAccount`, w.serviceAccount, "must be unique among the workload identities");
        seen.add(key);
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
        w.gcp?.roles.forEach((r, j) => {
            if (!/^(roles|projects\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "must be a role such as roles/storage.objectViewer");
            else if ((GCP_FORBIDDEN_ROLES as readonly string[]).includes(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "is far broader than a workload needs; grant a predefined or custom role");
        });
        w.azure?.roles.forEach((r, j) => {
            if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(r.roleDefinitionId)) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "must be a role definition GUID");
            else if ((AZURE_FORBIDDEN_ROLES as readonly string[]).includes(r.roleDefinitionId.toLowerCase())) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "is Owner, Contributor or User Access Administrator; grant a narrower role");
            if (!r.scope.startsWith("/subscriptions/")) problems.add(`${at}.azure.roles[${j}].scope`, r.scope, "must be an Azure resource ID (/subscriptions/…)");
        });
    });
}

