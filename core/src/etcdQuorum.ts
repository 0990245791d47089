/**
 * `paas:index:EtcdQuorum`: a 2f+1-member etcd cluster on Kubernetes with peer and client TLS,
 * a quorum-keeping PodDisruptionBudget, zone spread, per-member volumes and snapshot backups.
 *
 * Backups: the CronJob `<name>-snapshot` saves `snapshot-<UTC time>.db` (e.g.
 * `snapshot-20250102T030405Z.db`) to the volume `<name>-backups` and keeps the newest
 * `keepSnapshots` (default 7).
 *
 * Restore from one snapshot (every member from the same file):
 * 1. Stop the members: `kubectl -n <ns> scale statefulset <name> --replicas=0`.
 * 2. For each member i of 0..n-1, in a pod that mounts the member's volume `data-<name>-<i>` at
 *    /var/lib/etcd and `<name>-backups` at /backups: delete /var/lib/etcd/data, then run
 *    `etcdutl` with {@link restoreArgs} — `etcdutl snapshot restore /backups/snapshot-<time>.db
 *    --name=<name>-<i> --initial-cluster=<as the members' flags> --initial-cluster-token=<ns>-<name>
 *    --initial-advertise-peer-urls=https://<name>-<i>.<name>-peer.<ns>.svc.<domain>:2380
 *    --data-dir=/var/lib/etcd/data --bump-revision=1000000000 --mark-compacted`.
 * 3. Start the members again (`pulumi up`, or scale back to n). They come up as one new cluster
 *    holding the snapshot's keys; `--initial-cluster-state=new` is ignored once a data dir exists.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type * as tlsTypes from "@pulumi/tls";
import {
    BACKUP_DIR, CLIENT_PORT, ETCD_EPHEMERAL_STORAGE, ETCD_PRIORITY, type EtcdPlan, type EtcdQuorumArgs, INCOMING_SNAPSHOT, METRICS_PORT, PEER_PORT,
    SNAPSHOT_STARTING_DEADLINE_SECONDS, checkEtcd, etcdPriorityClassName, kubernetesAddressing, memberFlags, planEtcd, snapshotJobScript,
} from "./planners/etcd";
import { DNS_EGRESS, restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, workloadLabels } from "./planners/workload";
import { Problems } from "./validation";

export { EtcdCertificates } from "./planners/etcd";
export type { EtcdArgs, EtcdQuorumArgs } from "./planners/etcd";

const TLS_DIR = "/etc/etcd/tls";
const UID = 65532;

const PLANS = new WeakMap<object, EtcdPlan>();

export class EtcdQuorum extends pulumi.ComponentResource {
    /** Number of members (2f+1). */
    readonly members: number;
    /** Members that must agree on a write: ⌊n/2⌋+1. */
    readonly quorum: number;
    /** Members that may fail while writes still succeed: f. */
    readonly faultTolerance: number;
    /** Client endpoint (TLS, client certificate required). */
    readonly clientEndpoint: pulumi.Output<string>;
    /** Secret with ca.crt, tls.crt and tls.key for clients. */
    readonly clientTlsSecretName: pulumi.Output<string>;

    constructor(name: string, args: EtcdQuorumArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = new Problems();
        checkEtcd(name, args, "args", problems);
        problems.throwIfAny(`EtcdQuorum "${name}" arguments`);
        super("paas:index:EtcdQuorum", name, {}, opts);
        const plan = planEtcd(args, name);
        PLANS.set(this, plan);
        this.members = plan.members;
        this.quorum = plan.quorum;
        this.faultTolerance = plan.faultTolerance;
        const child = { parent: this };
        const ns = args.namespace;
        const domain = plan.clusterDomain;
        // Child resources are named after the component (`name`), Kubernetes objects after `obj`.
        const obj = plan.name;
        const addressing = kubernetesAddressing(obj, ns, TLS_DIR, domain);
        const labels = workloadLabels(obj, "etcd");
        const selector = selectorLabels(obj);
        const clientLabel = { "paas.dev/etcd-client": obj };
        const serverSecret = `${obj}-server-tls`;
        const clientSecret = `${obj}-client-tls`;
        const peerService = `${obj}-peer`;
        const dnsNames = [
            ...Array.from({ length: plan.members }, (_, i) => new URL(addressing.member(i).peerUrl).hostname),
            `*.${peerService}.${ns}.svc.${domain}`,
            `${obj}.${ns}.svc.${domain}`,
            `${obj}.${ns}.svc`,
            `${obj}.${ns}`,
            obj,
            "localhost",
        ];

        switch (plan.certificates) {
            case "pulumi":
                this.pulumiCertificates(name, obj, ns, labels, dnsNames, serverSecret, clientSecret);
                break;
            case "cert-manager":
                this.certManagerCertificates(name, obj, ns, labels, dnsNames, serverSecret, clientSecret);
                break;
            default: {
                const never: never = plan.certificates;
                throw new Error(`unknown certificate issuer ${never}`);
            }
        }

        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: obj, namespace: ns, labels }, automountServiceAccountToken: false }, child);

        // Peers find each other through the headless Service, also before they are ready.
        new k8s.core.v1.Service(`${name}-peer`, {
            metadata: { name: peerService, namespace: ns, labels },
            spec: {
                clusterIP: "None",
                publishNotReadyAddresses: true,
                selector,
                ports: [{ name: "peer", port: PEER_PORT, targetPort: "peer" }, { name: "client", port: CLIENT_PORT, targetPort: "client" }],
            },
        }, child);
        const client = new k8s.core.v1.Service(`${name}-client`, {
            metadata: { name: obj, namespace: ns, labels },
            spec: { type: "ClusterIP", selector, ports: [{ name: "client", port: CLIENT_PORT, targetPort: "client" }] },
        }, child);

        // Members outrank ordinary workloads: a member that lost its node comes back first.
        const priority = new k8s.scheduling.v1.PriorityClass(`${name}-priorityclass`, {
            metadata: { name: etcdPriorityClassName(ns, obj), labels },
            value: ETCD_PRIORITY,
            globalDefault: false,
            description: `etcd members of ${ns}/${obj}`,
        }, child);

        const disk = ETCD_EPHEMERAL_STORAGE;
        const probe = (path: string) => ({ httpGet: { path, port: "metrics" } });
        new k8s.apps.v1.StatefulSet(`${name}-statefulset`, {
            metadata: { name: obj, namespace: ns, labels },
            spec: {
                replicas: plan.members,
                serviceName: peerService,
                // All members start together: a new cluster needs a quorum before any is ready.
                podManagementPolicy: "Parallel",
                selector: { matchLabels: selector },
                updateStrategy: { type: "RollingUpdate" },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: false,
                        priorityClassName: priority.metadata.name,
                        securityContext: restrictedPodSecurity(UID),
                        terminationGracePeriodSeconds: 60,
                        affinity: {
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } }],
                            },
                        },
                        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }],
                        containers: [{
                            name: "etcd",
                            image: plan.image,
                            command: ["/usr/local/bin/etcd"],
                            args: memberFlags(plan, addressing, addressing.template),
                            env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                            ports: [
                                { name: "client", containerPort: CLIENT_PORT },
                                { name: "peer", containerPort: PEER_PORT },
                                { name: "metrics", containerPort: METRICS_PORT },
                            ],
                            resources: {
                                requests: { cpu: plan.cpu, memory: plan.memory, "ephemeral-storage": disk.request },
                                limits: { cpu: doubleCpu(plan.cpu), memory: plan.memory, "ephemeral-storage": disk.limit },
                            },
                            startupProbe: { ...probe("/livez"), periodSeconds: 5, failureThreshold: 60 },
                            livenessProbe: { ...probe("/livez"), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                            readinessProbe: { ...probe("/readyz"), periodSeconds: 5, timeoutSeconds: 5 },
                            securityContext: restrictedContainerSecurity(UID),
                            volumeMounts: [{ name: "data", mountPath: "/var/lib/etcd" }, { name: "tls", mountPath: TLS_DIR, readOnly: true }],
                        }],
                        volumes: [{ name: "tls", secret: { secretName: serverSecret, defaultMode: 0o440 } }],
                    },
                },
                volumeClaimTemplates: [{
                    metadata: { name: "data", labels },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: plan.storageClassName, resources: { requests: { storage: plan.storageSize } } },
                }],
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            },
        }, child);

        // Voluntary evictions may take at most f members: the rest is still a quorum. Unlike a
        // stateless service's, an unready member is evicted only within the budget: it may be a
        // member catching up, and evicting it too could leave fewer than a quorum.
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: obj, namespace: ns, labels },
            spec: { selector: { matchLabels: selector }, maxUnavailable: plan.faultTolerance, unhealthyPodEvictionPolicy: "IfHealthyBudget" },
        }, child);

        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: { name: obj, namespace: ns, labels },
            spec: {
                podSelector: { matchLabels: selector },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { from: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: "TCP", port: PEER_PORT }, { protocol: "TCP", port: CLIENT_PORT }] },
                    { from: [{ podSelector: { matchLabels: clientLabel } }], ports: [{ protocol: "TCP", port: CLIENT_PORT }] },
                ],
                egress: [DNS_EGRESS, { to: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: "TCP", port: PEER_PORT }, { protocol: "TCP", port: CLIENT_PORT }] }],
            },
        }, child);
        new k8s.networking.v1.NetworkPolicy(`${name}-clients-netpol`, {
            metadata: { name: `${obj}-clients`, namespace: ns, labels },
            spec: {
                podSelector: { matchLabels: clientLabel },
                policyTypes: ["Egress"],
                egress: [DNS_EGRESS, { to: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: "TCP", port: CLIENT_PORT }] }],
            },
        }, child);

        this.snapshots(name, ns, plan, labels, clientLabel, clientSecret, `https://${obj}.${ns}.svc.${domain}:${CLIENT_PORT}`);

        this.clientEndpoint = pulumi.interpolate`https://${client.metadata.name}.${ns}.svc.${domain}:${CLIENT_PORT}`;
        this.clientTlsSecretName = pulumi.output(clientSecret);
        this.registerOutputs({ clientEndpoint: this.clientEndpoint, clientTlsSecretName: this.clientTlsSecretName, members: this.members, quorum: this.quorum, faultTolerance: this.faultTolerance });
    }

    /** The resolved plan (sizes, quota, schedule, image). */
    etcdPlan(): EtcdPlan {
        return PLANS.get(this)!;
    }

    /** CA, server/peer and client certificates made by Pulumi and stored as Kubernetes Secrets. */
    private pulumiCertificates(name: string, obj: string, ns: string, labels: Record<string, string>, dnsNames: string[], serverSecret: string, clientSecret: string): void {
        const tls = loadTls();
        const child = { parent: this };
        const key = (n: string) => new tls.PrivateKey(`${name}-${n}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, child);
        const caKey = key("ca");
        const ca = new tls.SelfSignedCert(`${name}-ca`, {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: { commonName: `${obj} etcd CA` },
            validityPeriodHours: 24 * 365 * 10,
            allowedUses: ["certSigning", "crlSigning", "digitalSignature"],
        }, child);
        const issue = (n: string, commonName: string, uses: string[], sans: { dnsNames?: string[]; ipAddresses?: string[] }) => {
            const k = key(n);
            const csr = new tls.CertRequest(`${name}-${n}-csr`, { privateKeyPem: k.privateKeyPem, subject: { commonName }, ...sans }, child);
            const cert = new tls.LocallySignedCert(`${name}-${n}-cert`, {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 24 * 365,
                earlyRenewalHours: 24 * 30,
                allowedUses: uses,
            }, child);
            return { cert: cert.certPem, key: k.privateKeyPem };
        };
        const server = issue("server", `${obj}.${ns}`, ["digitalSignature", "keyEncipherment", "serverAuth", "clientAuth"], { dnsNames, ipAddresses: ["127.0.0.1"] });
        const client = issue("client", "root", ["digitalSignature", "keyEncipherment", "clientAuth"], {});
        for (const [n, secretName, pair] of [["server", serverSecret, server], ["client", clientSecret, client]] as const) {
            new k8s.core.v1.Secret(`${name}-${n}-tls`, {
                metadata: { name: secretName, namespace: ns, labels },
                type: "kubernetes.io/tls",
                stringData: { "ca.crt": ca.certPem, "tls.crt": pair.cert, "tls.key": pulumi.secret(pair.key) },
            }, child);
        }
    }

    /** The same material issued by cert-manager (renders without any provider but Kubernetes). */
    private certManagerCertificates(name: string, obj: string, ns: string, labels: Record<string, string>, dnsNames: string[], serverSecret: string, clientSecret: string): void {
        const child = { parent: this };
        const cr = (n: string, kind: string, metaName: string, spec: object, deps: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(`${name}-${n}`, { apiVersion: "cert-manager.io/v1", kind, metadata: { name: metaName, namespace: ns, labels }, spec }, { ...child, dependsOn: deps });
        const selfSigned = cr("selfsigned-issuer", "Issuer", `${obj}-selfsigned`, { selfSigned: {} });
        const caCert = cr("ca-certificate", "Certificate", `${obj}-ca`, {
            isCA: true, commonName: `${obj} etcd CA`, secretName: `${obj}-ca`, duration: "87600h",
            privateKey: { algorithm: "ECDSA", size: 256 }, issuerRef: { name: `${obj}-selfsigned`, kind: "Issuer" },
        }, [selfSigned]);
        const caIssuer = cr("ca-issuer", "Issuer", `${obj}-ca`, { ca: { secretName: `${obj}-ca` } }, [caCert]);
        cr("server-certificate", "Certificate", `${obj}-server`, {
            secretName: serverSecret, commonName: `${obj}.${ns}`, dnsNames, ipAddresses: ["127.0.0.1"], duration: "8760h", renewBefore: "720h",
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, usages: ["digital signature", "key encipherment", "server auth", "client auth"],
            issuerRef: { name: `${obj}-ca`, kind: "Issuer" },
        }, [caIssuer]);
        cr("client-certificate", "Certificate", `${obj}-client`, {
            secretName: clientSecret, commonName: "root", duration: "8760h", renewBefore: "720h",
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, usages: ["digital signature", "key encipherment", "client auth"],
            issuerRef: { name: `${obj}-ca`, kind: "Issuer" },
        }, [caIssuer]);
    }

    /**
     * A CronJob saving a snapshot (through a client certificate) to a volume of its own: etcdctl
     * (the etcd image has no shell) saves it, then a shell step names it after its UTC time and
     * prunes all but the newest `keepSnapshots`.
     */
    private snapshots(name: string, ns: string, plan: EtcdPlan, labels: Record<string, string>, clientLabel: Record<string, string>, clientSecret: string, endpoint: string): void {
        const child = { parent: this };
        const obj = plan.name;
        const backups = { name: "backups", mountPath: BACKUP_DIR };
        const disk = ETCD_EPHEMERAL_STORAGE;
        const resources = {
            requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": disk.request },
            limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": disk.limit },
        };
        const pvc = new k8s.core.v1.PersistentVolumeClaim(`${name}-backups`, {
            metadata: { name: `${obj}-backups`, namespace: ns, labels },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: plan.storageClassName, resources: { requests: { storage: plan.storageSize } } },
        }, child);
        new k8s.batch.v1.CronJob(`${name}-snapshot`, {
            metadata: { name: `${obj}-snapshot`, namespace: ns, labels },
            spec: {
                schedule: plan.snapshotSchedule,
                // One snapshot at a time; a run that cannot start in time waits for the next.
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: SNAPSHOT_STARTING_DEADLINE_SECONDS,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    spec: {
                        backoffLimit: 2,
                        activeDeadlineSeconds: 600,
                        template: {
                            metadata: { labels: { ...labels, ...clientLabel, "app.kubernetes.io/component": "etcd-snapshot" } },
                            spec: {
                                restartPolicy: "OnFailure",
                                automountServiceAccountToken: false,
                                securityContext: restrictedPodSecurity(UID),
                                initContainers: [{
                                    name: "save",
                                    image: plan.image,
                                    command: ["/usr/local/bin/etcdctl"],
                                    args: [
                                        `--endpoints=${endpoint}`, `--cacert=${TLS_DIR}/ca.crt`, `--cert=${TLS_DIR}/tls.crt`, `--key=${TLS_DIR}/tls.key`,
                                        "snapshot", "save", `${BACKUP_DIR}/${INCOMING_SNAPSHOT}`,
                                    ],
                                    resources,
                                    securityContext: restrictedContainerSecurity(UID),
                                    volumeMounts: [{ name: "tls", mountPath: TLS_DIR, readOnly: true }, backups],
                                }],
                                containers: [{
                                    name: "rotate",
                                    image: plan.shellImage,
                                    command: ["/bin/sh", "-c", snapshotJobScript(plan.keepSnapshots)],
                                    resources,
                                    securityContext: restrictedContainerSecurity(UID),
                                    volumeMounts: [backups],
                                }],
                                volumes: [
                                    { name: "tls", secret: { secretName: clientSecret, defaultMode: 0o440 } },
                                    { name: "backups", persistentVolumeClaim: { claimName: pvc.metadata.name } },
                                ],
                            },
                        },
                    },
                },
            },
        }, child);
    }
}

/** CPU limit: twice the request (etcd is latency-sensitive; throttling would stall heartbeats). */
function doubleCpu(cpu: string): string {
    return cpu.endsWith("m") ? `${Number(cpu.slice(0, -1)) * 2}m` : String(Number(cpu) * 2);
}

/**
 * @pulumi/tls, loaded only for `certificates: pulumi`: the core package depends on @pulumi/pulumi
 * and @pulumi/kubernetes alone, so a program that lets cert-manager issue the certificates needs
 * neither the package nor its provider plugin.
 */
function loadTls(): typeof tlsTypes {
    try {
        return require("@pulumi/tls") as typeof tlsTypes;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
        throw new Error('EtcdQuorum certificates "pulumi" needs the @pulumi/tls package: add it to the program (npm install @pulumi/tls), or set certificates to "cert-manager"');
    }
}
