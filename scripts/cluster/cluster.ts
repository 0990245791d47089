/**
 * The project's local Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok (simulated nodes and pods) on 127.0.0.1, built from Go modules by
 * scripts/toolchain.sh. `clusterUp` starts what is not running and waits until the API server
 * is ready, the CRDs are established and every simulated node is Ready; `clusterDown` stops
 * exactly the processes it started.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { CLIENTS, ensurePki, kubeconfig, type Pki } from "./pki";
import { logTail, processState, start, stop, type ProcessSpec } from "./processes";

export const ROOT = path.resolve(__dirname, "../..");
export const BIN = path.join(ROOT, ".tools/bin");
const SHARE = path.join(ROOT, ".tools/share");

export interface ClusterOptions {
    /** Folder of the cluster's state (certificates, etcd data, logs, pid files, kubeconfig). */
    readonly dir: string;
    /** First of the six loopback ports: etcd client, etcd peer, API server, controller manager, scheduler, kwok. */
    readonly portBase: number;
    /** Simulated nodes, each in its own `zone`. */
    readonly nodes: readonly NodeSpec[];
    /** `--feature-gates` of the API server and controller manager, e.g. `HPAConfigurableTolerance=false`. */
    readonly featureGates?: string;
    /** Extra kube-controller-manager flags (e.g. a shorter HPA sync period). */
    readonly controllerManagerFlags?: readonly string[];
    readonly log?: (line: string) => void;
}

export interface NodeSpec {
    readonly name: string;
    readonly zone: string;
    readonly region?: string;
    readonly cpu: string;
    readonly memory: string;
    readonly pods?: number;
    /** Allocatable ephemeral storage. @default 100Gi */
    readonly ephemeralStorage?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly taints?: readonly { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }[];
}

export const DEFAULT_DIR = path.join(ROOT, ".tools/cluster");
export const DEFAULT_PORT_BASE = 17_370;
export const ZONES = ["zone-a", "zone-b", "zone-c"] as const;
/** Three nodes, one per zone, each big enough for the local stack at every HPA's maximum. */
export const DEFAULT_NODES: readonly NodeSpec[] = ZONES.map((zone, i) => ({ name: `paas-node-${i}`, zone, region: "local", cpu: "16", memory: "64Gi", pods: 110 }));

/** The default StorageClass; claims of it get a simulated volume from kwok (stages/volume.yaml). */
export const STORAGE_CLASS = "paas-local";
const SERVICE_CIDR = "10.96.0.0/16";
const SERVICE_IP = "10.96.0.1";
const POD_CIDR = "10.244.0.0/16";
export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;
export type Component = (typeof COMPONENTS)[number];

export function ports(base: number) {
    return { etcdClient: base, etcdPeer: base + 1, apiserver: base + 2, controllerManager: base + 3, scheduler: base + 4, kwok: base + 5 };
}

export function kubeconfigPath(dir: string): string {
    return path.join(dir, "kubeconfig");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function binary(name: string): string {
    const b = path.join(BIN, name);
    if (!fs.existsSync(b)) throw new Error(`${name} is missing from .tools/bin: run \`npm run toolchain\` (builds the control plane and kwok from Go modules; the first build takes ~25 minutes on 2 cores)`);
    return b;
}

/** GET over loopback; resolves with the status and body, never rejects. */
function get(url: string, tls?: https.RequestOptions): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
        const lib = url.startsWith("https:") ? https : http;
        const req = lib.get(url, { ...tls, timeout: 2000 }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => resolve({ status: 0, body: e.message }));
    });
}

