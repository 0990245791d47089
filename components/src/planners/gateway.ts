/** Gateway args and their defaults. Pure. */
import type * as pulumi from "@pulumi/pulumi";

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
