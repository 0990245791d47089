/** `paas:index:Platform`: the cluster plus the platform's namespace, composed from one set of args. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster } from "./kubernetesCluster";
import type { KubernetesClusterArgs } from "./planners/cluster";

export interface PlatformArgs {
    /** The cluster to build (or target). */
    cluster: KubernetesClusterArgs;
    /** Namespace the platform's workloads run in; it enforces the `restricted` Pod Security Standard. @default apps */
    namespace?: string;
}

/** Labels every object the platform makes carries. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "paas" } as const;

export class Platform extends pulumi.ComponentResource {
    readonly cluster: KubernetesCluster;
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paas:index:Platform", name, {}, opts);
        const namespace = args.namespace ?? "apps";
        this.cluster = new KubernetesCluster(`${name}-cluster`, args.cluster, { parent: this });
        const k8sOpts = { parent: this, provider: this.cluster.provider };

        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: namespace,
                labels: {
                    ...MANAGED_BY,
                    // Pod Security Admission: reject anything below "restricted", whatever the policy pack says.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, k8sOpts);
        // Default deny: every flow in the namespace must be allowed by a workload's own policy.
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: { name: "default-deny", namespace: ns.metadata.name, labels: { ...MANAGED_BY } },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, k8sOpts);
        this.namespace = ns.metadata.name;
        this.registerOutputs({ namespace: this.namespace });
    }
}