function specs(o: ClusterOptions, pki: Pki): Record<Component, ProcessSpec> {
    const p = ports(o.portBase);
    const d = o.dir;
    const kc = (n: string) => path.join(d, `${n}.kubeconfig`);
    const gates = o.featureGates ? [`--feature-gates=${o.featureGates}`] : [];
    const stageDir = path.join(SHARE, "kwok-stages");
    if (!fs.existsSync(stageDir)) throw new Error(`${stageDir} is missing: run \`npm run toolchain\` (copies kwok's stages out of its Go module)`);
    const stages = fs.readdirSync(stageDir).sort().map((f) => path.join(stageDir, f));
    return {
        // Client and peer TLS with client certificates: loopback ports are open to every local user.
        etcd: {
            name: "etcd", binary: binary("etcd"),
            args: ["--name=control-plane", `--data-dir=${path.join(d, "etcd")}`,
                `--listen-client-urls=https://127.0.0.1:${p.etcdClient}`, `--advertise-client-urls=https://127.0.0.1:${p.etcdClient}`,
                `--listen-peer-urls=https://127.0.0.1:${p.etcdPeer}`, `--initial-advertise-peer-urls=https://127.0.0.1:${p.etcdPeer}`,
                `--initial-cluster=control-plane=https://127.0.0.1:${p.etcdPeer}`,
                `--cert-file=${pki.etcd}`, `--key-file=${pki.etcdKey}`, `--trusted-ca-file=${pki.ca}`, "--client-cert-auth",
                `--peer-cert-file=${pki.etcd}`, `--peer-key-file=${pki.etcdKey}`, `--peer-trusted-ca-file=${pki.ca}`, "--peer-client-cert-auth",
                "--unsafe-no-fsync", "--log-level=warn"],
        },
        "kube-apiserver": {
            name: "kube-apiserver", binary: binary("kube-apiserver"),
            args: [`--etcd-servers=https://127.0.0.1:${p.etcdClient}`, `--etcd-cafile=${pki.ca}`,
                `--etcd-certfile=${pki.etcdClient}`, `--etcd-keyfile=${pki.etcdClientKey}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                `--secure-port=${p.apiserver}`, `--tls-cert-file=${pki.apiserver}`, `--tls-private-key-file=${pki.apiserverKey}`,
                `--client-ca-file=${pki.ca}`, `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local", `--service-cluster-ip-range=${SERVICE_CIDR}`,
                "--authorization-mode=Node,RBAC", "--allow-privileged=false", "--profiling=false",
                // A loopback advertise address would give the `kubernetes` Service endpoints no pod can use.
                "--endpoint-reconciler-type=none",
                // The aggregation layer (metrics.k8s.io served by a test server).
                `--requestheader-client-ca-file=${pki.frontProxyCa}`, "--requestheader-allowed-names=front-proxy-client",
                "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-", `--proxy-client-cert-file=${pki.frontProxyClient}`,
                `--proxy-client-key-file=${pki.frontProxyClientKey}`,
                // Every request's metadata, with Pod Security's audit annotations: what the tests read.
                `--audit-policy-file=${path.join(d, "audit-policy.yaml")}`, `--audit-log-path=${path.join(d, "logs", "audit.log")}`,
                "--audit-log-maxsize=200", "--audit-log-maxbackup=2", ...gates],
        },
        "kube-controller-manager": {
            name: "kube-controller-manager", binary: binary("kube-controller-manager"),
            args: [`--kubeconfig=${kc("controller-manager")}`, `--authentication-kubeconfig=${kc("controller-manager")}`,
                `--authorization-kubeconfig=${kc("controller-manager")}`, "--bind-address=127.0.0.1", `--secure-port=${p.controllerManager}`,
                `--cert-dir=${path.join(d, "controller-manager")}`, "--controllers=*", "--use-service-account-credentials",
                `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.ca}`,
                `--cluster-signing-cert-file=${pki.ca}`, `--cluster-signing-key-file=${pki.caKey}`, "--leader-elect=false",
                ...gates, ...(o.controllerManagerFlags ?? [])],
        },
        "kube-scheduler": {
            name: "kube-scheduler", binary: binary("kube-scheduler"),
            args: [`--kubeconfig=${kc("scheduler")}`, `--authentication-kubeconfig=${kc("scheduler")}`, `--authorization-kubeconfig=${kc("scheduler")}`,
                "--bind-address=127.0.0.1", `--secure-port=${p.scheduler}`, `--cert-dir=${path.join(d, "scheduler")}`, "--leader-elect=false"],
        },
        kwok: {
            name: "kwok", binary: binary("kwok"),
            args: [`--kubeconfig=${kc("kwok")}`, "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                `--server-address=127.0.0.1:${p.kwok}`, `--cidr=${POD_CIDR}`, "--node-ip=127.0.0.1",
                // Node leases, renewed like a kubelet's: without them the node lifecycle controller sees
                // only the 10-minute status heartbeat and marks every node NotReady after its grace period.
                "--node-lease-duration-seconds=40",
                `--config=${[...stages, path.join(__dirname, "stages", "volume.yaml")].join(",")}`],
        },
    };
}

