/**
 * `paas:index:Platform`: the cluster, the platform namespaces, the gateway, the services and their
 * weighted routes, and the add-ons, composed from one set of args.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AccessControl } from "./accessControl";
import { installAddons } from "./addons";
import { installMonitoring } from "./monitoring";
import { EtcdQuorum } from "../../core/src/etcdQuorum";
import { Gateway } from "../../core/src/gateway";
import { KubernetesCluster } from "./kubernetesCluster";
import { CLUSTER_DEFAULTS } from "./planners/cluster";
import {
    type GatewayController, PLATFORM_DEFAULTS, type PlatformArgs, capacityOutput, checkPlatform, defaultGatewayController, overflowSummary, planGatewayController,
    planPlatformCapacity, planPlatformServices, platformMonitoringInput,
} from "./planners/platform";
import { planMonitoring } from "./planners/monitoring";
import { MANAGED_BY } from "../../core/src/planners/workload";
import { Service } from "../../core/src/service";
import { Problems } from "../../core/src/validation";
import { WeightedRoute } from "../../core/src/weightedRoute";

export type {
    AddonsArgs, CapacityOverflow, PlatformAccessArgs, PlatformCapacityArgs, PlatformArgs, PlatformEtcdArgs, PlatformGatewayArgs, PlatformRouteArgs, PlatformRouteBackendArgs,
    PlatformServiceArgs, PlatformWorkloadIdentityArgs,
} from "./planners/platform";

function restrictedNamespace(name: string, namespace: string, parentOpts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(name, {
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
    }, parentOpts);
}

/** Services and routes by name, kept beside the instances (class properties become schema outputs). */
interface Parts {
    cluster: KubernetesCluster;
    services: Map<string, Service>;
    routes: Map<string, WeightedRoute>;
    etcd?: EtcdQuorum;
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
        const parts: Parts = { cluster, services: new Map(), routes: new Map(), capacity: capacityOutput(capacity) };
        PARTS.set(this, parts);
        const appNamespace = args.namespace ?? d.namespace;
        const gatewayNamespace = args.gateway?.namespace ?? d.gatewayNamespace;
        const kubernetesVersion = args.cluster.kubernetesVersion ?? CLUSTER_DEFAULTS.kubernetesVersion;
        const k8sOpts = { parent: this, provider: cluster.provider };
        // Services, routes and etcd are named `${name}-<own name>` so two platforms never collide;
        // before that they had their own name alone, which the alias keeps for existing stacks.
        const legacy = args.legacyChildAliases ?? d.legacyChildAliases;
        const childOpts = (ownName: string, extra: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions =>
            ({ ...k8sOpts, ...extra, aliases: legacy ? [{ name: ownName }] : [] });

        const ns = restrictedNamespace(`${name}-ns`, appNamespace, k8sOpts);
        // Default deny: every flow in the namespace must be allowed by a workload's own policy.
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: { name: "default-deny", namespace: ns.metadata.name, labels: { ...MANAGED_BY } },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, k8sOpts);
        this.namespace = ns.metadata.name;

        this.gatewayController = args.addons?.gatewayController ?? defaultGatewayController(args.cluster.cloud);
        const controller = planGatewayController(this.gatewayController, gatewayNamespace, args.gateway?.className);
        const monitoringInput = platformMonitoringInput(args);
        const monitoringPlan = planMonitoring(monitoringInput);
        const ready = installAddons(name, { ...args.addons, gatewayController: this.gatewayController }, {
            cloud: args.cluster.cloud,
            renderOnly: cluster.renderOnly,
            gatewayClassName: controller.gatewayClassName,
            appNamespace,
            monitoring: { ...monitoringInput.monitoring, scrapePorts: monitoringPlan.scrapePorts },
            opts: k8sOpts,
        });
        const addons = ready.gateway;

        const services = args.services ?? [];
        const routes = args.routes ?? [];
        let gateway: Gateway | undefined;
        if (routes.length > 0) {
            const gwNs = restrictedNamespace(`${name}-gateway-ns`, gatewayNamespace, k8sOpts);
            // The TLS Secret's default name is the Gateway's: `${name}-gateway-tls`.
            gateway = new Gateway(`${name}-gateway`, {
                namespace: gwNs.metadata.name,
                gatewayClassName: controller.gatewayClassName,
                hostname: args.gateway?.hostname,
                tlsSecretName: args.gateway?.tlsSecretName,
                certManagerClusterIssuer: args.gateway?.certManagerClusterIssuer,
                routeNamespaces: [appNamespace],
            }, { ...k8sOpts, dependsOn: addons });
        }

