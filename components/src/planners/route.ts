/** WeightedRoute args, their defaults and semantic checks, shared by the config parser and the component. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import { DEFAULT_WEIGHT_TOTAL, MAX_GATEWAY_WEIGHT } from "./weights";
import { DNS_1035 } from "./workload";

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
    /** Name of the HTTPRoute. @default - the component name */
    name?: string;
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

/** Every default of {@link WeightedRouteArgs}; the check, the component and the docs read these. */
export const ROUTE_DEFAULTS = {
    weightTotal: DEFAULT_WEIGHT_TOTAL,
    requestTimeout: "30s",
    pathType: PathMatchType.PathPrefix,
    path: "/",
} as const;

const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

export function checkRoute(name: string, args: Pick<WeightedRouteArgs, "name" | "backends" | "hostnames" | "matches" | "weightTotal" | "requestTimeout">, path: string, problems = new Problems()): Problems {
    const routeName = args.name ?? name;
    if (!DNS_1035.test(routeName)) problems.add(`${path}.name`, routeName, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter");
    if (args.backends.length === 0 || args.backends.length > 16) problems.add(`${path}.backends`, args.backends, "must list 1 to 16 backends");
    const given = args.backends.filter((b) => b.capacity !== undefined).length;
    if (given !== 0 && given !== args.backends.length)
        problems.add(`${path}.backends`, args.backends.map((b) => b.capacity), "must give a capacity to every backend or to none (round-robin)");
    args.backends.forEach((b, i) => {
        if (b.capacity !== undefined && (!Number.isFinite(b.capacity) || b.capacity < 0))
            problems.add(`${path}.backends[${i}].capacity`, b.capacity, "must be >= 0");
        if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) problems.add(`${path}.backends[${i}].port`, b.port, "must be a port from 1 to 65535");
    });
    if (given === args.backends.length && given > 0 && args.backends.every((b) => b.capacity === 0))
        problems.add(`${path}.backends`, args.backends.map((b) => b.capacity), "must have at least one backend with capacity > 0: otherwise the route serves nothing");
    const total = args.weightTotal ?? ROUTE_DEFAULTS.weightTotal;
    if (!Number.isInteger(total) || total < 1 || total > MAX_GATEWAY_WEIGHT) problems.add(`${path}.weightTotal`, total, `must be an integer from 1 to ${MAX_GATEWAY_WEIGHT}`);
    (args.hostnames ?? []).forEach((h, i) => {
        if (!HOSTNAME.test(h)) problems.add(`${path}.hostnames[${i}]`, h, "must be a DNS hostname (optionally starting with *.)");
    });
    (args.matches ?? []).forEach((m, i) => {
        if (m.path !== undefined && !m.path.startsWith("/")) problems.add(`${path}.matches[${i}].path`, m.path, 'must start with "/"');
        (m.headers ?? []).forEach((h, j) => {
            if (!HEADER.test(h.name)) problems.add(`${path}.matches[${i}].headers[${j}].name`, h.name, "must be an HTTP header name");
        });
    });
    if (args.requestTimeout !== undefined && !DURATION.test(args.requestTimeout))
        problems.add(`${path}.requestTimeout`, args.requestTimeout, 'must be a Gateway API duration such as "10s" or "1m30s"');
    return problems;
}
