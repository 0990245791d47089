/**
 * Certificates and keys of the local control plane, made with openssl: one CA for serving and
 * client certificates, a front-proxy CA for the aggregation layer, and the service-account key
 * pair. Existing files are kept, so a restarted control plane keeps its identity (and the
 * kubeconfig a stack holds stays valid).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Who gets a client certificate, and with which groups (RBAC sees CN as user, O as groups). */
export interface ClientIdentity {
    readonly file: string;
    readonly user: string;
    readonly groups: readonly string[];
}

export const CLIENTS = {
    // The operator of a local cluster: full access, like the cluster creator on a cloud.
    admin: { file: "admin", user: "paas-admin", groups: ["system:masters"] },
    controllerManager: { file: "controller-manager", user: "system:kube-controller-manager", groups: [] },
    scheduler: { file: "scheduler", user: "system:kube-scheduler", groups: [] },
    // kwok plays every kubelet and the volume provisioner: node, pod, lease and volume writes.
    kwok: { file: "kwok", user: "paas-kwok", groups: ["system:masters"] },
} as const satisfies Record<string, ClientIdentity>;

function openssl(args: string[], cwd: string): void {
    try {
        execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { code?: string; stderr?: Buffer };
        if (err.code === "ENOENT") throw new Error("openssl is not on PATH: install it (Debian/Ubuntu: apt-get install openssl) to create the control plane's certificates");
        throw new Error(`openssl ${args.slice(0, 2).join(" ")} failed: ${err.stderr?.toString().trim() ?? String(e)}`);
    }
}

const DAYS = "3650";
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function ca(dir: string, name: string, cn: string): void {
    if (fs.existsSync(path.join(dir, `${name}.crt`))) return;
    openssl(["req", "-x509", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", DAYS, "-subj", `/CN=${cn}`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], dir);
}

function leaf(dir: string, caName: string, name: string, subject: string, extensions: string[]): void {
    if (fs.existsSync(path.join(dir, `${name}.crt`))) return;
    const ext = path.join(dir, `${name}.ext`);
    fs.writeFileSync(ext, `${["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", ...extensions].join("\n")}\n`);
    openssl(["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.crt`, "-CAkey", `${caName}.key`, "-CAcreateserial",
        "-days", DAYS, "-extfile", ext, "-out", `${name}.crt`], dir);
    fs.rmSync(path.join(dir, `${name}.csr`));
    fs.rmSync(ext);
}

/** A certificate (and key) `<name>.crt`/`.key` in `dir`, signed by the cluster CA there; kept if it exists. */
export function issueCertificate(dir: string, name: string, subject: string, extensions: string[]): { cert: string; key: string } {
    leaf(dir, "ca", name, subject, extensions);
    return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

export function clientSubject(c: ClientIdentity): string {
    return `${c.groups.map((g) => `/O=${g}`).join("")}/CN=${c.user}`;
}

/** Creates whatever is missing in `dir` and returns the file paths. */
export function ensurePki(dir: string, serviceIp: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    ca(dir, "ca", "paas-local-ca");
    ca(dir, "front-proxy-ca", "paas-local-front-proxy-ca");
    const sans = ["IP:127.0.0.1", `IP:${serviceIp}`, "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"];
    leaf(dir, "ca", "apiserver", "/CN=kube-apiserver", ["extendedKeyUsage=serverAuth", `subjectAltName=${sans.join(",")}`]);
    for (const c of Object.values(CLIENTS)) leaf(dir, "ca", c.file, clientSubject(c), ["extendedKeyUsage=clientAuth"]);
    // etcd serves clients and its peer port with one certificate; the API server is its client.
    leaf(dir, "ca", "etcd", "/CN=etcd", ["extendedKeyUsage=serverAuth,clientAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost"]);
    leaf(dir, "ca", "apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", ["extendedKeyUsage=clientAuth"]);
    leaf(dir, "front-proxy-ca", "front-proxy-client", "/CN=front-proxy-client", ["extendedKeyUsage=clientAuth"]);
    if (!fs.existsSync(path.join(dir, "sa.key"))) {
        openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"], dir);
        openssl(["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
    }
    for (const f of fs.readdirSync(dir)) if (f.endsWith(".key")) fs.chmodSync(path.join(dir, f), 0o600);
    const p = (f: string) => path.join(dir, f);
    return {
        ca: p("ca.crt"), caKey: p("ca.key"), apiserver: p("apiserver.crt"), apiserverKey: p("apiserver.key"),
        frontProxyCa: p("front-proxy-ca.crt"), frontProxyClient: p("front-proxy-client.crt"), frontProxyClientKey: p("front-proxy-client.key"),
        saKey: p("sa.key"), saPub: p("sa.pub"),
        etcd: p("etcd.crt"), etcdKey: p("etcd.key"), etcdClient: p("apiserver-etcd-client.crt"), etcdClientKey: p("apiserver-etcd-client.key"),
        client: (c: ClientIdentity) => ({ cert: p(`${c.file}.crt`), key: p(`${c.file}.key`) }),
    };
}
export type Pki = ReturnType<typeof ensurePki>;

/** A kubeconfig with the certificates embedded, so it can be handed around (as a secret) alone. */
export function kubeconfig(pki: Pki, client: ClientIdentity, server: string, name = "paas-local"): string {
    const b64 = (f: string) => fs.readFileSync(f).toString("base64");
    const { cert, key } = pki.client(client);
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${name}`,
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64(pki.ca)}`,
        "users:",
        `- name: ${client.user}`,
        "  user:",
        `    client-certificate-data: ${b64(cert)}`,
        `    client-key-data: ${b64(key)}`,
        "contexts:",
        `- name: ${name}`,
        "  context:",
        `    cluster: ${name}`,
        `    user: ${client.user}`,
        `current-context: ${name}`,
        "",
    ].join("\n");
}
