/**
 * Karpenter: on EKS, the AWS side (interruption queue and its rules, node role, instance profile
 * and access entry, controller role by Pod Identity or IRSA) and the cluster side (the CRD and
 * controller charts, one NodePool and EC2NodeClass per pool); on AKS, whose node auto-provisioning
 * runs Karpenter itself, one NodePool and AKSNodeClass per pool.
 */
import type * as awsTypes from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POOL_LABEL } from "../planners/capacity";
import type { ClusterPlan } from "../planners/cluster";
import { EKS_NODE_POLICIES, irsaTrustPolicy, podIdentityTrustPolicy, serviceTrustPolicy } from "../planners/iam";
import {
    AKS_NODE_CLASS, EC2_NODE_CLASS, INTERRUPTION_EVENTS, KARPENTER, NODE_POOL, aksNodeClass, arnParts, ec2NodeClass, interruptionEventPattern, interruptionQueuePolicy, karpenterControllerPolicy,
    karpenterNodePool, karpenterValues,
} from "../planners/karpenter";

/** What the cluster side needs from the AWS side. */
export interface KarpenterWiring {
    readonly queueName: pulumi.Output<string>;
    readonly instanceProfileName: pulumi.Output<string>;
    /** The controller role, annotated on its service account with IRSA; undefined with Pod Identity. */
    readonly irsaRoleArn?: pulumi.Output<string>;
    readonly subnetIds: pulumi.Output<string[]>;
    readonly securityGroupId: pulumi.Output<string>;
    /** Zones of the VPC the component made; empty with given subnets (they decide the zones). */
    readonly zones: pulumi.Output<string[]>;
    /** Resources the charts wait for (the controller's identity, the node access entry). */
    readonly dependencies: pulumi.Resource[];
}

export interface EksParts {
    readonly cluster: awsTypes.eks.Cluster;
    readonly oidcProviderArn: pulumi.Output<string>;
    readonly issuerUrl: pulumi.Output<string>;
    readonly subnetIds: pulumi.Input<string>[];
    readonly zones: pulumi.Output<string[]>;
    readonly tags: Record<string, string>;
}

