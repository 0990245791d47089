/**
 * A generated `pulumi stack export` (deployment version 3) of N resources, shaped like what the
 * platform deploys for each service: the Service component, its ServiceAccount, Service,
 * Deployment, PodDisruptionBudget, HorizontalPodAutoscaler and NetworkPolicy (7 resources a
 * service), plus the stack, the Kubernetes provider, and a namespace with a default-deny policy.
 * Outputs repeat the inputs with server-set fields, as the Kubernetes provider stores them, and the
 * file is indented like `pulumi stack export` writes it, so sizes are realistic (~4.5 KB a resource).
 *
 *   tsx bench/audit-export.ts <N> <out.json> [--namespaces K] [--no-hpa-every M] [--compact]
 *
 * Every M-th service (default 1000; 0 for none) has no HPA, so the audit reports a few violations.
 * Written in chunks: a 1,000,000-resource export is several GB, more than one string can hold.
 */
import * as fs from "node:fs";

export interface ExportShape {
    /** Services are spread over this many namespaces (apps-0, apps-1, ...; just "apps" when 1). */
    namespaces?: number;
    /** Every this-many-th service lacks its HorizontalPodAutoscaler (0: none does). */
    noHpaEvery?: number;
    /** One line instead of `pulumi stack export`'s 4-space indentation. */
    compact?: boolean;
}

const STACK = "urn:pulumi:bench::paas::";
const STACK_URN = `${STACK}pulumi:pulumi:Stack::paas-bench`;
const PLATFORM_URN = `${STACK}paas:index:Platform::paas`;
const PROVIDER_URN = `${STACK}paas:index:Platform$pulumi:providers:kubernetes::paas-k8s`;
const PROVIDER_REF = `${PROVIDER_URN}::0b6d1c7e-4b7f-4e0c-9a43-5d8f2f1f0001`;

type Doc = Record<string, unknown>;

const serviceLabels = (name: string) => ({
    "app.kubernetes.io/component": "service",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/managed-by": "paas",
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/part-of": "paas",
});
const selectorOf = (name: string) => ({ "app.kubernetes.io/instance": name, "app.kubernetes.io/name": name });

/** What the provider adds to an object's metadata once the API server has it. */
function live(inputs: Doc, i: number, extra: Doc = {}): Doc {
    const metadata = inputs.metadata as Doc;
    const uid = `${(i * 2654435761 >>> 0).toString(16).padStart(8, "0")}-7c1e-4d2a-9f00-${i.toString(16).padStart(12, "0")}`;
    return {
        ...inputs,
        metadata: { ...metadata, creationTimestamp: "2026-11-26T00:00:00Z", generation: 1, resourceVersion: String(100000 + i), uid },
        ...extra,
    };
}

function k8s(type: string, urnName: string, parent: string, inputs: Doc, i: number, extra?: Doc): Doc {
    const meta = inputs.metadata as { name: string; namespace?: string };
    return {
        urn: `${STACK}paas:index:Platform$paas:index:Service$${type}::${urnName}`,
        custom: true,
        id: meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name,
        type,
        inputs,
        outputs: live(inputs, i, extra),
        parent,
        provider: PROVIDER_REF,
        propertyDependencies: {},
    };
}

