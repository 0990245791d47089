/**
 * `paas:index:KubernetesPlatform`: the Kubernetes layer of the platform on any cluster (the one of
 * its provider): the workloads' namespace under the `restricted` Pod Security Standard with a
 * default deny, the add-ons, the gateway, the services and their weighted routes, an etcd quorum,
 * the RBAC of the access rules and the monitoring objects, composed from one set of args.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installAddons } from "./addons";
import { EtcdQuorum } from "./etcdQuorum";
import { Gateway } from "./gateway";
import { KubernetesAccess } from "./kubernetesAccess";
import { installMonitoring } from "./monitoring";
import { type MovedChildrenOptions, componentOptions, movedChildAliases } from "./moved";
import {
    DEFAULT_DENY_POLICY, type GatewayController, KUBERNETES_PLATFORM_DEFAULTS, type KubernetesPlatformArgs, checkKubernetesPlatform, enabledAddons, monitoringInput,
    planGatewayController, planServiceWiring,
} from "./planners/kubernetesPlatform";
import { planMonitoring } from "./planners/monitoring";
import { MANAGED_BY } from "./planners/workload";
import { Service } from "./service";
import { WeightedRoute } from "./weightedRoute";

export type {
    KubernetesAddonsArgs, KubernetesPlatformAccessArgs, KubernetesPlatformArgs, PlatformEtcdArgs, PlatformGatewayArgs, PlatformRouteArgs, PlatformRouteBackendArgs, PlatformServiceArgs,
} from "./planners/kubernetesPlatform";

/** Options of a KubernetesPlatform that takes over objects its parent declared before (the Platform does). */
export interface KubernetesPlatformOptions extends MovedChildrenOptions {
    /** Former parent (resource or URN) of the access rules' Roles and bindings. @default - none */
    accessFormerParent?: pulumi.Resource | pulumi.Input<string>;
    /**
     * Also alias the services, routes and etcd quorum to their names from before they were
     * prefixed with the platform's name (under childrenFormerParent, else this component). @default false
     */
    legacyChildNames?: boolean;
}

function restrictedNamespace(name: string, namespace: string, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
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
    }, opts);
}

/** Services, routes and the rest by name, kept beside the instances (class properties become schema outputs). */
interface Parts {
    services: Map<string, Service>;
    routes: Map<string, WeightedRoute>;
    etcd?: EtcdQuorum;
    access?: KubernetesAccess;
}
const PARTS = new WeakMap<object, Parts>();

export class KubernetesPlatform extends pulumi.ComponentResource {
    /** Namespace of the workloads. */
    readonly namespace: pulumi.Output<string>;
    /** Gateway controller in use. */
    readonly gatewayController: GatewayController;
    /** Autoscaling warnings (clusters without per-direction HPA tolerance). */
    readonly warnings: string[] = [];

