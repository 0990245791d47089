/** `paas:index:Gateway`: a Gateway API Gateway with an HTTPS listener and an HTTP → HTTPS redirect. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_API, type GatewayArgs, checkGateway, resolveGateway } from "./planners/gateway";
import { MANAGED_BY } from "./planners/workload";
import { Problems } from "./validation";

export { GATEWAY_API } from "./planners/gateway";
export type { GatewayArgs } from "./planners/gateway";


export class Gateway extends pulumi.ComponentResource {
    readonly gatewayName: pulumi.Output<string>;
    readonly gatewayNamespace: pulumi.Output<string>;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = new Problems();
        checkGateway(name, args, "args", problems);
        problems.throwIfAny(`Gateway "${name}" arguments`);
        super("paas:index:Gateway", name, {}, opts);
        const g = resolveGateway(name, args);
        const redirect = g.redirectHttp;
        const hostname = args.hostname;
        const gw = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: GATEWAY_API,
            kind: "Gateway",
            metadata: {
                name,
                namespace: args.namespace,
                labels: { ...MANAGED_BY },
                annotations: args.certManagerClusterIssuer ? { "cert-manager.io/cluster-issuer": args.certManagerClusterIssuer } : undefined,
            },
            spec: {
                gatewayClassName: args.gatewayClassName,
                listeners: [
                    {
                        name: "https",
                        protocol: "HTTPS",
                        port: 443,
                        hostname,
                        tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", group: "", name: g.tlsSecretName }] },
                        allowedRoutes: {
                            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
                            namespaces: {
                                from: "Selector",
                                selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...g.routeNamespaces] }] },
                            },
                        },
                    },
                    ...(redirect ? [{
                        name: "http",
                        protocol: "HTTP",
                        port: 80,
                        hostname,
                        // Only the redirect route below may use plain HTTP.
                        allowedRoutes: { kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }], namespaces: { from: "Same" } },
                    }] : []),
                ],
            },
        }, { parent: this });

        if (redirect) {
            new k8s.apiextensions.CustomResource(`${name}-https-redirect`, {
                apiVersion: GATEWAY_API,
                kind: "HTTPRoute",
                metadata: { name: `${name}-https-redirect`, namespace: args.namespace, labels: { ...MANAGED_BY } },
                spec: {
                    parentRefs: [{ name, sectionName: "http" }],
                    rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
                },
            }, { parent: this, dependsOn: [gw] });
        }
        this.gatewayName = pulumi.output(name);
        this.gatewayNamespace = pulumi.output(args.namespace);
        this.registerOutputs({ gatewayName: this.gatewayName, gatewayNamespace: this.gatewayNamespace });
    }
}
