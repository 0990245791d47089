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
