/**
 * A metrics.k8s.io server for the real HPA controller: an HTTPS server on 127.0.0.1 (its own
 * process, metrics-server-main.ts) whose per-pod CPU usage the test sets, registered with the API
 * server's aggregation layer through an APIService and an ExternalName Service (the aggregator
 * dials `localhost:<port>` and checks the certificate against `<service>.<namespace>.svc`).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { issueCertificate } from "../../scripts/cluster/pki";
import type { TestCluster } from "./cluster";
import { ROOT } from "./stacks";

const SERVICE = "paas-test-metrics";
const NAMESPACE = "kube-system";

export interface MetricsServer {
    /** Every pod's CPU usage from now on, in percent of its request. */
    setUsage(percent: number): void;
    /** Pod lists served so far (the controller really asked). */
    podLists(): number;
    /** Each pod list served: when (seconds since the epoch), at which usage, for how many running pods. */
    syncs(): { t: number; percent: number; pods: number }[];
    close(): Promise<void>;
}

export async function startMetricsServer(cluster: TestCluster): Promise<MetricsServer> {
    const dir = cluster.options.dir;
    const pkiDir = path.join(dir, "pki");
    // The aggregator checks the certificate against the Service's DNS name.
    issueCertificate(pkiDir, "metrics", `/CN=${SERVICE}`, ["extendedKeyUsage=serverAuth", `subjectAltName=DNS:${SERVICE}.${NAMESPACE}.svc,DNS:localhost,IP:127.0.0.1`]);
    const usageFile = path.join(dir, "metrics-usage.json");
    const servedFile = path.join(dir, "metrics-served.log");
    // Written whole and renamed: the server never reads half a file.
    const served = () => (fs.existsSync(servedFile) ? fs.readFileSync(servedFile, "utf8").split("\n").filter(Boolean) : []);
    const setUsage = (percent: number) => {
        fs.writeFileSync(`${usageFile}.tmp`, JSON.stringify({ percent }));
        fs.renameSync(`${usageFile}.tmp`, usageFile);
    };
    setUsage(0);
    const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(__dirname, "metrics-server-main.ts"), dir, cluster.info.server], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
        child.once("exit", (code) => reject(new Error(`the metrics test server exited with ${code}`)));
    });
    const stopChild = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
    };
    const caBundle = fs.readFileSync(path.join(pkiDir, "ca.crt")).toString("base64");
    try {
    cluster.kubectl(["apply", "--server-side", "--field-manager=paas-test", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "List", items: [
            { apiVersion: "v1", kind: "Service", metadata: { name: SERVICE, namespace: NAMESPACE }, spec: { type: "ExternalName", externalName: "localhost", ports: [{ name: "https", port, protocol: "TCP" }] } },
            {
                apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name: "v1beta1.metrics.k8s.io" },
                spec: { group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100, caBundle, service: { name: SERVICE, namespace: NAMESPACE, port } },
            },
        ],
    }));
    cluster.kubectl(["wait", "--for=condition=Available", "apiservice/v1beta1.metrics.k8s.io", "--timeout=60s"]);
    } catch (e) {
        await stopChild();
        throw e;
    }
    return {
        setUsage,
        podLists: () => served().length,
        syncs: () => served().map((l) => {
            const [ms, percent, pods] = l.split(" ").map(Number);
            return { t: ms / 1000, percent, pods };
        }),
        close: async () => {
            try {
                cluster.kubectl(["delete", "apiservice/v1beta1.metrics.k8s.io", `service/${SERVICE}`, "-n", NAMESPACE, "--ignore-not-found"]);
            } finally {
                await stopChild();
            }
        },
    };
}
