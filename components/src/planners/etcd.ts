/**
 * etcd quorum planner. An etcd cluster of n = 2f + 1 members commits a write once a majority
 * (the quorum, ⌊n/2⌋ + 1) has it, so it keeps serving with f members down and stops accepting
 * writes with f + 1 down. Every size-dependent number of the EtcdQuorum comes from here.
 */
import { Problems } from "../validation";
import { MEMORY_QUANTITY, CPU_QUANTITY } from "./workload";

/** The etcd release the manifests pin (3.6 line). Keep in step with toolchain.versions ETCD_VERSION. */
export const ETCD_VERSION = "v3.6.16";
export const ETCD_IMAGE = `quay.io/coreos/etcd:${ETCD_VERSION}`;
export const PEER_PORT = 2380;
export const CLIENT_PORT = 2379;
export const METRICS_PORT = 2381;

export interface EtcdArgs {
    /** Number of members: odd, 3 to 7 (1 only with `allowSingleMember`). @default 3 */
    members?: number;
    /** Allow a single member (development only: no fault tolerance at all). @default false */
    allowSingleMember?: boolean;
    /** Size of each member's volume. @default 10Gi */
    storageSize?: string;
    /** StorageClass of the member volumes. @default - the cluster's default class */
    storageClassName?: string;
    /** Backend quota in bytes (etcd raises NOSPACE beyond it). @default 8589934592 (8 GiB, etcd's recommended maximum) */
    quotaBackendBytes?: number;
    /** Periodic auto-compaction retention. @default 1h */
    autoCompactionRetention?: string;
    /** Cron schedule of the snapshot backup. @default every 6 hours */
    snapshotSchedule?: string;
    /** CPU request (and twice that as limit). @default 500m */
    cpu?: string;
    /** Memory request and limit. @default 1Gi */
    memory?: string;
}

export interface QuorumPlan {
    readonly members: number;
    /** ⌊n/2⌋ + 1: members that must agree on every write. */
    readonly quorum: number;
    /** n − quorum = ⌊(n−1)/2⌋: members that may fail while writes still succeed. */
    readonly faultTolerance: number;
}

export function planQuorum(members: number): QuorumPlan {
    const quorum = Math.floor(members / 2) + 1;
    return { members, quorum, faultTolerance: members - quorum };
}

export interface EtcdPlan extends QuorumPlan {
    readonly storageSize: string;
    readonly storageClassName?: string;
    readonly quotaBackendBytes: number;
    readonly autoCompactionRetention: string;
    readonly snapshotSchedule: string;
    readonly cpu: string;
    readonly memory: string;
    readonly image: string;
}

export function checkEtcd(a: EtcdArgs, path: string, problems: Problems): void {
    const n = a.members ?? 3;
    if (!Number.isInteger(n) || n < 1 || n > 7 || n % 2 === 0)
        problems.add(`${path}.members`, n, "must be an odd number from 3 to 7 (2f+1 members tolerate f failures)");
    else if (n === 1 && !a.allowSingleMember)
        problems.add(`${path}.members`, n, "must be 3 to 7; a single member has no fault tolerance (set allowSingleMember: true for development)");
    if (a.storageSize !== undefined && !MEMORY_QUANTITY.test(a.storageSize)) problems.add(`${path}.storageSize`, a.storageSize, 'must be a size such as "10Gi"');
    const q = a.quotaBackendBytes;
    if (q !== undefined && (!Number.isInteger(q) || q < 2 ** 30 || q > 8 * 2 ** 30))
        problems.add(`${path}.quotaBackendBytes`, q, "must be an integer number of bytes from 1 GiB to 8 GiB");
    if (a.autoCompactionRetention !== undefined && !/^[0-9]+(m|h)$/.test(a.autoCompactionRetention))
        problems.add(`${path}.autoCompactionRetention`, a.autoCompactionRetention, 'must be a duration in minutes or hours such as "30m" or "1h"');
    if (a.snapshotSchedule !== undefined && a.snapshotSchedule.trim().split(/\s+/).length !== 5)
        problems.add(`${path}.snapshotSchedule`, a.snapshotSchedule, 'must be a cron schedule of five fields such as "0 */6 * * *"');
    if (a.cpu !== undefined && !CPU_QUANTITY.test(a.cpu)) problems.add(`${path}.cpu`, a.cpu, 'must be a CPU quantity such as "500m"');
    if (a.memory !== undefined && !MEMORY_QUANTITY.test(a.memory)) problems.add(`${path}.memory`, a.memory, 'must be a memory quantity such as "1Gi"');
}

export function planEtcd(a: EtcdArgs): EtcdPlan {
    return {
        ...planQuorum(a.members ?? 3),
        storageSize: a.storageSize ?? "10Gi",
        storageClassName: a.storageClassName,
        quotaBackendBytes: a.quotaBackendBytes ?? 8 * 2 ** 30,
        autoCompactionRetention: a.autoCompactionRetention ?? "1h",
        snapshotSchedule: a.snapshotSchedule ?? "0 */6 * * *",
        cpu: a.cpu ?? "500m",
        memory: a.memory ?? "1Gi",
        image: ETCD_IMAGE,
    };
}

