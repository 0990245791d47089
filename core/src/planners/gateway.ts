/** Gateway args and their defaults. Pure. */
import type * as pulumi from "@pulumi/pulumi";
import { Problems } from "../validation";
import { DNS_1123_LABEL, isDnsSubdomain, objectNameRule } from "./workload";

export const GATEWAY_API = "gateway.networking.k8s.io/v1";

export interface GatewayArgs {
    /** Namespace of the Gateway (and of its certificate Secret). */
    namespace: pulumi.Input<string>;
    /** GatewayClass that implements it. */
    gatewayClassName: string;
    /** Hostname the listeners answer for (wildcards allowed). @default - any */
    hostname?: string;
    /** Secret holding the TLS certificate (type kubernetes.io/tls), in the Gateway's namespace. @default <name>-tls */
    tlsSecretName?: string;
    /** cert-manager ClusterIssuer that issues the certificate into `tlsSecretName`. @default - the Secret is provided by you */
    certManagerClusterIssuer?: string;
    /** Namespaces whose HTTPRoutes may attach to the HTTPS listener. @default [] */
    routeNamespaces?: string[];
    /** Redirect plain HTTP to HTTPS (301). @default true */
    redirectHttp?: boolean;
}

/** Every default of {@link GatewayArgs}; the component and the docs read these. */
export const GATEWAY_DEFAULTS = {
    redirectHttp: true,
    /** Suffix of the TLS Secret's name after the component name. */
    tlsSecretSuffix: "-tls",
} as const;

export function resolveGateway(name: string, args: Omit<GatewayArgs, "namespace">): { tlsSecretName: string; redirectHttp: boolean; routeNamespaces: readonly string[] } {
    return {
        tlsSecretName: args.tlsSecretName ?? `${name}${GATEWAY_DEFAULTS.tlsSecretSuffix}`,
        redirectHttp: args.redirectHttp ?? GATEWAY_DEFAULTS.redirectHttp,
        routeNamespaces: [...(args.routeNamespaces ?? [])],
    };
}

/** A Gateway API hostname: DNS labels (the first may be `*`), at most 253 characters, never an IP address. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const HOSTNAME_MAX = 253;
export const HOSTNAME_RULE = "must be a DNS hostname of at most 253 characters: lowercase labels of at most 63 letters, digits or '-', optionally starting with *. (not an IP address)";

/** Why `h` is not a Gateway API hostname (listener or HTTPRoute), or undefined. */
export function hostnameProblem(h: string): string | undefined {
    const labels = h.split(".");
    if (h.length > HOSTNAME_MAX || !HOSTNAME.test(h) || labels.some((l) => l.length > 63)) return HOSTNAME_RULE;
    if (/^(\d+\.){3}\d+$/.test(h)) return HOSTNAME_RULE;
    return undefined;
}

/**
 * Whether an HTTPRoute hostname can ever take traffic from a listener with `listener` as its
 * hostname (Gateway API hostname matching): `*.example.com` is a suffix match of one or more
 * labels, so it takes `shop.example.com` and `*.shop.example.com`, never `example.com` nor
 * `shop.other.org`. A listener without a hostname takes every route hostname.
 */
export function hostnamesIntersect(listener: string | undefined, route: string): boolean {
    if (listener === undefined) return true;
    const wild = (h: string) => h.startsWith("*.");
    const suffix = (h: string) => h.slice(1); // ".example.com"
    if (!wild(listener) && !wild(route)) return listener === route;
    if (wild(listener) && !wild(route)) return route.endsWith(suffix(listener));
    if (!wild(listener) && wild(route)) return listener.endsWith(suffix(route));
    return route.endsWith(suffix(listener)) || listener.endsWith(suffix(route));
}

/** Names of a Gateway's fields that name objects, under the keys a caller reports them on. */
export interface GatewayNameFields {
    className?: { key: string; value: string | undefined };
    tlsSecretName?: { key: string; value: string | undefined };
    certManagerClusterIssuer?: { key: string; value: string | undefined };
    hostname?: { key: string; value: string | undefined };
}

/** Checks the object names and the hostname a Gateway is built from (shared by the component and the Platform). */
export function checkGatewayNames(fields: GatewayNameFields, path: string, problems: Problems): void {
    const kinds = { certManagerClusterIssuer: "ClusterIssuer", className: "GatewayClass", tlsSecretName: "Secret" } as const;
    for (const [field, kind] of Object.entries(kinds) as [keyof typeof kinds, string][]) {
        const f = fields[field];
        if (f?.value !== undefined && !isDnsSubdomain(f.value)) problems.add(`${path}.${f.key}`, f.value, objectNameRule(kind));
    }
    if (fields.hostname?.value !== undefined) {
        const problem = hostnameProblem(fields.hostname.value);
        if (problem) problems.add(`${path}.${fields.hostname.key}`, fields.hostname.value, problem);
    }
}

/** Checks the Gateway component's args; `name` names the Gateway and its redirect HTTPRoute. */
export function checkGateway(name: string, args: GatewayArgs, path: string, problems: Problems): void {
    if (!isDnsSubdomain(`${name}-https-redirect`)) problems.add(`${path}.name`, name, `${objectNameRule("Gateway")} (with "-https-redirect" appended for its redirect route)`);
    if (typeof args.namespace === "string" && !DNS_1123_LABEL.test(args.namespace))
        problems.add(`${path}.namespace`, args.namespace, "must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)");
    if (args.gatewayClassName === undefined || args.gatewayClassName === "") problems.add(`${path}.gatewayClassName`, args.gatewayClassName, "is required: the GatewayClass that implements the Gateway");
    checkGatewayNames({
        className: { key: "gatewayClassName", value: args.gatewayClassName || undefined },
        tlsSecretName: { key: "tlsSecretName", value: args.tlsSecretName },
        certManagerClusterIssuer: { key: "certManagerClusterIssuer", value: args.certManagerClusterIssuer },
        hostname: { key: "hostname", value: args.hostname },
    }, path, problems);
    const seen = new Set<string>();
    (args.routeNamespaces ?? []).forEach((ns, i) => {
        if (!DNS_1123_LABEL.test(ns)) problems.add(`${path}.routeNamespaces[${i}]`, ns, "must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)");
        else if (seen.has(ns)) problems.add(`${path}.routeNamespaces[${i}]`, ns, "is listed twice");
        seen.add(ns);
    });
}
