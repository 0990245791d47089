/**
 * `paas:index:Platform`: the cluster and the cloud identities of its services, with the core's
 * KubernetesPlatform on it (namespaces, add-ons, gateway, services and their weighted routes,
 * etcd, RBAC, monitoring objects), composed from one set of args.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EtcdQuorum } from "../../core/src/etcdQuorum";
import type { KubernetesAccess } from "../../core/src/kubernetesAccess";
import { KubernetesPlatform } from "../../core/src/kubernetesPlatform";
import type { Service } from "../../core/src/service";
import { Problems } from "../../core/src/validation";
import type { WeightedRoute } from "../../core/src/weightedRoute";
import { AccessControl } from "./accessControl";
import { KubernetesCluster } from "./kubernetesCluster";
import {
    type GatewayController, PLATFORM_DEFAULTS, type PlatformArgs, capacityOutput, checkPlatform, kubernetesLayerArgs, overflowSummary, planPlatformCapacity,
    planPlatformIdentities,
} from "./planners/platform";

export type {
    AddonsArgs, CapacityOverflow, PlatformAccessArgs, PlatformCapacityArgs, PlatformArgs, PlatformEtcdArgs, PlatformGatewayArgs, PlatformRouteArgs, PlatformRouteBackendArgs,
    PlatformServiceArgs, PlatformWorkloadIdentityArgs,
} from "./planners/platform";

/** The parts, kept beside the instances (class properties become schema outputs). */
interface Parts {
    cluster: KubernetesCluster;
    kubernetes: KubernetesPlatform;
    access?: AccessControl;
    capacity: Record<string, unknown>;
}
const PARTS = new WeakMap<object, Parts>();

export class Platform extends pulumi.ComponentResource {
    /** Name of the cluster at the cloud provider. */
    readonly clusterName: pulumi.Output<string>;
    /** Kubeconfig of the cluster; always a secret. */
    readonly kubeconfig: pulumi.Output<string>;
    /** OIDC issuer of the cluster's service-account tokens, where the cloud has one. */
    readonly oidcIssuerUrl: pulumi.Output<string | undefined>;
    /** Namespace of the workloads. */
    readonly namespace: pulumi.Output<string>;
    /** Gateway controller in use. */
    readonly gatewayController: GatewayController;
    /** Autoscaling warnings (clusters without per-direction HPA tolerance) and a capacity overflow allowed by `capacity.onOverflow: warn`. */
    readonly warnings: string[] = [];

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        checkPlatform(args, (k) => `args.${k}`, new Problems()).throwIfAny(`Platform "${name}" arguments`);
        super("paas:index:Platform", name, {}, opts);
        const d = PLATFORM_DEFAULTS;
        const capacity = planPlatformCapacity(args, name);
        // checkPlatform refused an overflow unless onOverflow is warn.
        if (!("skipped" in capacity) && !capacity.max.fits) {
            const warning = `capacity: the pools at maxNodes cannot hold every pod at maxReplicas: ${overflowSummary(capacity)}`;
            this.warnings.push(warning);
            pulumi.log.warn(warning, this);
        }
        const cluster = new KubernetesCluster(`${name}-cluster`, args.cluster, { parent: this });
        const appNamespace = args.namespace ?? d.namespace;
        const layer = kubernetesLayerArgs(args);
        const identities = planPlatformIdentities(args);

        // The cloud half of the access model: identities for the services that have one. It
        // keeps the name and URN it had when it compiled the RBAC rules too.
        let access: AccessControl | undefined;
        if (args.access) {
            const c = cluster;
            access = new AccessControl(`${name}-access`, {
                cloud: args.cluster.cloud,
                workloadIdentities: (args.access.workloadIdentities ?? []).map(({ service, ...grant }) => ({ ...grant, namespace: appNamespace, serviceAccount: service })),
                clusterName: c.resolvedPlan().clusterName,
                awsWorkloadIdentity: c.resolvedPlan().aws?.workloadIdentity,
                oidcProviderArn: c.oidcProviderArn as pulumi.Output<string>,
                oidcIssuerUrl: c.oidcIssuerUrl as pulumi.Output<string>,
                gcpProject: c.workloadIdentityPool.apply((p) => (p ?? "").replace(/\.svc\.id\.goog$/, "")),
                azureResourceGroupName: c.resourceGroupName as pulumi.Output<string>,
                azureLocation: c.resolvedPlan().azure?.location,
            }, { parent: this, provider: cluster.provider });
        }

