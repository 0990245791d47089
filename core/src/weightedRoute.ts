/** `paas:index:WeightedRoute`: an HTTPRoute splitting traffic over backends in proportion to their capacity. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_API } from "./planners/gateway";
import { ROUTE_DEFAULTS, type WeightedRouteArgs, checkRoute, planRouteWeights } from "./planners/route";
import { MANAGED_BY } from "./planners/workload";

export { PathMatchType } from "./planners/route";
export type { HeaderMatchArgs, RouteBackendArgs, RouteMatchArgs, WeightedRouteArgs } from "./planners/route";


export class WeightedRoute extends pulumi.ComponentResource {
    /** The integer weight of each backend, in `backends` order. */
    readonly weights: number[];

    constructor(name: string, args: WeightedRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        checkRoute(name, args, "args").throwIfAny(`WeightedRoute "${name}" arguments`);
        super("paas:index:WeightedRoute", name, {}, opts);
        const d = ROUTE_DEFAULTS;
        const routeName = args.name ?? name;
        this.weights = planRouteWeights(args).weights;
        const matches = (args.matches ?? [{}]).map((m) => ({
            path: { type: m.pathType ?? d.pathType, value: m.path ?? d.path },
            headers: m.headers?.length ? m.headers.map((h) => ({ type: "Exact", name: h.name, value: h.value })) : undefined,
        }));
        new k8s.apiextensions.CustomResource(`${name}-httproute`, {
            apiVersion: GATEWAY_API,
            kind: "HTTPRoute",
            metadata: { name: routeName, namespace: args.namespace, labels: { ...MANAGED_BY } },
            spec: {
                parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: args.gatewayName, namespace: args.gatewayNamespace, sectionName: "https" }],
                hostnames: args.hostnames,
                rules: [{
                    matches,
                    backendRefs: args.backends.map((b, i) => ({ group: "", kind: "Service", name: b.service, port: b.port, weight: this.weights[i] })),
                    timeouts: { request: args.requestTimeout ?? d.requestTimeout },
                }],
            },
        }, { parent: this });
        this.registerOutputs({ weights: this.weights });
    }
}
