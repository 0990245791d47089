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