/** The 7 resources of service number i. */
function service(i: number, ns: string, withHpa: boolean): Doc[] {
    const name = `svc-${i}`;
    const labels = serviceLabels(name);
    const metadata = { labels, name, namespace: ns };
    const parent = `${STACK}paas:index:Platform$paas:index:Service::${name}`;
    const container = {
        env: [{ name: "PORT", value: "8080" }],
        image: `ghcr.io/acme/${name}:1.0.${i % 10}`,
        imagePullPolicy: "IfNotPresent",
        livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
        name: "app",
        ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
        readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
        resources: { limits: { cpu: "1", memory: "256Mi" }, requests: { cpu: "250m", memory: "256Mi" } },
        securityContext: {
            allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, privileged: false, readOnlyRootFilesystem: true,
            runAsGroup: 65532, runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [{ mountPath: "/tmp", name: "tmp" }],
    };
    const spread = (topologyKey: string) => ({ labelSelector: { matchLabels: selectorOf(name) }, maxSkew: 1, topologyKey, whenUnsatisfiable: "ScheduleAnyway" });
    const deployment = {
        apiVersion: "apps/v1", kind: "Deployment", metadata,
        spec: {
            revisionHistoryLimit: 5,
            selector: { matchLabels: selectorOf(name) },
            strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 }, type: "RollingUpdate" },
            template: {
                metadata: { labels },
                spec: {
                    automountServiceAccountToken: false,
                    containers: [container],
                    securityContext: { fsGroup: 65532, runAsGroup: 65532, runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
                    serviceAccountName: name,
                    terminationGracePeriodSeconds: 30,
                    topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
                    volumes: [{ emptyDir: { sizeLimit: "256Mi" }, name: "tmp" }],
                },
            },
        },
    };
    const out: Doc[] = [
        { urn: parent, custom: false, type: "paas:index:Service", parent: PLATFORM_URN },
        k8s("kubernetes:core/v1:ServiceAccount", `${name}-sa`, parent, { apiVersion: "v1", automountServiceAccountToken: false, kind: "ServiceAccount", metadata }, i),
        k8s("kubernetes:core/v1:Service", `${name}-service`, parent, {
            apiVersion: "v1", kind: "Service", metadata,
            spec: { ports: [{ name: "http", port: 8080, protocol: "TCP", targetPort: "http" }], selector: selectorOf(name), type: "ClusterIP" },
        }, i, { status: { loadBalancer: {} } }),
        k8s("kubernetes:apps/v1:Deployment", `${name}-deployment`, parent, deployment, i, {
            status: { availableReplicas: 2, observedGeneration: 1, readyReplicas: 2, replicas: 2, updatedReplicas: 2 },
        }),
        k8s("kubernetes:policy/v1:PodDisruptionBudget", `${name}-pdb`, parent, {
            apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(name) } },
        }, i, { status: { currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2, observedGeneration: 1 } }),
        k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${name}-netpol`, parent, {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata,
            spec: {
                egress: [{
                    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                }],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "paas-gateway" } } }], ports: [{ port: 8080, protocol: "TCP" }] }],
                podSelector: { matchLabels: selectorOf(name) },
                policyTypes: ["Ingress", "Egress"],
            },
        }, i),
    ];
    if (withHpa) {
        out.push(k8s("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `${name}-hpa`, parent, {
            apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata,
            spec: {
                maxReplicas: 10,
                metrics: [{ resource: { name: "cpu", target: { averageUtilization: 70, type: "Utilization" } }, type: "Resource" }],
                minReplicas: 2,
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
            },
        }, i, { status: { currentReplicas: 2, desiredReplicas: 2 } }));
    }
    return out;
}

/** Yields exactly n resources: the stack's own, then services until the count is reached. */
function* resources(n: number, shape: ExportShape): Generator<Doc> {
    const k = Math.max(1, shape.namespaces ?? 1);
    const nsName = (j: number) => (k === 1 ? "apps" : `apps-${j}`);
    const noHpaEvery = shape.noHpaEvery ?? 1000;
    const head: Doc[] = [
        { urn: STACK_URN, custom: false, type: "pulumi:pulumi:Stack" },
        { urn: PLATFORM_URN, custom: false, type: "paas:index:Platform", parent: STACK_URN },
        { urn: PROVIDER_URN, custom: true, id: PROVIDER_REF.split("::").pop(), type: "pulumi:providers:kubernetes", inputs: { enableServerSideApply: "true" }, outputs: { enableServerSideApply: "true" }, parent: PLATFORM_URN },
    ];
    for (let j = 0; j < k; j++) {
        const meta = { labels: { "app.kubernetes.io/managed-by": "paas" }, name: nsName(j) };
        head.push(k8s("kubernetes:core/v1:Namespace", `ns-${nsName(j)}`, PLATFORM_URN, { apiVersion: "v1", kind: "Namespace", metadata: meta }, j));
        head.push(k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${nsName(j)}-default-deny`, PLATFORM_URN, {
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
            metadata: { labels: { "app.kubernetes.io/managed-by": "paas" }, name: "default-deny", namespace: nsName(j) },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, j));
    }
    let count = 0;
    for (const r of head) {
        if (count++ >= n) return;
        yield r;
    }
    for (let i = 0; ; i++) {
        for (const r of service(i, nsName(i % k), !(noHpaEvery > 0 && i % noHpaEvery === noHpaEvery - 1))) {
            if (count++ >= n) return;
            yield r;
        }
    }
}

/** Writes the export to `file`; returns its size in bytes. */
export function writeAuditExport(file: string, n: number, shape: ExportShape = {}): number {
    const fd = fs.openSync(file, "w");
    let pending: string[] = [];
    let pendingLength = 0;
    let size = 0;
    const write = (s: string) => {
        pending.push(s);
        pendingLength += s.length;
        if (pendingLength > 1 << 23) flush();
    };
    const flush = () => {
        const b = Buffer.from(pending.join(""), "utf8");
        fs.writeSync(fd, b);
        size += b.length;
        pending = [];
        pendingLength = 0;
    };
    const nl = shape.compact ? "" : "\n";
    const pad = (depth: number) => (shape.compact ? "" : " ".repeat(4 * depth));
    const manifest = { time: "2026-11-26T00:00:00.000000000Z", magic: "0000000000000000000000000000000000000000000000000000000000000000", version: "v3.276.0" };
    const json = (v: unknown, depth: number) =>
        shape.compact ? JSON.stringify(v) : JSON.stringify(v, null, 4).replace(/\n/g, `\n${pad(depth)}`);
    try {
        write(`{${nl}${pad(1)}"version": 3,${nl}${pad(1)}"deployment": {${nl}`);
        write(`${pad(2)}"manifest": ${json(manifest, 2)},${nl}`);
        write(`${pad(2)}"secrets_providers": ${json({ type: "passphrase", state: { salt: "v1:bench:bench" } }, 2)},${nl}`);
        write(`${pad(2)}"resources": [`);
        let first = true;
        for (const r of resources(n, shape)) {
            write(`${first ? "" : ","}${nl}${pad(3)}${json(r, 3)}`);
            first = false;
        }
        write(`${first ? "" : nl + pad(2)}]${nl}${pad(1)}}${nl}}${nl}`);
        flush();
    } finally {
        fs.closeSync(fd);
    }
    return size;
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const opt = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
    const [n, out] = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.match(/^--(namespaces|no-hpa-every)$/));
    if (!n || !out || !/^\d+$/.test(n)) {
        process.stderr.write("usage: tsx bench/audit-export.ts <N> <out.json> [--namespaces K] [--no-hpa-every M] [--compact]\n");
        process.exit(2);
    }
    const t0 = performance.now();
    const bytes = writeAuditExport(out, Number(n), {
        namespaces: opt("--namespaces") ? Number(opt("--namespaces")) : undefined,
        noHpaEvery: opt("--no-hpa-every") !== undefined ? Number(opt("--no-hpa-every")) : undefined,
        compact: argv.includes("--compact"),
    });
    process.stderr.write(`wrote ${n} resources, ${(bytes / 1e6).toFixed(0)} MB, to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);
}