export function createKarpenterAws(name: string, plan: ClusterPlan, eks: EksParts, opts: pulumi.CustomResourceOptions): KarpenterWiring {
    const aws = require("@pulumi/aws") as typeof awsTypes;
    const k = plan.aws!.karpenter!;
    const { cluster, tags } = eks;

    // --- interruption queue: spot warnings, rebalance advice, state changes and health events drain nodes early
    const queue = new aws.sqs.Queue(`${name}-karpenter`, {
        name: `${plan.clusterName}-karpenter`,
        messageRetentionSeconds: 300,
        sqsManagedSseEnabled: true,
        tags,
    }, opts);
    const rules = Object.entries(INTERRUPTION_EVENTS).map(([suffix, event]) => {
        const rule = new aws.cloudwatch.EventRule(`${name}-karpenter-${suffix}`, {
            name: `${plan.clusterName}-${suffix}`,
            description: `To the Karpenter interruption queue of EKS cluster ${plan.clusterName}: ${event.detailType}`,
            eventPattern: interruptionEventPattern(event),
            tags,
        }, opts);
        new aws.cloudwatch.EventTarget(`${name}-karpenter-${suffix}`, { rule: rule.name, targetId: "karpenter-interruption-queue", arn: queue.arn }, opts);
        return rule;
    });
    const queuePolicy = new aws.sqs.QueuePolicy(`${name}-karpenter`, {
        queueUrl: queue.url,
        policy: pulumi.all([queue.arn, ...rules.map((r) => r.arn)]).apply(([arn, ...ruleArns]) => JSON.stringify(interruptionQueuePolicy(arn, ruleArns))),
    }, opts);

    // --- nodes: a role of their own (the managed groups' role already has its access entry)
    const nodeRole = new aws.iam.Role(`${name}-karpenter-node`, { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com")), tags }, opts);
    const nodeAttachments = EKS_NODE_POLICIES.map((p) =>
        new aws.iam.RolePolicyAttachment(`${name}-karpenter-node-${p}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, opts));
    const profile = new aws.iam.InstanceProfile(`${name}-karpenter-node`, { role: nodeRole.name, tags }, opts);
    const access = new aws.eks.AccessEntry(`${name}-karpenter-node`, { clusterName: cluster.name, principalArn: nodeRole.arn, type: "EC2_LINUX", tags }, opts);

    // --- controller identity
    const irsa = k.controllerIdentity === "irsa";
    const controllerRole = new aws.iam.Role(`${name}-karpenter-controller`, {
        assumeRolePolicy: irsa
            ? pulumi.all([eks.oidcProviderArn, eks.issuerUrl]).apply(([arn, url]) => JSON.stringify(irsaTrustPolicy(arn, url, KARPENTER.namespace, KARPENTER.serviceAccount)))
            : JSON.stringify(podIdentityTrustPolicy()),
        tags,
    }, opts);
    const subnetIds = pulumi.output(eks.subnetIds);
    const securityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
    const controllerPolicy = new aws.iam.RolePolicy(`${name}-karpenter-controller`, {
        role: controllerRole.name,
        policy: pulumi.all([cluster.arn, nodeRole.arn, profile.arn, queue.arn, subnetIds, securityGroupId]).apply(([clusterArn, nodeRoleArn, instanceProfileArn, queueArn, subnets, sg]) =>
            JSON.stringify(karpenterControllerPolicy({
                ...arnParts(clusterArn), clusterName: plan.clusterName, nodeRoleArn, instanceProfileArn, queueArn, subnetIds: subnets, securityGroupId: sg,
            }))),
    }, opts);
    const dependencies: pulumi.Resource[] = [queuePolicy, controllerPolicy, access, profile, ...nodeAttachments];
    if (!irsa) {
        dependencies.push(new aws.eks.PodIdentityAssociation(`${name}-karpenter-controller`, {
            clusterName: cluster.name,
            namespace: KARPENTER.namespace,
            serviceAccount: KARPENTER.serviceAccount,
            roleArn: controllerRole.arn,
            tags,
        }, opts));
    }

    return {
        queueName: queue.name,
        instanceProfileName: profile.name,
        irsaRoleArn: irsa ? controllerRole.arn : undefined,
        subnetIds,
        securityGroupId,
        zones: eks.zones,
        dependencies,
    };
}

/** The charts and the NodePools/EC2NodeClasses, through the cluster's provider. */
export function createKarpenterObjects(name: string, plan: ClusterPlan, w: KarpenterWiring, provider: k8s.Provider, parent: pulumi.Resource): pulumi.Resource[] {
    const opts: pulumi.CustomResourceOptions = { parent, provider };
    const k = plan.aws!.karpenter!;
    const system = plan.nodePools.find((p) => p.system)!;
    const crds = new k8s.helm.v3.Release(`${name}-karpenter-crd`, {
        name: "karpenter-crd",
        chart: KARPENTER.crdChart,
        version: KARPENTER.version,
        namespace: KARPENTER.namespace,
        createNamespace: false,
        atomic: true,
        cleanupOnFail: true,
    }, { ...opts, dependsOn: w.dependencies });
    const controller = new k8s.helm.v3.Release(`${name}-karpenter`, {
        name: "karpenter",
        chart: KARPENTER.chart,
        version: KARPENTER.version,
        namespace: KARPENTER.namespace,
        createNamespace: false,
        skipCrds: true,
        atomic: true,
        cleanupOnFail: true,
        values: pulumi.all([plan.clusterName, w.queueName, w.irsaRoleArn]).apply(([clusterName, queueName, roleArn]) =>
            karpenterValues(clusterName, queueName, POOL_LABEL, system.name, roleArn)),
    }, { ...opts, dependsOn: [crds, ...w.dependencies] });

    const tags = { ...plan.tags, "paas:cluster": plan.clusterName };
    const objects: pulumi.Resource[] = [crds, controller];
    for (const pool of plan.nodePools.filter((p) => p.karpenter)) {
        objects.push(new k8s.apiextensions.CustomResource(`${name}-karpenter-${pool.name}-class`, {
            apiVersion: EC2_NODE_CLASS.apiVersion,
            kind: EC2_NODE_CLASS.kind,
            metadata: { name: pool.name },
            spec: pulumi.all([w.instanceProfileName, w.subnetIds, w.securityGroupId]).apply(([profile, subnets, sg]) => ec2NodeClass(pool, profile, subnets, sg, tags).spec),
        }, { ...opts, dependsOn: [crds] }));
        objects.push(new k8s.apiextensions.CustomResource(`${name}-karpenter-${pool.name}`, {
            apiVersion: NODE_POOL.apiVersion,
            kind: NODE_POOL.kind,
            metadata: { name: pool.name },
            spec: w.zones.apply((zones) => karpenterNodePool(pool, k, POOL_LABEL, EC2_NODE_CLASS, zones).spec),
        }, { ...opts, dependsOn: [crds, controller] }));
    }
    return objects;
}

/** AKS node auto-provisioning: a NodePool and an AKSNodeClass per pool after the first. */
export function createAksNodePools(name: string, plan: ClusterPlan, subnetId: pulumi.Output<string>, provider: k8s.Provider, parent: pulumi.Resource): pulumi.Resource[] {
    const opts: pulumi.CustomResourceOptions = { parent, provider };
    const k = plan.azure!.nodeAutoProvisioning!;
    const tags = { ...plan.tags, "paas-cluster": plan.clusterName };
    return plan.nodePools.filter((p) => p.karpenter).flatMap((pool) => {
        const nodeClass = new k8s.apiextensions.CustomResource(`${name}-nap-${pool.name}-class`, {
            apiVersion: AKS_NODE_CLASS.apiVersion,
            kind: AKS_NODE_CLASS.kind,
            metadata: { name: pool.name },
            spec: subnetId.apply((id) => aksNodeClass(pool, id, tags).spec),
        }, opts);
        const nodePool = new k8s.apiextensions.CustomResource(`${name}-nap-${pool.name}`,
            karpenterNodePool(pool, k, POOL_LABEL, AKS_NODE_CLASS, []), { ...opts, dependsOn: [nodeClass] });
        return [nodeClass, nodePool];
    });
}