    constructor(name: string, args: KubernetesPlatformArgs, opts?: KubernetesPlatformOptions) {
        checkKubernetesPlatform(args, (k) => `args.${k}`).throwIfAny(`KubernetesPlatform "${name}" arguments`);
        const { accessFormerParent, legacyChildNames, ...rest } = opts ?? {};
        super("paas:index:KubernetesPlatform", name, {}, componentOptions(rest));
        const d = KUBERNETES_PLATFORM_DEFAULTS;
        const parts: Parts = { services: new Map(), routes: new Map() };
        PARTS.set(this, parts);
        const appNamespace = args.namespace ?? d.namespace;
        const gatewayNamespace = args.gateway?.namespace ?? d.gatewayNamespace;
        const kubernetesVersion = args.kubernetesVersion ?? d.kubernetesVersion;
        const moved = movedChildAliases(opts);
        const child: pulumi.CustomResourceOptions = { parent: this, aliases: moved };
        // Services, routes and etcd are named `${name}-<own name>` so two platforms never collide;
        // a platform from before that had their own name alone, which legacyChildNames keeps.
        const named = (ownName: string, extra: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions =>
            ({ ...child, ...extra, aliases: [...moved, ...(legacyChildNames ? [{ name: ownName, parent: opts?.childrenFormerParent ?? this }] : [])] });

        const ns = restrictedNamespace(`${name}-ns`, appNamespace, child);
        // Default deny: every flow in the namespace must be allowed by a workload's own policy.
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: { name: DEFAULT_DENY_POLICY, namespace: ns.metadata.name, labels: { ...MANAGED_BY } },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, child);
        this.namespace = ns.metadata.name;

        this.gatewayController = args.addons?.gatewayController ?? d.gatewayController;
        const controller = planGatewayController(this.gatewayController, gatewayNamespace, args.gateway?.className);
        const monitoring = monitoringInput(args);
        const monitoringPlan = planMonitoring(monitoring);
        const ready = installAddons(name, {
            enabled: enabledAddons(args.addons),
            renderOnly: args.renderOnly ?? false,
            gatewayClassName: controller.gatewayClassName,
            appNamespace,
            monitoring: { ...monitoring.monitoring, scrapePorts: monitoringPlan.scrapePorts },
            opts: child,
        });

        const services = args.services ?? [];
        const routes = args.routes ?? [];
        let gateway: Gateway | undefined;
        if (routes.length > 0) {
            const gwNs = restrictedNamespace(`${name}-gateway-ns`, gatewayNamespace, child);
            // The TLS Secret's default name is the Gateway's: `${name}-gateway-tls`.
            gateway = new Gateway(`${name}-gateway`, {
                namespace: gwNs.metadata.name,
                gatewayClassName: controller.gatewayClassName,
                hostname: args.gateway?.hostname,
                tlsSecretName: args.gateway?.tlsSecretName,
                certManagerClusterIssuer: args.gateway?.certManagerClusterIssuer,
                routeNamespaces: [appNamespace],
            }, { ...child, dependsOn: ready.gateway });
        }

        const access = args.access;
        if (access && (access.rules ?? []).length + (access.breakGlassClusterAdmins ?? []).length > 0) {
            parts.access = new KubernetesAccess(`${name}-access`, {
                rules: access.rules,
                breakGlassClusterAdmins: access.breakGlassClusterAdmins,
                protectWorkloadIdentities: access.protectWorkloadIdentities,
                identityServiceAccounts: (access.identityServices ?? []).map((s) => `${appNamespace}/${s}`),
            }, { parent: this, dependsOn: [ns], childrenFormerParent: accessFormerParent });
        }

        const wiring = planServiceWiring(args);
        const ports = new Map(services.map((s) => [s.name, s.port]));
        for (const s of services) {
            const { name: svcName, calls: _calls, exposeToGateway: _expose, ...own } = s;
            const w = wiring.get(svcName)!;
            const service = new Service(`${name}-${svcName}`, {
                ...own,
                name: svcName,
                namespace: ns.metadata.name,
                kubernetesVersion,
                gatewayPeer: { namespace: controller.peer.namespace, cidrs: [...controller.peer.cidrs] },
                exposeToGateway: w.exposeToGateway,
                allowFrom: [...w.allowFrom],
                calls: [...w.calls],
            }, named(svcName));
            parts.services.set(svcName, service);
            const warning = service.autoscalingPlan().warning;
            if (warning) this.warnings.push(`${svcName}: ${warning}`);
        }

        for (const r of routes) {
            const { name: routeName, backends, ...own } = r;
            parts.routes.set(routeName, new WeightedRoute(`${name}-${routeName}`, {
                ...own,
                name: routeName,
                namespace: ns.metadata.name,
                gatewayName: gateway!.gatewayName,
                gatewayNamespace: gateway!.gatewayNamespace,
                backends: backends.map((b) => ({ service: b.service, capacity: b.capacity, port: ports.get(b.service)! })),
            }, named(routeName)));
        }
        if (args.etcd) {
            const etcdName = args.etcd.name ?? d.etcdName;
            parts.etcd = new EtcdQuorum(`${name}-${etcdName}`, { ...args.etcd, name: etcdName, namespace: appNamespace }, named(etcdName, { dependsOn: [ns, ...ready.gateway] }));
        }
        if (monitoring.monitoring.stack !== "none") installMonitoring(name, monitoring, monitoringPlan, { ...child, dependsOn: [ns, ...ready.monitoring] });
        this.registerOutputs({ namespace: this.namespace });
    }

    /** The etcd quorum, when one is declared. */
    etcdQuorum(): EtcdQuorum | undefined {
        return PARTS.get(this)!.etcd;
    }

    /** The RBAC of the access rules, when there are any. */
    kubernetesAccess(): KubernetesAccess | undefined {
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
