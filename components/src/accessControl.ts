/**
 * `paas:index:AccessControl`: one access model compiled to Kubernetes RBAC (the core's
 * KubernetesAccess, as a child), and workload identities compiled to least-privilege cloud IAM (IRSA or EKS Pod Identity, GKE Workload Identity,
 * Azure workload identity), with the ServiceAccount annotations that bind them.
 */
import type * as awsTypes from "@pulumi/aws";
import type * as authorizationTypes from "@pulumi/azure-native/authorization";
import type * as managedidentityTypes from "@pulumi/azure-native/managedidentity";
import type * as gcpTypes from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesAccess } from "../../core/src/kubernetesAccess";
import type { AccessMatrix } from "../../core/src/planners/acl";
import {
    ACCESS_DEFAULTS, AZURE_IDENTITY_POD_LABELS, type AccessControlArgs, type AwsGrantArgs, type AzureGrantArgs, type GcpGrantArgs,
    IDENTITY_ANNOTATION, type WorkloadIdentityArgs, accessRbacArgs, checkAccess,
} from "./planners/access";
import { awsGrantPolicy, azureRoleDefinitionId, gsaAccountId, irsaTrustPolicy, podIdentityTrustPolicy } from "./planners/iam";
import { Problems } from "../../core/src/validation";

export type { AccessControlArgs, AwsGrantArgs, AzureGrantArgs, AzureRoleArgs, GcpGrantArgs, WorkloadIdentityArgs } from "./planners/access";

interface IdentityBinding {
    annotations: pulumi.Output<Record<string, string>>;
    podLabels: Record<string, string>;
}
/** Kept beside the instances: every class property would become a schema output. */
const BINDINGS = new WeakMap<object, Map<string, IdentityBinding>>();

export class AccessControl extends pulumi.ComponentResource {
    /** Who can do what: subject → scope/resource → verbs. */
    readonly matrix: AccessMatrix;
    /**
     * Who can run pods as a ServiceAccount holding a cloud identity (subject → `namespace/name`):
     * writing a pod-making object lets its writer pick any ServiceAccount of the namespace.
     */
    readonly runAs: Record<string, string[]>;

    constructor(name: string, args: AccessControlArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = new Problems();
        checkAccess(args, "args", problems);
        problems.throwIfAny(`AccessControl "${name}" arguments`);
        super("paas:index:AccessControl", name, {}, opts);
        const bindings = new Map<string, IdentityBinding>();
        BINDINGS.set(this, bindings);
        // The RBAC half is the core's KubernetesAccess, named like this component; its objects keep
        // the URNs they had when this component declared them.
        const rbac = accessRbacArgs(args);
        const kubernetes = (rbac.rules ?? []).length + (rbac.breakGlassClusterAdmins ?? []).length > 0
            ? new KubernetesAccess(name, rbac, { parent: this, childrenFormerParent: this })
            : undefined;
        this.matrix = kubernetes?.matrix ?? {};
        this.runAs = kubernetes?.runAs ?? {};

        for (const w of args.workloadIdentities ?? []) {
            const key = `${w.namespace}/${w.serviceAccount}`;
            const id = `${name}-${w.namespace}-${w.serviceAccount}`;
            const b: IdentityBinding = { annotations: pulumi.output<Record<string, string>>({}), podLabels: {} };
            if (w.aws) b.annotations = this.awsIdentity(id, args, w, w.aws);
            else if (w.gcp) b.annotations = this.gkeIdentity(id, args, w, w.gcp);
            else if (w.azure) {
                b.annotations = this.azureIdentity(id, args, w, w.azure);
                b.podLabels = { ...AZURE_IDENTITY_POD_LABELS };
            }
            bindings.set(key, b);
        }
        this.registerOutputs({ matrix: this.matrix, runAs: this.runAs });
    }

    /** ServiceAccount annotations binding `namespace/serviceAccount` to its cloud identity (undefined when it has none). */
    serviceAccountAnnotations(namespace: string, serviceAccount: string): pulumi.Output<Record<string, string>> | undefined {
        return BINDINGS.get(this)!.get(`${namespace}/${serviceAccount}`)?.annotations;
    }

    /** Pod labels the identity of `namespace/serviceAccount` needs (Azure), undefined when none. */
    podLabels(namespace: string, serviceAccount: string): Record<string, string> | undefined {
        const labels = BINDINGS.get(this)!.get(`${namespace}/${serviceAccount}`)?.podLabels;
        return labels && Object.keys(labels).length ? labels : undefined;
    }