        if (args.access) {
            const c = cluster;
            parts.access = new AccessControl(`${name}-access`, {
                cloud: args.cluster.cloud,
                rules: args.access.rules,
                breakGlassClusterAdmins: args.access.breakGlassClusterAdmins,
                protectWorkloadIdentities: args.access.protectWorkloadIdentities,
                workloadIdentities: (args.access.workloadIdentities ?? []).map(({ service, ...grant }) => ({ ...grant, namespace: appNamespace, serviceAccount: service })),
                clusterName: c.resolvedPlan().clusterName,
                awsWorkloadIdentity: c.resolvedPlan().aws?.workloadIdentity,
                oidcProviderArn: c.oidcProviderArn as pulumi.Output<string>,
                oidcIssuerUrl: c.oidcIssuerUrl as pulumi.Output<string>,
                gcpProject: c.workloadIdentityPool.apply((p) => (p ?? "").replace(/\.svc\.id\.goog$/, "")),
                azureResourceGroupName: c.resourceGroupName as pulumi.Output<string>,
                azureLocation: c.resolvedPlan().azure?.location,
            }, { ...k8sOpts, dependsOn: [ns] });
        }

        const wiring = planPlatformServices(args);
        const ports = new Map(services.map((s) => [s.name, s.port]));
        for (const s of services) {
            const { name: svcName, calls: _calls, serviceAccountAnnotations, podLabels: _podLabels, exposeToGateway: _expose, ...rest } = s;
            const w = wiring.get(svcName)!;
            const identity = w.identity === undefined ? undefined : parts.access?.serviceAccountAnnotations(appNamespace, svcName);
            const service = new Service(`${name}-${svcName}`, {
                ...rest,
                name: svcName,
                namespace: ns.metadata.name,
                kubernetesVersion,
                gatewayPeer: { namespace: controller.peer.namespace, cidrs: [...controller.peer.cidrs] },
                exposeToGateway: w.exposeToGateway,
                allowFrom: [...w.allowFrom],
                calls: [...w.calls],
                // checkPlatform refused user keys the identity sets, so the merge order is moot.
                serviceAccountAnnotations: identity
                    ? pulumi.all([serviceAccountAnnotations ?? {}, identity]).apply(([own, id]) => ({ ...own, ...id }))
                    : serviceAccountAnnotations,
                podLabels: { ...w.podLabels },
            }, childOpts(svcName));
            parts.services.set(svcName, service);
            const warning = service.autoscalingPlan().warning;
            if (warning) this.warnings.push(`${svcName}: ${warning}`);
        }

        for (const r of routes) {
            const { name: routeName, backends, ...rest } = r;
            parts.routes.set(routeName, new WeightedRoute(`${name}-${routeName}`, {
                ...rest,
                name: routeName,
                namespace: ns.metadata.name,
                gatewayName: gateway!.gatewayName,
                gatewayNamespace: gateway!.gatewayNamespace,
                backends: backends.map((b) => ({ service: b.service, capacity: b.capacity, port: ports.get(b.service)! })),
            }, childOpts(routeName)));
        }
        if (args.etcd) {
            const etcdName = args.etcd.name ?? d.etcdName;
            parts.etcd = new EtcdQuorum(`${name}-${etcdName}`, { ...args.etcd, name: etcdName, namespace: appNamespace }, childOpts(etcdName, { dependsOn: [ns, ...addons] }));
        }
        if (monitoringInput.monitoring.stack !== "none") installMonitoring(name, monitoringInput, monitoringPlan, { ...k8sOpts, dependsOn: [ns, ...ready.monitoring] });
        this.clusterName = cluster.clusterName;
        this.kubeconfig = cluster.kubeconfig;
        this.oidcIssuerUrl = cluster.oidcIssuerUrl;
        this.registerOutputs({ namespace: this.namespace, clusterName: this.clusterName, kubeconfig: this.kubeconfig, oidcIssuerUrl: this.oidcIssuerUrl });
    }

    /** The cluster component. */
    clusterComponent(): KubernetesCluster {
        return PARTS.get(this)!.cluster;
    }

    /** The etcd quorum, when one is declared. */
    etcdQuorum(): EtcdQuorum | undefined {
        return PARTS.get(this)!.etcd;
    }

    /** The access-control component, when an access model is declared. */
    accessControl(): AccessControl | undefined {
        return PARTS.get(this)!.access;
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
        return PARTS.get(this)!.services;
    }

    /** The platform's weighted routes by name. */
    routes(): ReadonlyMap<string, WeightedRoute> {
        return PARTS.get(this)!.routes;
    }
}