        // The Kubernetes layer is the core's KubernetesPlatform, named like this component: every
        // object it declares keeps the URN it had when this component declared it.
        const kubernetes = new KubernetesPlatform(name, {
            ...layer,
            services: (args.services ?? []).map((s) => {
                const id = identities.get(s.name)!;
                const annotations = id.identity === undefined ? undefined : access?.serviceAccountAnnotations(appNamespace, s.name);
                return {
                    ...s,
                    // checkPlatform refused user keys the identity sets, so the merge order is moot.
                    serviceAccountAnnotations: annotations
                        ? pulumi.all([s.serviceAccountAnnotations ?? {}, annotations]).apply(([own, idAnnotations]) => ({ ...own, ...idAnnotations }))
                        : s.serviceAccountAnnotations,
                    podLabels: { ...id.podLabels },
                };
            }),
            renderOnly: cluster.renderOnly,
        }, {
            parent: this,
            provider: cluster.provider,
            childrenFormerParent: this,
            accessFormerParent: access,
            legacyChildNames: args.legacyChildAliases ?? d.legacyChildAliases,
        });
        PARTS.set(this, { cluster, kubernetes, access, capacity: capacityOutput(capacity) });
        this.warnings.push(...kubernetes.warnings);
        this.namespace = kubernetes.namespace;
        this.gatewayController = kubernetes.gatewayController;
        this.clusterName = cluster.clusterName;
        this.kubeconfig = cluster.kubeconfig;
        this.oidcIssuerUrl = cluster.oidcIssuerUrl;
        this.registerOutputs({ namespace: this.namespace, clusterName: this.clusterName, kubeconfig: this.kubeconfig, oidcIssuerUrl: this.oidcIssuerUrl });
    }

    /** The cluster component. */
    clusterComponent(): KubernetesCluster {
        return PARTS.get(this)!.cluster;
    }

    /** The Kubernetes layer: namespaces, add-ons, gateway, services, routes, etcd, RBAC, monitoring objects. */
    kubernetesLayer(): KubernetesPlatform {
        return PARTS.get(this)!.kubernetes;
    }

    /** The etcd quorum, when one is declared. */
    etcdQuorum(): EtcdQuorum | undefined {
        return PARTS.get(this)!.kubernetes.etcdQuorum();
    }

    /** The cloud identities of the services (AccessControl), when an access model is declared. */
    accessControl(): AccessControl | undefined {
        return PARTS.get(this)!.access;
    }

    /** The RBAC of the access rules (KubernetesAccess), when there are any. */
    kubernetesAccess(): KubernetesAccess | undefined {
        return PARTS.get(this)!.kubernetes.kubernetesAccess();
    }

    /**
     * The capacity plan, as the `capacity` stack output shows it: headroom per node pool with the
     * pods at maxReplicas on the pools at maxNodes (and at the minima), and the pods that do not
     * fit; `skipped` says why there is no plan (a local cluster, a machine type of unknown size).
     */
    capacityReport(): Record<string, unknown> {
        return PARTS.get(this)!.capacity;
    }

    /** The platform's services by name. */
    services(): ReadonlyMap<string, Service> {
        return PARTS.get(this)!.kubernetes.services();
    }

    /** The platform's weighted routes by name. */
    routes(): ReadonlyMap<string, WeightedRoute> {
        return PARTS.get(this)!.kubernetes.routes();
    }
}
