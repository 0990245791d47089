/** Generated platform configs for the benchmark: N services, one weighted route per 10 services. */

export function benchConfig(n: number): Record<string, unknown> {
    const services = Array.from({ length: n }, (_, i) => ({
        name: `svc-${i}`,
        image: "ghcr.io/acme/svc:1.0.0",
        port: 8080,
        autoscaling: { minReplicas: 2, maxReplicas: 10 },
    }));
    const routes = Array.from({ length: Math.ceil(n / 10) }, (_, r) => ({
        name: `route-${r}`,
        hostnames: [`r${r}.example.com`],
        backends: services.slice(r * 10, r * 10 + 10).map((s, j) => ({ service: s.name, capacity: j + 1 })),
    }));
    return {
        "paas:cloud": "local",
        "paas:cluster": { local: { renderDirectory: "rendered" } },
        "paas:services": services,
        "paas:routes": routes,
    };
}
