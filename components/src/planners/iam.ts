/** Pure builders of cloud IAM documents, shared by the cluster and the access components. */

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: Record<string, string | string[]>;
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Trust policy letting one AWS service assume a role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    };
}

/**
 * IRSA trust policy: only the Kubernetes service account `namespace/name` of the cluster behind
 * the OIDC provider may assume the role, and only for the STS audience. Both conditions use
 * StringEquals: a StringLike with wildcards would let any service account in.
 */
export function irsaTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, serviceAccount: string): PolicyDocument {
    const issuer = issuerUrl.replace(/^https:\/\//, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    };
}

/** AWS managed policies the cluster and node roles get: the minimum EKS documents. */
export const EKS_CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"] as const;
/**
 * Node role policies. The CNI policy is deliberately absent: it goes to the aws-node service
 * account through IRSA, so pods on the node cannot use it.
 */
export const EKS_NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"] as const;

/** Roles the dedicated GKE node service account needs, and nothing more (GKE's hardening guide). */
export const GKE_NODE_ROLES = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
] as const;

/** Read-only AWS actions: only these may be granted on resource "*". */
export const READ_ONLY_ACTION = /^[a-z0-9-]+:(Get|List|Describe|BatchGet|Head|Lookup|Search|Select|Query|Scan|View)[A-Za-z0-9]*$/;
const AWS_ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

/** Why a workload's AWS grant is not least-privilege, or [] when it is. */
export function awsGrantProblems(actions: readonly string[], resources: readonly string[]): { field: "actions" | "resources"; index: number; value: string; message: string }[] {
    const out: { field: "actions" | "resources"; index: number; value: string; message: string }[] = [];
    actions.forEach((a, i) => {
        if (a === "*" || a.endsWith(":*") || a.includes("*")) out.push({ field: "actions", index: i, value: a, message: "must name one action (no wildcards), e.g. s3:GetObject" });
        else if (!AWS_ACTION.test(a)) out.push({ field: "actions", index: i, value: a, message: "must be an IAM action such as s3:GetObject" });
    });
    resources.forEach((r, i) => {
        if (r === "*" && actions.some((a) => !READ_ONLY_ACTION.test(a)))
            out.push({ field: "resources", index: i, value: r, message: 'must be an ARN: "*" is only allowed when every action is read-only' });
        else if (r !== "*" && !r.startsWith("arn:")) out.push({ field: "resources", index: i, value: r, message: "must be an ARN (arn:aws:…)" });
    });
    return out;
}

/** Least-privilege identity policy of one workload. */
export function awsGrantPolicy(actions: readonly string[], resources: readonly string[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [...actions], Resource: [...resources] }] };
}

/** Basic roles that grant (nearly) everything in a project. */
export const GCP_FORBIDDEN_ROLES = ["roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin"] as const;
/** Azure built-in roles too broad for a workload: Owner, Contributor, User Access Administrator. */
export const AZURE_FORBIDDEN_ROLES = ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"] as const;

/** Full ID of an Azure role definition GUID in a subscription (what role assignments take). */
export function azureRoleDefinitionId(subscriptionId: string, guid: string): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}