/** Where a member lives: its name and the URLs it advertises and listens on. */
export interface MemberAddress {
    readonly name: string;
    readonly peerUrl: string;
    readonly clientUrl: string;
    readonly listenPeerUrl: string;
    readonly listenClientUrl: string;
    readonly listenMetricsUrl: string;
    readonly dataDir: string;
}

/** Files of the TLS material a member reads. */
export interface TlsFiles {
    readonly ca: string;
    readonly serverCert: string;
    readonly serverKey: string;
    readonly peerCert: string;
    readonly peerKey: string;
}

/** How members are addressed: on Kubernetes by stable DNS names, in tests on loopback ports. */
export interface Addressing {
    /** Member i (0-based), as every member's --initial-cluster lists it. */
    member(i: number): MemberAddress;
    readonly tls: TlsFiles;
    /** Shared by all members: distinguishes this cluster's bootstrap from another's. */
    readonly clusterToken: string;
}

/** Stable DNS names of a StatefulSet behind its headless Service. */
export function kubernetesAddressing(name: string, namespace: string, tlsDir = "/etc/etcd/tls", clusterDomain = "cluster.local"): Addressing & { template: MemberAddress } {
    const host = (pod: string) => `${pod}.${name}-peer.${namespace}.svc.${clusterDomain}`;
    const at = (pod: string): MemberAddress => ({
        name: pod,
        peerUrl: `https://${host(pod)}:${PEER_PORT}`,
        clientUrl: `https://${host(pod)}:${CLIENT_PORT}`,
        listenPeerUrl: `https://0.0.0.0:${PEER_PORT}`,
        listenClientUrl: `https://0.0.0.0:${CLIENT_PORT}`,
        listenMetricsUrl: `http://0.0.0.0:${METRICS_PORT}`,
        dataDir: "/var/lib/etcd/data",
    });
    return {
        member: (i) => at(`${name}-${i}`),
        // The pod template cannot know its ordinal: the kubelet expands $(POD_NAME) from the env.
        template: at("$(POD_NAME)"),
        tls: { ca: `${tlsDir}/ca.crt`, serverCert: `${tlsDir}/tls.crt`, serverKey: `${tlsDir}/tls.key`, peerCert: `${tlsDir}/tls.crt`, peerKey: `${tlsDir}/tls.key` },
        clusterToken: `${namespace}-${name}`,
    };
}

/** Loopback addressing for real processes in tests: member i uses ports base+10i … base+10i+2. */
export function loopbackAddressing(basePort: number, dataRoot: string, tlsDir: string, token = "paas-test"): Addressing {
    return {
        member: (i) => {
            const p = basePort + 10 * i;
            return {
                name: `m${i}`,
                peerUrl: `https://127.0.0.1:${p}`,
                clientUrl: `https://127.0.0.1:${p + 1}`,
                listenPeerUrl: `https://127.0.0.1:${p}`,
                listenClientUrl: `https://127.0.0.1:${p + 1}`,
                listenMetricsUrl: `http://127.0.0.1:${p + 2}`,
                dataDir: `${dataRoot}/m${i}`,
            };
        },
        tls: { ca: `${tlsDir}/ca.crt`, serverCert: `${tlsDir}/server.crt`, serverKey: `${tlsDir}/server.key`, peerCert: `${tlsDir}/server.crt`, peerKey: `${tlsDir}/server.key` },
        clusterToken: token,
    };
}

/**
 * The command line of one member. `self` is the member's own address (on Kubernetes the pod
 * template's `$(POD_NAME)` form); the initial cluster lists every member of `addressing`.
 */
export function memberFlags(plan: EtcdPlan, addressing: Addressing, self: MemberAddress): string[] {
    const initialCluster = Array.from({ length: plan.members }, (_, i) => addressing.member(i)).map((m) => `${m.name}=${m.peerUrl}`).join(",");
    const t = addressing.tls;
    return [
        `--name=${self.name}`,
        `--data-dir=${self.dataDir}`,
        `--initial-cluster=${initialCluster}`,
        "--initial-cluster-state=new",
        `--initial-cluster-token=${addressing.clusterToken}`,
        `--initial-advertise-peer-urls=${self.peerUrl}`,
        `--listen-peer-urls=${self.listenPeerUrl}`,
        `--advertise-client-urls=${self.clientUrl}`,
        `--listen-client-urls=${self.listenClientUrl}`,
        `--listen-metrics-urls=${self.listenMetricsUrl}`,
        // Client traffic: TLS, and only clients with a certificate from our CA.
        `--cert-file=${t.serverCert}`,
        `--key-file=${t.serverKey}`,
        `--trusted-ca-file=${t.ca}`,
        "--client-cert-auth=true",
        // Peer traffic: the same, both ways.
        `--peer-cert-file=${t.peerCert}`,
        `--peer-key-file=${t.peerKey}`,
        `--peer-trusted-ca-file=${t.ca}`,
        "--peer-client-cert-auth=true",
        "--auto-compaction-mode=periodic",
        `--auto-compaction-retention=${plan.autoCompactionRetention}`,
        `--quota-backend-bytes=${plan.quotaBackendBytes}`,
        "--logger=zap",
        "--log-outputs=stderr",
    ];
}