    /**
     * AWS: a role with exactly the listed actions that only this service account of this cluster
     * gets, by IRSA (the role trusts the cluster's OIDC tokens of that service account; the
     * ServiceAccount is annotated) or by EKS Pod Identity (the role trusts the pod identity agent
     * and one association names the cluster, namespace and service account; no annotation).
     */
    private awsIdentity(id: string, args: AccessControlArgs, w: WorkloadIdentityArgs, grant: AwsGrantArgs): pulumi.Output<Record<string, string>> {
        const podIdentity = (args.awsWorkloadIdentity ?? ACCESS_DEFAULTS.awsWorkloadIdentity) === "podIdentity";
        if (!podIdentity && (!args.oidcProviderArn || !args.oidcIssuerUrl)) throw new Error(`${id}: an IRSA role needs oidcProviderArn and oidcIssuerUrl (from KubernetesCluster)`);
        // Cloud SDKs load only when a grant of that cloud exists (each costs a noticeable start-up time).
        const aws = require("@pulumi/aws") as typeof awsTypes;
        const tags = { "paas:cluster": args.clusterName, "paas:service-account": `${w.namespace}/${w.serviceAccount}` };
        const role = new aws.iam.Role(id, {
            assumeRolePolicy: podIdentity
                ? JSON.stringify(podIdentityTrustPolicy())
                : pulumi.all([args.oidcProviderArn!, args.oidcIssuerUrl!]).apply(([arn, url]) => JSON.stringify(irsaTrustPolicy(arn, url, w.namespace, w.serviceAccount))),
            inlinePolicies: [{ name: "workload", policy: JSON.stringify(awsGrantPolicy(grant.actions, grant.resources)) }],
            tags,
        }, { parent: this });
        if (podIdentity) {
            new aws.eks.PodIdentityAssociation(id, { clusterName: args.clusterName, namespace: w.namespace, serviceAccount: w.serviceAccount, roleArn: role.arn, tags }, { parent: this });
            return pulumi.output<Record<string, string>>({});
        }
        return role.arn.apply((arn): Record<string, string> => ({ [IDENTITY_ANNOTATION.aws]: arn }));
    }

    /** GKE Workload Identity: a Google service account only this KSA may impersonate, with the listed roles. */
    private gkeIdentity(id: string, args: AccessControlArgs, w: WorkloadIdentityArgs, grant: GcpGrantArgs): pulumi.Output<Record<string, string>> {
        if (!args.gcpProject) throw new Error(`${id}: a GKE workload identity needs gcpProject`);
        const gcp = require("@pulumi/gcp") as typeof gcpTypes;
        const gsa = new gcp.serviceaccount.Account(id, {
            project: args.gcpProject,
            accountId: gsaAccountId(args.clusterName, w.serviceAccount),
            displayName: `${w.namespace}/${w.serviceAccount} on ${args.clusterName}`,
        }, { parent: this });
        new gcp.serviceaccount.IAMMember(`${id}-wi`, {
            serviceAccountId: gsa.name,
            role: "roles/iam.workloadIdentityUser",
            member: pulumi.interpolate`serviceAccount:${args.gcpProject}.svc.id.goog[${w.namespace}/${w.serviceAccount}]`,
        }, { parent: this });
        for (const role of grant.roles) {
            new gcp.projects.IAMMember(`${id}-${role.split("/").pop()}`, { project: args.gcpProject, role, member: pulumi.interpolate`serviceAccount:${gsa.email}` }, { parent: this });
        }
        return gsa.email.apply((email): Record<string, string> => ({ [IDENTITY_ANNOTATION.gcp]: email }));
    }

    /** Azure workload identity: a user-assigned identity federated with exactly this KSA, with the listed roles. */
    private azureIdentity(id: string, args: AccessControlArgs, w: WorkloadIdentityArgs, grant: AzureGrantArgs): pulumi.Output<Record<string, string>> {
        if (!args.azureResourceGroupName || !args.oidcIssuerUrl) throw new Error(`${id}: an Azure workload identity needs azureResourceGroupName and oidcIssuerUrl`);
        const managedidentity = require("@pulumi/azure-native/managedidentity") as typeof managedidentityTypes;
        const authorization = require("@pulumi/azure-native/authorization") as typeof authorizationTypes;
        const identity = new managedidentity.UserAssignedIdentity(id, { resourceGroupName: args.azureResourceGroupName, location: args.azureLocation }, { parent: this });
        new managedidentity.FederatedIdentityCredential(`${id}-federation`, {
            resourceGroupName: args.azureResourceGroupName,
            resourceName: identity.name,
            issuer: args.oidcIssuerUrl,
            subject: `system:serviceaccount:${w.namespace}:${w.serviceAccount}`,
            audiences: ["api://AzureADTokenExchange"],
        }, { parent: this });
        const client = authorization.getClientConfigOutput({ parent: this });
        grant.roles.forEach((r, i) => {
            new authorization.RoleAssignment(`${id}-role-${i}`, {
                principalId: identity.principalId,
                principalType: "ServicePrincipal",
                roleDefinitionId: client.subscriptionId.apply((sub) => azureRoleDefinitionId(sub, r.roleDefinitionId)),
                scope: r.scope,
            }, { parent: this });
        });
        return identity.clientId.apply((clientId): Record<string, string> => ({ [IDENTITY_ANNOTATION.azure]: clientId }));
    }
}

