/** WeightedRoute args, their defaults and semantic checks, shared by the config parser and the component. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import { hostnameProblem, hostnamesIntersect } from "./gateway";
import { DEFAULT_WEIGHT_TOTAL, MAX_GATEWAY_WEIGHT, capacityWeights } from "./weights";
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

/** Each backend's capacity (omitted everywhere: equal shares) and its integer weight, in `backends` order. */
export function planRouteWeights(args: { readonly backends: readonly { readonly capacity?: number }[]; readonly weightTotal?: number }): { capacities: number[]; weights: number[] } {
    const capacities = args.backends.map((b) => b.capacity ?? 1);
    return { capacities, weights: capacityWeights(capacities, args.weightTotal ?? ROUTE_DEFAULTS.weightTotal) };
}

/**
 * The HTTPRoute limits of Gateway API v1.5 (CRD maxItems / maxLength), which the API server
 * enforces; a WeightedRoute is one rule, so `rules` is only for the docs.
 */
export const HTTPROUTE_LIMITS = {
    hostnames: 16,
    rules: 16,
    matchesPerRule: 64,
    backendRefs: 16,
    headersPerMatch: 16,
    pathLength: 1024,
    headerNameLength: 256,
    headerValueLength: 4096,
} as const;

const HEADER = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
/** What an absolute URL path is made of (RFC 3986 pchar and '/'), the API's own pattern. */
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

/** Why `value` is not a path match of `type`, or undefined (the Gateway API's validation rules). */
export function pathProblem(type: PathMatchType, value: string): string | undefined {
    const L = HTTPROUTE_LIMITS.pathLength;
    if (value.length > L) return `must be at most ${L} characters`;
    if (type === PathMatchType.RegularExpression) {
        if (value === "") return "must be a regular expression, not empty";
        // Gateway implementations (Envoy, GKE) use RE2: no look-around, no backreferences.
        if (/\(\?<?[=!]|\\[1-9]/.test(value)) return "must be an RE2 regular expression: no look-around (?=, (?!, (?<=, (?<!) and no backreferences (\\1)";
        try {
            new RegExp(value);
        } catch {
            return "must be a valid regular expression";
        }
        return undefined;
    }
    if (!value.startsWith("/")) return 'must start with "/"';
    if (/\s/.test(value)) return "must not contain spaces: percent-encode them (%20)";
    if (value.includes("?")) return 'must not contain "?": a path match never sees the query string';
    if (value.includes("#")) return 'must not contain "#": the fragment never reaches the server';
    if (!PATH_CHARS.test(value)) return "must contain only URL path characters: letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : @ / and %XX escapes";
    if (value.includes("//")) return 'must not contain "//"';
    if (/\/\.\.?(\/|$)/.test(value)) return "must not contain the dot segments /./ or /../, nor end with /. or /..";
    if (/%2f/i.test(value)) return 'must not contain an encoded "/" (%2F)';
    return undefined;
}

/** Why `value` is not a header match value, or undefined. */
function headerValueProblem(value: string): string | undefined {
    const L = HTTPROUTE_LIMITS.headerValueLength;
    if (value.length < 1 || value.length > L) return `must be 1 to ${L} characters`;
    // Field values may hold a tab, never another control character (CR and LF would split the header).
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return "must not contain control characters";
    return undefined;
}

/**
 * Checks WeightedRoute args. With `listenerHostname` (the Platform passes its gateway's), a
 * route hostname that can never attach to that listener is refused too.
 */
export function checkRoute(name: string, args: Pick<WeightedRouteArgs, "name" | "backends" | "hostnames" | "matches" | "weightTotal" | "requestTimeout">, path: string, problems = new Problems(), listenerHostname?: string): Problems {
    const lim = HTTPROUTE_LIMITS;
    const routeName = args.name ?? name;
    if (!DNS_1035.test(routeName)) problems.add(`${path}.name`, routeName, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter");
    if (args.backends.length === 0 || args.backends.length > lim.backendRefs) problems.add(`${path}.backends`, args.backends, `must list 1 to ${lim.backendRefs} backends`);
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
    const hostnames = args.hostnames ?? [];
    if (hostnames.length > lim.hostnames) problems.add(`${path}.hostnames`, hostnames.length, `must list at most ${lim.hostnames} hostnames`);
    hostnames.forEach((h, i) => {
        const problem = hostnameProblem(h);
        if (problem) problems.add(`${path}.hostnames[${i}]`, h, problem);
        else if (hostnames.indexOf(h) !== i) problems.add(`${path}.hostnames[${i}]`, h, `repeats ${path}.hostnames[${hostnames.indexOf(h)}]`);
        else if (listenerHostname !== undefined && !hostnamesIntersect(listenerHostname, h))
            problems.add(`${path}.hostnames[${i}]`, h, `can never match the gateway listener's hostname ${listenerHostname}, so no request for it reaches this route; use a hostname under it`);
    });
    const matches = args.matches ?? [];
    if (matches.length > lim.matchesPerRule) problems.add(`${path}.matches`, matches.length, `must list at most ${lim.matchesPerRule} matches (one HTTPRoute rule)`);
    matches.forEach((m, i) => {
        const at = `${path}.matches[${i}]`;
        if (m.path !== undefined) {
            const problem = pathProblem(m.pathType ?? ROUTE_DEFAULTS.pathType, m.path);
            if (problem) problems.add(`${at}.path`, m.path, problem);
        }
        const headers = m.headers ?? [];
        if (headers.length > lim.headersPerMatch) problems.add(`${at}.headers`, headers.length, `must list at most ${lim.headersPerMatch} headers`);
        const seen = new Map<string, number>();
        headers.forEach((h, j) => {
            if (!HEADER.test(h.name) || h.name.length > lim.headerNameLength)
                problems.add(`${at}.headers[${j}].name`, h.name, `must be an HTTP header name: 1 to ${lim.headerNameLength} token characters (letters, digits and !#$%&'*+-.^_\`|~)`);
            else if (seen.has(h.name.toLowerCase()))
                problems.add(`${at}.headers[${j}].name`, h.name, `repeats the header of ${at}.headers[${seen.get(h.name.toLowerCase())}] (names are case-insensitive); a match takes each header once`);
            else seen.set(h.name.toLowerCase(), j);
            const valueProblem = headerValueProblem(h.value);
            if (valueProblem) problems.add(`${at}.headers[${j}].value`, h.value, valueProblem);
        });
    });
    if (args.requestTimeout !== undefined && !DURATION.test(args.requestTimeout))
        problems.add(`${path}.requestTimeout`, args.requestTimeout, 'must be a Gateway API duration such as "10s" or "1m30s"');
    return problems;
}
