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

/**
 * EKS Pod Identity trust: the cluster's pod identity agent assumes the role (and tags the session
 * with the cluster, namespace and service account); which service account gets it is decided by
 * the role's PodIdentityAssociation, not by the trust policy.
 */
export function podIdentityTrustPolicy(): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
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
/** arn:<partition>:<service>:<region>:<account>:<resource>; region and account may be empty (S3), the account may be "aws" (managed policies). */
export const AWS_ARN = /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:\S+$/;

/** Why a workload's AWS grant is not least-privilege (or repeats itself), or [] when it is. */
export function awsGrantProblems(actions: readonly string[], resources: readonly string[]): { field: "actions" | "resources"; index: number; value: string; message: string }[] {
    const out: { field: "actions" | "resources"; index: number; value: string; message: string }[] = [];
    // IAM action names are case-insensitive; ARNs are not.
    const repeat = (field: "actions" | "resources", list: readonly string[], i: number, key = (x: string) => x) => {
        const first = list.findIndex((x) => key(x) === key(list[i]));
        return first < i ? { field, index: i, value: list[i], message: `repeats ${field}[${first}]; list it once` } : undefined;
    };
    actions.forEach((a, i) => {
        if (a === "*" || a.endsWith(":*") || a.includes("*")) out.push({ field: "actions", index: i, value: a, message: "must name one action (no wildcards), e.g. s3:GetObject" });
        else if (!AWS_ACTION.test(a)) out.push({ field: "actions", index: i, value: a, message: "must be an IAM action such as s3:GetObject" });
        else {
            const r = repeat("actions", actions, i, (x) => x.toLowerCase());
            if (r) out.push(r);
        }
    });
    resources.forEach((r, i) => {
        if (r === "*" && actions.some((a) => !READ_ONLY_ACTION.test(a)))
            out.push({ field: "resources", index: i, value: r, message: 'must be an ARN: "*" is only allowed when every action is read-only' });
        else if (r !== "*" && !AWS_ARN.test(r)) out.push({ field: "resources", index: i, value: r, message: "must be an ARN (arn:aws:<service>:<region>:<account>:<resource>)" });
        else {
            const d = repeat("resources", resources, i);
            if (d) out.push(d);
        }
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

/** What GCP accepts as a service account ID: 6 to 30 characters, this pattern. */
export const GCP_ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;
export const GCP_ACCOUNT_ID_MIN = 6;
export const GCP_ACCOUNT_ID_MAX = 30;

export function isGcpAccountId(id: string): boolean {
    return id.length >= GCP_ACCOUNT_ID_MIN && id.length <= GCP_ACCOUNT_ID_MAX && GCP_ACCOUNT_ID.test(id);
}

/** Six base-36 characters of a stable hash (not for security: it only keeps shortened IDs apart). */
function shortHash(s: string): string {
    let h = 0;
    for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h.toString(36).slice(0, 6).padStart(6, "0");
}

/**
 * A valid GCP service account ID derived from `raw`. A raw value that already is one is kept as
 * it is; anything else (too long, too short, other characters, not starting with a letter) becomes
 * a readable prefix, "-" and a hash of the raw value, so distinct inputs stay apart. The hash
 * ends the ID, so it never ends with "-".
 */
export function gcpAccountId(raw: string): string {
    const cleaned = raw.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    if (isGcpAccountId(cleaned)) return cleaned;
    const lettered = /^[a-z]/.test(cleaned) ? cleaned : `g${cleaned}`;
    // prefix (≤ 23) + "-" + hash (6) ≤ 30, and ≥ 8 since the prefix has its leading letter.
    // The hash is of the cleaned value, as the workload identity IDs always were.
    return `${lettered.slice(0, GCP_ACCOUNT_ID_MAX - 7)}-${shortHash(cleaned)}`;
}

/**
 * ID of a GKE cluster's node service account. It used to be the first 30 characters of
 * `<cluster>-nodes`; where that was a valid ID it is kept, so existing clusters keep their
 * account (and their node pools, which would be replaced with it).
 */
export function gkeNodeAccountId(clusterName: string): string {
    const legacy = `${clusterName}-nodes`.slice(0, GCP_ACCOUNT_ID_MAX);
    return isGcpAccountId(legacy) ? legacy : gcpAccountId(`${clusterName}-nodes`);
}

/** ID of the Google service account of a workload identity (cluster and Kubernetes service account). */
export function gsaAccountId(clusterName: string, serviceAccount: string): string {
    return gcpAccountId(`${clusterName}-${serviceAccount}`);
}
