import { describe, expect, it } from "vitest";
import { SERVICE_PROBES, serviceProbes } from "../core/src/planners/service";
import { selectorLabels } from "../core/src/planners/workload";
import { type ProgramRun, runStack } from "./harness/stacks";

const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    sa: "kubernetes:core/v1:ServiceAccount",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    cr: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
};

describe("services of the dev stack", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("dev");
        expect(run.recorder.ofType("paas:index:Service").map((r) => r.name).sort()).toEqual(["paas-checkout-a", "paas-checkout-b", "paas-checkout-c", "paas-mailer", "paas-orders"]);
    });

    it("declares a Deployment without replicas, under the restricted pod security standard", () => {
        const d = get(T.deployment, "paas-checkout-a-deployment");
        expect(d.metadata).toMatchObject({ name: "checkout-a", namespace: "apps" });
        expect(d.spec.replicas).toBeUndefined();
        expect(d.spec.selector.matchLabels).toEqual(selectorLabels("checkout-a"));
        const pod = d.spec.template.spec;
        expect(d.spec.template.metadata.labels).toMatchObject(selectorLabels("checkout-a"));
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.serviceAccountName).toBe("checkout-a");
        expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
        const c = pod.containers[0];
        expect(c.image).toBe("ghcr.io/acme/checkout:2.4.1@sha256:76af35df2706e6a858e005070d4eaebb6daede938037c8726cf1d5e767e13b5e");
        expect(c.securityContext).toEqual({
            runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
            privileged: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        });
        // Node disk: /tmp's emptyDir is capped below the container's ephemeral-storage limit, which also covers the logs.
        expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "128Mi" }, limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "512Mi" } });
        expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }]);
        expect(c.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    });

    it("probes readiness on the health path, but liveness and startup only on the port, slower to fire", () => {
        const c = get(T.deployment, "paas-checkout-a-deployment").spec.template.spec.containers[0];
        expect(c.readinessProbe).toEqual({ httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 });
        expect(c.livenessProbe).toEqual({ tcpSocket: { port: "http" }, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 6 });
        expect(c.startupProbe).toEqual({ tcpSocket: { port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 30 });
        // A dependency outage fails readiness in 10 s but never restarts a pod: liveness does not read the health path.
        expect(c.livenessProbe).not.toEqual(c.readinessProbe);
    });

    it("gives a worker without a port no Service and no probes", () => {
        expect(() => run.recorder.get(T.service, "paas-mailer-service")).toThrow('no kubernetes:core/v1:Service named "paas-mailer-service"');
        const c = get(T.deployment, "paas-mailer-deployment").spec.template.spec.containers[0];
        expect(c.livenessProbe).toBeUndefined();
        expect(c.ports).toBeUndefined();
    });

    it("selects the Deployment's pods from the Service and the PDB", () => {
        const svc = get(T.service, "paas-orders-service");
        expect(svc.spec).toEqual({ type: "ClusterIP", selector: selectorLabels("orders"), ports: [{ name: "http", port: 9090, targetPort: "http", protocol: "TCP" }] });
        // Unready pods of a stateless service may always be evicted, so they never block a drain.
        expect(get(T.pdb, "paas-orders-pdb").spec).toEqual({ selector: { matchLabels: selectorLabels("orders") }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
        expect(get(T.sa, "paas-orders-sa").automountServiceAccountToken).toBe(false);
    });

    it("targets the Deployment from an HPA on the 80/30 band", () => {
        const h = get(T.hpa, "paas-checkout-a-hpa").spec;
        expect(h.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "checkout-a" });
        expect(h.minReplicas).toBe(3);
        expect(h.maxReplicas).toBe(30);
        expect(h.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 55 } } }]);
        expect(h.behavior.scaleUp).toEqual({
            stabilizationWindowSeconds: 0, selectPolicy: "Max", tolerance: "464m",
            policies: [{ type: "Percent", value: 100, periodSeconds: 15 }, { type: "Pods", value: 4, periodSeconds: 15 }],
        });
        expect(h.behavior.scaleDown).toEqual({
            stabilizationWindowSeconds: 300, selectPolicy: "Max", tolerance: "464m",
            policies: [{ type: "Percent", value: 10, periodSeconds: 60 }, { type: "Pods", value: 1, periodSeconds: 60 }],
        });
        expect(run.outputs.autoscaling.value).toMatchObject({ "checkout-a": { targetUtilization: 55, scaleUpTolerance: "464m", scaleDownTolerance: "464m" } });
        expect(run.outputs.warnings.value).toEqual([]);
    });

    it("lets traffic in only from the gateway and from declared callers, and out only to DNS, callees and listed CIDRs", () => {
        const orders = get(T.netpol, "paas-orders-netpol").spec;
        expect(orders.podSelector).toEqual({ matchLabels: selectorLabels("orders") });
        expect(orders.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(orders.ingress).toEqual([{
            from: [
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } },
                { podSelector: { matchLabels: selectorLabels("checkout-a") } },
                { podSelector: { matchLabels: selectorLabels("checkout-b") } },
                { podSelector: { matchLabels: selectorLabels("checkout-c") } },
            ],
            ports: [{ protocol: "TCP", port: 9090 }],
        }]);
        expect(orders.egress.slice(1)).toEqual([{ to: [{ ipBlock: { cidr: "10.100.0.0/24" } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
        const checkout = get(T.netpol, "paas-checkout-a-netpol").spec;
        expect(checkout.egress).toEqual([
            {
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            },
            { to: [{ podSelector: { matchLabels: selectorLabels("orders") } }], ports: [{ protocol: "TCP", port: 9090 }] },
        ]);
        // A worker accepts nothing at all.
        expect(get(T.netpol, "paas-mailer-netpol").spec.ingress).toEqual([]);
    });

    it("installs metrics-server and the envoy gateway controller on EKS", () => {
        expect(get("kubernetes:helm.sh/v3:Release", "paas-metricsServer")).toMatchObject({ chart: "metrics-server", namespace: "kube-system", version: "3.13.0" });
        expect(get("kubernetes:helm.sh/v3:Release", "paas-envoyGateway")).toMatchObject({ chart: "oci://docker.io/envoyproxy/gateway-helm" });
        expect(run.outputs.gatewayController.value).toBe("envoy");
    });
});

describe("serviceProbes", () => {
    it("reads the health path only for readiness, and gives a worker no probes", () => {
        expect(serviceProbes({ port: undefined, healthPath: "/healthz" })).toBeUndefined();
        expect(serviceProbes({ port: 8080, healthPath: "/ready" })).toEqual({
            startupProbe: { tcpSocket: { port: "http" }, ...SERVICE_PROBES.startup },
            readinessProbe: { httpGet: { path: "/ready", port: "http" }, ...SERVICE_PROBES.readiness },
            livenessProbe: { tcpSocket: { port: "http" }, ...SERVICE_PROBES.liveness },
        });
        // Liveness gives a stuck process 2 minutes; readiness drains a pod within 10 s.
        expect(SERVICE_PROBES.liveness.periodSeconds * SERVICE_PROBES.liveness.failureThreshold).toBe(120);
        expect(SERVICE_PROBES.readiness.periodSeconds * SERVICE_PROBES.readiness.failureThreshold).toBe(10);
    });
});

describe("weighted routes of the dev stack", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("splits checkout over three backends by capacity 5:3:1", async () => {
        run = await runStack("dev");
        const route = get(T.cr, "paas-checkout-httproute");
        expect(route.metadata).toMatchObject({ name: "checkout", namespace: "apps" });
        expect(route.spec.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "paas-gateway", namespace: "gateway", sectionName: "https" }]);
        expect(route.spec.hostnames).toEqual(["shop.example.com"]);
        expect(route.spec.rules).toEqual([{
            matches: [{ path: { type: "PathPrefix", value: "/checkout" } }],
            backendRefs: [
                { group: "", kind: "Service", name: "checkout-a", port: 8080, weight: 56 },
                { group: "", kind: "Service", name: "checkout-b", port: 8080, weight: 33 },
                { group: "", kind: "Service", name: "checkout-c", port: 8080, weight: 11 },
            ],
            timeouts: { request: "30s" },
        }]);
        expect(run.outputs.routeWeights.value).toEqual({ checkout: [56, 33, 11], "orders-api": [100] });
    });

    it("matches on headers", () => {
        expect(get(T.cr, "paas-orders-api-httproute").spec.rules[0].matches).toEqual([
            { path: { type: "PathPrefix", value: "/orders" }, headers: [{ type: "Exact", name: "x-api-version", value: "2" }] },
        ]);
    });

    it("terminates TLS on the gateway and redirects HTTP to HTTPS", () => {
        const gw = get("kubernetes:gateway.networking.k8s.io/v1:Gateway", "paas-gateway-gateway");
        expect(gw.metadata).toMatchObject({ name: "paas-gateway", namespace: "gateway" });
        expect(gw.spec.gatewayClassName).toBe("envoy");
        const [https, http] = gw.spec.listeners;
        expect(https).toMatchObject({ name: "https", protocol: "HTTPS", port: 443, tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", group: "", name: "paas-gateway-tls" }] } });
        expect(https.allowedRoutes.namespaces.selector.matchExpressions).toEqual([{ key: "kubernetes.io/metadata.name", operator: "In", values: ["apps"] }]);
        expect(http).toMatchObject({ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } });
        const redirect = get(T.cr, "paas-gateway-https-redirect");
        expect(redirect.spec.rules).toEqual([{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]);
        expect(get("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "paas-gatewayclass").spec).toEqual({ controllerName: "gateway.envoyproxy.io/gatewayclass-controller" });
    });
});

describe("per-cloud gateway and add-ons", () => {
    it("uses GKE's gateway, admits Google's load balancer ranges, and installs nothing on GKE", async () => {
        const run = await runStack("gcp-prod");
        expect(run.recorder.get("kubernetes:gateway.networking.k8s.io/v1:Gateway", "paas-gateway-gateway").inputs.spec.gatewayClassName).toBe("gke-l7-global-external-managed");
        expect(run.recorder.get(T.netpol, "paas-orders-netpol").inputs.spec.ingress[0].from.slice(0, 2)).toEqual([
            { ipBlock: { cidr: "35.191.0.0/16" } }, { ipBlock: { cidr: "130.211.0.0/22" } },
        ]);
        expect(run.recorder.ofType("kubernetes:helm.sh/v3:Release")).toEqual([]);
    });

    it("declares only CRD-level objects on the local stack when it renders manifests", async () => {
        const run = await runStack("local", (c) => ({ ...c, "paas:cluster": { local: { renderDirectory: "rendered" } }, "paas:addons": { gatewayController: "envoy" } }));
        expect(run.recorder.ofType("kubernetes:helm.sh/v3:Release")).toEqual([]);
        expect(run.recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:GatewayClass")).toHaveLength(1);
        expect(run.recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")).toHaveLength(3);
    });

    it("warns and approximates the band on clusters before 1.35", async () => {
        const run = await runStack("dev", (c) => ({ ...c, "paas:cluster": { ...(c["paas:cluster"] as object), kubernetesVersion: "1.33" } }));
        const h = run.recorder.get(T.hpa, "paas-orders-hpa").inputs.spec;
        expect(h.metrics[0].resource.target.averageUtilization).toBe(73);
        expect(h.behavior.scaleUp.tolerance).toBeUndefined();
        expect((run.outputs.warnings.value as string[])).toHaveLength(5);
        expect((run.outputs.warnings.value as string[])[0]).toMatch(/^checkout-a: Kubernetes 1.33 has no per-direction HPA tolerance/);
    });
});
