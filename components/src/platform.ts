/**
 * `paas:index:Platform`: the cluster, the platform namespaces, the gateway, the services and their
 * weighted routes, and the add-ons, composed from one set of args.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AccessControl, type WorkloadIdentityArgs } from "./accessControl";
import { type AddonsArgs, installAddons } from "./addons";
import { EtcdQuorum, type EtcdQuorumArgs } from "./etcdQuorum";
import { Gateway } from "./gateway";
import { KubernetesCluster } from "./kubernetesCluster";
import type { AclRule, AclSubject } from "./planners/acl";
import type { KubernetesClusterArgs } from "./planners/cluster";
import { DEFAULT_KUBERNETES_VERSION } from "./planners/cluster";
import { type GatewayController, callersOf, checkPlatform, defaultGatewayController, planGatewayController } from "./planners/platform";
import { MANAGED_BY } from "./planners/workload";
import { Service, type ServiceArgs } from "./service";
import { Problems } from "./validation";
import { WeightedRoute, type WeightedRouteArgs } from "./weightedRoute";


/** A service of the platform: the Service args plus its name and the services it calls. */
export interface PlatformServiceArgs extends Omit<ServiceArgs, "namespace" | "kubernetesVersion" | "gatewayPeer" | "allowFrom" | "calls"> {
    /** Name of the workload (Deployment, Service, ...). */
    name: string;
    /** Names of platform services this one calls; each callee admits exactly its callers. @default [] */
    calls?: string[];
}

export interface PlatformRouteBackendArgs {
    /** A platform service with a port. */
    service: string;
    /** Capacity r_i; traffic share r_i / Σ r_j. @default - equal shares */
    capacity?: number;
}

export interface PlatformRouteArgs extends Omit<WeightedRouteArgs, "namespace" | "gatewayName" | "gatewayNamespace" | "backends"> {
    /** Route name. */
    name: string;
    /** Backends: platform services and their capacities. */
    backends: PlatformRouteBackendArgs[];
}

export interface PlatformGatewayArgs {
    /** Namespace of the Gateway. @default gateway */
    namespace?: string;
    /** GatewayClass. @default envoy, or gke-l7-global-external-managed on GKE */
    className?: string;
    /** Hostname the listeners answer for. @default - any */
    hostname?: string;
    /** TLS certificate Secret in the gateway namespace. @default paas-gateway-tls */
    tlsSecretName?: string;
    /** cert-manager ClusterIssuer issuing that certificate (needs addons.certManager). @default - none */
    certManagerClusterIssuer?: string;
}

export interface PlatformArgs {
    /** The cluster to build (or target). */
    cluster: KubernetesClusterArgs;
    /** Namespace the platform's workloads run in; it enforces the `restricted` Pod Security Standard. @default apps */
    namespace?: string;
    /** Workloads. @default [] */
    services?: PlatformServiceArgs[];
    /** Capacity-weighted routes through the gateway. @default [] */
    routes?: PlatformRouteArgs[];
    /** The shared Gateway. @default see PlatformGatewayArgs */
    gateway?: PlatformGatewayArgs;
    /** Cluster add-ons. @default see AddonsArgs */
    addons?: AddonsArgs;
    /** An etcd quorum in the platform namespace. @default - none */
    etcd?: PlatformEtcdArgs;
    /** Access model: RBAC rules and workload identities of platform services. @default - none */
    access?: PlatformAccessArgs;
}

export interface PlatformWorkloadIdentityArgs extends Omit<WorkloadIdentityArgs, "namespace" | "serviceAccount"> {
    /** The platform service whose ServiceAccount gets the cloud identity. */
    service: string;
}

export interface PlatformAccessArgs {
    rules?: AclRule[];
    workloadIdentities?: PlatformWorkloadIdentityArgs[];
    /** BREAK GLASS: subjects bound to cluster-admin (flagged by the policy pack). @default [] */
    breakGlassClusterAdmins?: AclSubject[];
}