// Metadata of every write except the simulated kubelets' (kwok's status churn), events and
// leases, with Pod Security's audit annotations (the tests read them); no reads.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [get, list, watch]
  - level: None
    users: [paas-kwok]
  - level: None
    resources:
      - group: ""
        resources: [events]
      - group: events.k8s.io
        resources: [events]
      - group: coordination.k8s.io
        resources: [leases]
  - level: Metadata
`;

export function kubectl(o: Pick<ClusterOptions, "dir">, args: readonly string[], input?: string): string {
    try {
        return execFileSync(binary("kubectl"), [`--kubeconfig=${kubeconfigPath(o.dir)}`, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
        const err = e as { stderr?: string; stdout?: string };
        throw new Error(`kubectl ${args.join(" ")} failed: ${(err.stderr || err.stdout || String(e)).trim()}`);
    }
}

export function nodeManifest(n: NodeSpec): object {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: n.name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": n.zone, "topology.kubernetes.io/region": n.region ?? "local", type: "kwok",
                ...n.labels,
            },
        },
        spec: { taints: n.taints ?? [] },
        status: {
            // ephemeral-storage too: without it, a pod that requests any is unschedulable.
            allocatable: { cpu: n.cpu, memory: n.memory, pods: String(n.pods ?? 110), "ephemeral-storage": n.ephemeralStorage ?? "100Gi" },
            capacity: { cpu: n.cpu, memory: n.memory, pods: String(n.pods ?? 110), "ephemeral-storage": n.ephemeralStorage ?? "100Gi" },
        },
    };
}

function storageClassManifest(): object {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "paas.local/simulated",
        // Retain: the controller manager never deletes anything; kwok removes released volumes (API objects only).
        reclaimPolicy: "Retain",
        volumeBindingMode: "Immediate",
    };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, o: ClusterOptions, component?: Component): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return;
        if (component && processState(o.dir, component).state !== "running")
            throw new Error(`${component} exited while waiting for ${what}; the end of ${path.join(o.dir, "logs", `${component}.log`)}:\n${logTail(o.dir, component)}`);
        if (Date.now() > deadline) {
            const hint = component ? `; the end of its log:\n${logTail(o.dir, component)}` : "";
            throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${hint}`);
        }
        await sleep(200);
    }
}

export interface ClusterInfo {
    readonly kubeconfig: string;
    readonly server: string;
    readonly pids: Readonly<Record<Component, number>>;
    /** Components that had crashed since the last start (restarted now), with their log tails. */
    readonly crashed: readonly string[];
}

/** The file that marks a folder as a cluster's state (purge deletes nothing else). */
const MARKER = ".paas-cluster";
const OPTIONS_FILE = "options.json";

/** True when nothing listens on 127.0.0.1:`port`. */
export const portFree = (port: number) => new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
});

/** The first base from `preferred` (in steps of 10) whose six ports are all free on 127.0.0.1. */
export async function freePortBase(preferred: number): Promise<number> {
    for (let base = preferred; base < preferred + 1000; base += 10) {
        let free = true;
        for (const port of Object.values(ports(base))) free = free && (await portFree(port));
        if (free) return base;
    }
    throw new Error(`no six free loopback ports from ${preferred} to ${preferred + 1000}`);
}

