/** `paas:index:WeightedRoute`: an HTTPRoute splitting traffic over backends in proportion to their capacity. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_API } from "./gateway";
import { checkRoute } from "./planners/route";
import { DEFAULT_WEIGHT_TOTAL, capacityWeights } from "./planners/weights";
import { MANAGED_BY } from "./planners/workload";

/** Gateway API path match types. */
export const PathMatchType = { Exact: "Exact", PathPrefix: "PathPrefix", RegularExpression: "RegularExpression" } as const;
export type PathMatchType = (typeof PathMatchType)[keyof typeof PathMatchType];

export interface HeaderMatchArgs {
    /** Header name (case-insensitive). */
    name: string;
    /** Exact value to match. */
    value: string;
}

export interface RouteMatchArgs {
    /** Path to match. @default - every path */
    path?: string;
    /** How `path` matches. @default PathPrefix */
    pathType?: PathMatchType;
    /** Headers that must all be present with these values. @default [] */
    headers?: HeaderMatchArgs[];
}

export interface RouteBackendArgs {
    /** Service name in the route's namespace. */
    service: string;
    /** Service port. */
    port: number;
    /** Capacity r_i of the backend; its traffic share is r_i / Σ r_j. @default - equal shares (round-robin) */
    capacity?: number;
}

export interface WeightedRouteArgs {
    /** Namespace of the route and its backends. */
    namespace: pulumi.Input<string>;
    /** The Gateway to attach to (its HTTPS listener). */
    gatewayName: pulumi.Input<string>;
    gatewayNamespace: pulumi.Input<string>;
    /** Hostnames the route serves. @default - the Gateway's */
    hostnames?: string[];
    /** Requests the route takes (any of them). @default every request */
    matches?: RouteMatchArgs[];
    /** Backends and their capacities (at least one with capacity > 0). */
    backends: RouteBackendArgs[];
    /** Sum of the integer weights. @default 100 */
    weightTotal?: number;
    /** Request timeout, Gateway API duration ("10s"). @default 30s */
    requestTimeout?: string;
}

export class WeightedRoute extends pulumi.ComponentResource {
    /** The integer weight of each backend, in `backends` order. */
    readonly weights: number[];

    constructor(name: string, args: WeightedRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        checkRoute(name, args, "args").throwIfAny(`WeightedRoute "${name}" arguments`);
        super("paas:index:WeightedRoute", name, {}, opts);
        const capacities = args.backends.map((b) => b.capacity ?? 1); // omitted everywhere → round-robin
        this.weights = capacityWeights(capacities, args.weightTotal ?? DEFAULT_WEIGHT_TOTAL);
        const matches = (args.matches ?? [{}]).map((m) => ({
            path: { type: m.pathType ?? "PathPrefix", value: m.path ?? "/" },
            headers: m.headers?.length ? m.headers.map((h) => ({ type: "Exact", name: h.name, value: h.value })) : undefined,
        }));
        new k8s.apiextensions.CustomResource(`${name}-httproute`, {
            apiVersion: GATEWAY_API,
            kind: "HTTPRoute",
            metadata: { name, namespace: args.namespace, labels: { ...MANAGED_BY } },
            spec: {
                parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: args.gatewayName, namespace: args.gatewayNamespace, sectionName: "https" }],
                hostnames: args.hostnames,
                rules: [{
                    matches,
                    backendRefs: args.backends.map((b, i) => ({ group: "", kind: "Service", name: b.service, port: b.port, weight: this.weights[i] })),
                    timeouts: { request: args.requestTimeout ?? "30s" },
                }],
            },
        }, { parent: this });
        this.registerOutputs({ weights: this.weights });
    }
}
