/**
 * The metrics.k8s.io test server's process (see metrics-server.ts): a process of its own, so the
 * test's synchronous kubectl calls never stall the API server's requests to it.
 * usage: tsx metrics-server-main.ts <state-dir> <api-server-url>
 * Reads the per-pod CPU usage (percent of the pod's request) from <state-dir>/metrics-usage.json at
 * every request; appends a line to <state-dir>/metrics-served.log per pod list served; prints the
 * port it listens on (127.0.0.1) once ready.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

const [dir, apiServer] = process.argv.slice(2);
const pkiDir = path.join(dir, "pki");
const admin = { ca: fs.readFileSync(path.join(pkiDir, "ca.crt")), cert: fs.readFileSync(path.join(pkiDir, "admin.crt")), key: fs.readFileSync(path.join(pkiDir, "admin.key")) };
const milli = (q: string): number => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
const percent = (): number => JSON.parse(fs.readFileSync(path.join(dir, "metrics-usage.json"), "utf8")).percent;

/** Pods of a namespace (and selector) as the API server has them now. */
const pods = (namespace: string, selector: string | null): Promise<any[]> => new Promise((resolve, reject) => {
    const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
    https.get(`${apiServer}/api/v1/namespaces/${namespace}/pods${q}`, admin, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body).items) : reject(new Error(`pods: ${res.statusCode} ${body}`))));
    }).on("error", reject);
});

function podMetrics(p: any, pct: number) {
    return {
        kind: "PodMetrics", apiVersion: "metrics.k8s.io/v1beta1",
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace, labels: p.metadata.labels, creationTimestamp: new Date().toISOString() },
        // Fresh and short-windowed, so the controller never sets the sample aside as taken before readiness.
        timestamp: new Date().toISOString(), window: "1s",
        containers: p.spec.containers.map((c: any) => ({
            name: c.name,
            usage: { cpu: `${Math.round((milli(c.resources?.requests?.cpu ?? "0") * pct) / 100)}m`, memory: "64Mi" },
        })),
    };
}

const notFound = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 };
const server = https.createServer({ cert: fs.readFileSync(path.join(pkiDir, "metrics.crt")), key: fs.readFileSync(path.join(pkiDir, "metrics.key")) }, async (req, res) => {
    const url = new URL(req.url ?? "/", "https://localhost");
    const send = (code: number, body: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
    };
    try {
        const p = url.pathname.replace(/\/$/, "");
        if (p === "/apis/metrics.k8s.io/v1beta1") {
            return send(200, {
                kind: "APIResourceList", apiVersion: "v1", groupVersion: "metrics.k8s.io/v1beta1",
                resources: [{ name: "pods", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get", "list"] }],
            });
        }
        const m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(p);
        if (!m) return send(404, notFound);
        const pct = percent();
        const running = (await pods(m[1], url.searchParams.get("labelSelector"))).filter((x) => x.status?.phase === "Running" && !x.metadata.deletionTimestamp);
        if (m[2]) {
            const one = running.find((x) => x.metadata.name === m[2]);
            return one ? send(200, podMetrics(one, pct)) : send(404, notFound);
        }
        fs.appendFileSync(path.join(dir, "metrics-served.log"), `${Date.now()} ${pct} ${running.length}\n`);
        return send(200, { kind: "PodMetricsList", apiVersion: "metrics.k8s.io/v1beta1", metadata: {}, items: running.map((x) => podMetrics(x, pct)) });
    } catch (e) {
        return send(500, { kind: "Status", apiVersion: "v1", status: "Failure", message: String(e), code: 500 });
    }
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