/** One `up` or `down` at a time per folder (e.g. up:local and cluster:up started together). */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const lock = path.join(dir, ".lock");
    const deadline = Date.now() + 180_000;
    for (;;) {
        try {
            fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
            break;
        } catch {
            const holder = Number(fs.readFileSync(lock, "utf8").trim());
            let alive = false;
            try {
                process.kill(holder, 0);
                alive = true;
            } catch {
                // the holder is gone: a stale lock
            }
            if (!alive) fs.rmSync(lock, { force: true });
            else if (Date.now() > deadline) throw new Error(`${dir} is locked by process ${holder} (another cluster:up or cluster:down)`);
            else await sleep(250);
        }
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(lock, { force: true });
    }
}

/** Starts whatever is not running (harmless when everything is) and waits until it is usable. */
export async function clusterUp(options: ClusterOptions): Promise<ClusterInfo> {
    const o = { ...options, dir: path.resolve(options.dir) };
    fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(o.dir, MARKER), "state of a paas local control plane (npm run cluster:down -- --purge deletes this folder)\n");
    return withLock(o.dir, () => up(o));
}

async function up(o: ClusterOptions): Promise<ClusterInfo> {
    const log = o.log ?? (() => {});
    const p = ports(o.portBase);
    // A running control plane keeps the ports and flags it was started with.
    const recorded = { portBase: o.portBase, featureGates: o.featureGates ?? "", controllerManagerFlags: o.controllerManagerFlags ?? [] };
    const running = COMPONENTS.filter((c) => processState(o.dir, c).state === "running");
    const optionsFile = path.join(o.dir, OPTIONS_FILE);
    if (running.length > 0 && fs.existsSync(optionsFile)) {
        const before = JSON.parse(fs.readFileSync(optionsFile, "utf8"));
        if (JSON.stringify(before) !== JSON.stringify(recorded))
            throw new Error(`the control plane in ${o.dir} runs with ${JSON.stringify(before)}, not ${JSON.stringify(recorded)}: stop it first (npm run cluster:down), then start it with the new options`);
    }
    if (running.length === 0) {
        const taken: number[] = [];
        for (const port of Object.values(p)) if (!(await portFree(port))) taken.push(port);
        if (taken.length) throw new Error(`port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} on 127.0.0.1 ${taken.length > 1 ? "are" : "is"} in use (another control plane?): choose other ports with --port-base N (or PAAS_CLUSTER_PORT_BASE)`);
    }
    fs.writeFileSync(optionsFile, `${JSON.stringify(recorded)}\n`);
    const server = `https://127.0.0.1:${p.apiserver}`;
    const pki = ensurePki(path.join(o.dir, "pki"), SERVICE_IP);
    fs.writeFileSync(kubeconfigPath(o.dir), kubeconfig(pki, CLIENTS.admin, server), { mode: 0o600 });
    for (const [n, c] of [["controller-manager", CLIENTS.controllerManager], ["scheduler", CLIENTS.scheduler], ["kwok", CLIENTS.kwok]] as const)
        fs.writeFileSync(path.join(o.dir, `${n}.kubeconfig`), kubeconfig(pki, c, server), { mode: 0o600 });
    fs.writeFileSync(path.join(o.dir, "audit-policy.yaml"), AUDIT_POLICY);
    const all = specs(o, pki);
    const admin = { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(pki.client(CLIENTS.admin).cert), key: fs.readFileSync(pki.client(CLIENTS.admin).key) };
    const crashed: string[] = [];
    const pids = {} as Record<Component, number>;

    const ensure = async (c: Component, ready: () => Promise<boolean> | boolean, timeoutMs = 60_000) => {
        const s = processState(o.dir, c);
        if (s.state === "running") {
            pids[c] = s.pid;
            await waitFor(`${c} (already running, PID ${s.pid}) to be ready`, ready, 30_000, o, c);
            return;
        }
        if (s.state === "exited") {
            crashed.push(`${c} (PID ${s.pid}) was not running any more; the end of its log:\n${logTail(o.dir, c)}`);
            log(`cluster: ${c} (PID ${s.pid}) had stopped; the end of its log:\n${logTail(o.dir, c)}`);
        }
        const t0 = Date.now();
        log(`cluster: starting ${c}…`);
        pids[c] = start(o.dir, all[c]);
        await waitFor(`${c} to become ready`, ready, timeoutMs, o, c);
        log(`cluster: ${c} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (PID ${pids[c]})`);
    };
    const apiOk = async (p: string) => (await get(`${server}${p}`, admin)).status === 200;
    const healthz = async (port: number) => (await get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false })).body === "ok";

    const etcdClient = { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(pki.etcdClient), key: fs.readFileSync(pki.etcdClientKey) };
    await ensure("etcd", async () => (await get(`https://127.0.0.1:${p.etcdClient}/health`, etcdClient)).body.includes('"health":"true"'));
    await ensure("kube-apiserver", () => apiOk("/readyz"), 120_000);
    await ensure("kube-controller-manager", () => healthz(p.controllerManager));
    await ensure("kube-scheduler", () => healthz(p.scheduler));

    // Cluster objects: CRDs of what the program declares, the default StorageClass, the nodes.
    const crdDirs = ["gateway-api", "cert-manager"].map((d) => path.join(SHARE, "crds", d));
    for (const d of crdDirs) if (!fs.existsSync(d)) throw new Error(`${d} is missing: run \`npm run toolchain\` (copies the CRDs out of their Go modules)`);
    kubectl(o, ["apply", "--server-side", "--force-conflicts", "--field-manager=paas-cluster", ...crdDirs.flatMap((d) => ["-f", d])]);
    kubectl(o, ["apply", "--server-side", "--field-manager=paas-cluster", "-f", "-"],
        JSON.stringify({ apiVersion: "v1", kind: "List", items: [storageClassManifest(), ...o.nodes.map(nodeManifest)] }));
    await ensure("kwok", () => true);
    await waitFor("the CRDs to be established", () => {
        try {
            kubectl(o, ["wait", "--for=condition=Established", "--timeout=20s", "crd", "--all"]);
            return true;
        } catch {
            return false;
        }
    }, 90_000, o);
    await waitFor(`${o.nodes.length} simulated nodes to be Ready`, () => {
        const out = kubectl(o, ["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"]);
        const ready = new Set(out.split("\n").filter((l) => l.endsWith("=True")).map((l) => l.split("=")[0]));
        return o.nodes.every((n) => ready.has(n.name));
    }, 90_000, o, "kwok");
    // Pods need their namespace's default ServiceAccount, which the controller manager creates.
    await waitFor("the default ServiceAccount", () => {
        try {
            kubectl(o, ["get", "serviceaccount", "default", "-n", "default", "-o", "name"]);
            return true;
        } catch {
            return false;
        }
    }, 60_000, o, "kube-controller-manager");
    return { kubeconfig: kubeconfigPath(o.dir), server, pids, crashed };
}