export interface PlatformEtcdArgs extends Omit<EtcdQuorumArgs, "namespace"> {
    /** Name of the StatefulSet and its Services. @default etcd */
    name?: string;
}

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
    /** Autoscaling warnings (clusters without per-direction HPA tolerance). */
    readonly warnings: string[] = [];

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        checkPlatform(args, (k) => `args.${k}`, new Problems()).throwIfAny(`Platform "${name}" arguments`);
        super("paas:index:Platform", name, {}, opts);
        const cluster = new KubernetesCluster(`${name}-cluster`, args.cluster, { parent: this });
        const parts: Parts = { cluster, services: new Map(), routes: new Map() };
        PARTS.set(this, parts);
        const appNamespace = args.namespace ?? "apps";
        const gatewayNamespace = args.gateway?.namespace ?? "gateway";
        const kubernetesVersion = args.cluster.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
        const k8sOpts = { parent: this, provider: cluster.provider };

        const ns = restrictedNamespace(`${name}-ns`, appNamespace, k8sOpts);
        // Default deny: every flow in the namespace must be allowed by a workload's own policy.
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: { name: "default-deny", namespace: ns.metadata.name, labels: { ...MANAGED_BY } },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, k8sOpts);
        this.namespace = ns.metadata.name;

        this.gatewayController = args.addons?.gatewayController ?? defaultGatewayController(args.cluster.cloud);
        const controller = planGatewayController(this.gatewayController, gatewayNamespace, args.gateway?.className);
        const addons = installAddons(name, { ...args.addons, gatewayController: this.gatewayController }, {
            cloud: args.cluster.cloud,
            renderOnly: cluster.renderOnly,
            gatewayClassName: controller.gatewayClassName,
            opts: k8sOpts,
        });

        const services = args.services ?? [];
        const routes = args.routes ?? [];
        let gateway: Gateway | undefined;
        if (routes.length > 0) {
            const gwNs = restrictedNamespace(`${name}-gateway-ns`, gatewayNamespace, k8sOpts);
            gateway = new Gateway(`${name}-gateway`, {
                namespace: gwNs.metadata.name,
                gatewayClassName: controller.gatewayClassName,
                hostname: args.gateway?.hostname,
                tlsSecretName: args.gateway?.tlsSecretName ?? `${name}-gateway-tls`,
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
                workloadIdentities: (args.access.workloadIdentities ?? []).map(({ service, ...grant }) => ({ ...grant, namespace: appNamespace, serviceAccount: service })),
                clusterName: c.resolvedPlan().clusterName,
                oidcProviderArn: c.oidcProviderArn as pulumi.Output<string>,
                oidcIssuerUrl: c.oidcIssuerUrl as pulumi.Output<string>,
                gcpProject: c.workloadIdentityPool.apply((p) => (p ?? "").replace(/\.svc\.id\.goog$/, "")),
                azureResourceGroupName: c.resourceGroupName as pulumi.Output<string>,
                azureLocation: c.resolvedPlan().azure?.location,
            }, { ...k8sOpts, dependsOn: [ns] });
        }

        const callers = callersOf(services);
        const ports = new Map(services.map((s) => [s.name, s.port]));
        for (const s of services) {
            const { name: svcName, calls, ...rest } = s;
            const service = new Service(svcName, {
                ...rest,
                namespace: ns.metadata.name,
                kubernetesVersion,
                gatewayPeer: { namespace: controller.peer.namespace, cidrs: [...controller.peer.cidrs] },
                exposeToGateway: routes.some((r) => r.backends.some((b) => b.service === svcName)),
                allowFrom: callers.get(svcName),
                calls: (calls ?? []).map((c) => ({ service: c, port: ports.get(c)! })),
                serviceAccountAnnotations: parts.access?.serviceAccountAnnotations(appNamespace, svcName),
                podLabels: parts.access?.podLabels(appNamespace, svcName),
            }, k8sOpts);
            parts.services.set(svcName, service);
            const warning = service.autoscalingPlan().warning;
            if (warning) this.warnings.push(`${svcName}: ${warning}`);
        }

        for (const r of routes) {
            const { name: routeName, backends, ...rest } = r;
            parts.routes.set(routeName, new WeightedRoute(routeName, {
                ...rest,
                namespace: ns.metadata.name,
                gatewayName: gateway!.gatewayName,
                gatewayNamespace: gateway!.gatewayNamespace,
                backends: backends.map((b) => ({ service: b.service, capacity: b.capacity, port: ports.get(b.service)! })),
            }, k8sOpts));
        }
        if (args.etcd) {
            const { name: etcdName, ...etcdArgs } = args.etcd;
            parts.etcd = new EtcdQuorum(etcdName ?? "etcd", { ...etcdArgs, namespace: appNamespace }, { ...k8sOpts, dependsOn: [ns, ...addons] });
        }
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

    /** The platform's services by name. */
    services(): ReadonlyMap<string, Service> {
        return PARTS.get(this)!.services;
    }

    /** The platform's weighted routes by name. */
    routes(): ReadonlyMap<string, WeightedRoute> {
        return PARTS.get(this)!.routes;
    }
}