/** Stops every component this folder's pid files name, newest layer first; returns what ran. */
export async function clusterDown(options: Pick<ClusterOptions, "dir" | "log">, purge = false): Promise<string[]> {
    const o = { ...options, dir: path.resolve(options.dir) };
    if (!fs.existsSync(o.dir)) return [];
    return withLock(o.dir, () => down(o, purge));
}

async function down(o: Pick<ClusterOptions, "dir" | "log">, purge: boolean): Promise<string[]> {
    const stopped: string[] = [];
    for (const c of [...COMPONENTS].reverse()) if (await stop(o.dir, c)) stopped.push(c);
    if (purge) {
        // Only a folder `up` marked as a cluster's state.
        if (!fs.existsSync(path.join(o.dir, MARKER))) throw new Error(`${o.dir} holds no ${MARKER} marker: it is not a control plane's state folder, nothing was deleted`);
        fs.rmSync(o.dir, { recursive: true, force: true });
    }
    return stopped;
}

export function clusterStatus(o: Pick<ClusterOptions, "dir">): Record<Component, string> {
    return Object.fromEntries(COMPONENTS.map((c) => {
        const s = processState(o.dir, c);
        return [c, s.state === "running" ? `running (PID ${s.pid})` : s.state === "exited" ? `not running (was PID ${s.pid}; see logs/${c}.log)` : "not started"];
    })) as Record<Component, string>;
}
