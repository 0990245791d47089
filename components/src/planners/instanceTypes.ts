/**
 * The machine types the stacks and the defaults use, and what a node of each leaves to pods:
 * capacity minus what each cloud's node bootstrap reserves for the kubelet, the container runtime
 * and the OS (kube-reserved + system-reserved) and the kubelet's hard eviction threshold. Pure.
 *
 * Memory is the type's nominal size; the kernel reports a little less (firmware, kernel), so a
 * real node's allocatable memory can be a few percent below these figures.
 */
import type { Cloud } from "./cluster";

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface InstanceType {
    readonly cloud: Exclude<Cloud, "local">;
    readonly vcpu: number;
    readonly memoryGiB: number;
    /** Pods a node of the type runs at most, with the cluster settings the platform uses. */
    readonly maxPods: number;
}

/** What the scheduler may place on one node. */
export interface Allocatable {
    /** Millicores. */
    readonly cpu: number;
    /** Bytes. */
    readonly memory: number;
    readonly pods: number;
}

/**
 * Max pods: EKS with the VPC CNI gives each pod an address of the node's ENIs, (ENIs × (IPv4
 * addresses per ENI − 1)) + 2: m6i.large has 3 ENIs of 10 addresses (29), xlarge and 2xlarge
 * 4 of 15 (58). GKE Standard defaults to 110 pods per node; AKS with Azure CNI Overlay to 250.
 */
const EKS = (vcpu: number, memoryGiB: number, maxPods: number): InstanceType => ({ cloud: "aws", vcpu, memoryGiB, maxPods });
const GKE = (vcpu: number, memoryGiB: number): InstanceType => ({ cloud: "gcp", vcpu, memoryGiB, maxPods: 110 });
const AKS = (vcpu: number, memoryGiB: number): InstanceType => ({ cloud: "azure", vcpu, memoryGiB, maxPods: 250 });

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
    "m6i.large": EKS(2, 8, 29),
    "m6i.xlarge": EKS(4, 16, 58),
    "m6i.2xlarge": EKS(8, 32, 58),
    "e2-standard-4": GKE(4, 16),
    "n2-standard-8": GKE(8, 32),
    "Standard_D4s_v5": AKS(4, 16),
    "Standard_D8s_v5": AKS(8, 32),
};

/** The kubelet's hard eviction threshold on all three clouds: memory.available < 100Mi. */
export const EVICTION_MEMORY = 100 * MiB;

/**
 * CPU reserved by the EKS AMIs and GKE: 6 % of the first core, 1 % of the second, 0.5 % of the
 * third and fourth, 0.25 % of every core above four (millicores).
 */
export function tieredCpuReserve(vcpu: number): number {
    // Rates in millicores per core: 60, 10, 5 and 2.5 are exact in floating point.
    return tiered(vcpu, [[1, 60], [1, 10], [2, 5], [Infinity, 2.5]]);
}

/** AKS's kube-reserved CPU by core count (millicores); AKS publishes it for these counts only. */
export const AKS_CPU_RESERVE: Readonly<Record<number, number>> = { 1: 60, 2: 100, 4: 140, 8: 180, 16: 260, 32: 420, 64: 740 };

/** GKE's memory reservation: 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112, 2 % above 128 GiB (255 MiB below 1 GiB). */
export function gkeMemoryReserve(memoryBytes: number): number {
    if (memoryBytes < GiB) return 255 * MiB;
    return tiered(memoryBytes, [[4 * GiB, 0.25], [4 * GiB, 0.2], [8 * GiB, 0.1], [112 * GiB, 0.06], [Infinity, 0.02]]);
}

/** The EKS AMIs' memory reservation: 255 MiB plus 11 MiB per pod the node may run. */
export function eksMemoryReserve(maxPods: number): number {
    return (255 + 11 * maxPods) * MiB;
}

/** AKS from 1.29 (every version the platform supports): 20 MiB per pod plus 50 MiB, at most 25 % of the memory. */
export function aksMemoryReserve(memoryBytes: number, maxPods: number): number {
    return Math.min((20 * maxPods + 50) * MiB, 0.25 * memoryBytes);
}

/** Σ over the tiers of (the part of `amount` in the tier) × its rate; tiers are [width, rate]. */
function tiered(amount: number, tiers: readonly (readonly [number, number])[]): number {
    let left = amount;
    let total = 0;
    for (const [width, rate] of tiers) {
        const part = Math.min(left, width);
        total += part * rate;
        left -= part;
        if (left <= 0) break;
    }
    return total;
}

/** A node's allocatable resources, or undefined for a type the table does not know. */
export function allocatable(machineType: string): Allocatable | undefined {
    const t = INSTANCE_TYPES[machineType];
    if (!t) return undefined;
    const memory = t.memoryGiB * GiB;
    const reserved = reservation(t, memory);
    // Reservations are whole millicores and MiB, rounded up: the kubelet takes at least this.
    return {
        cpu: t.vcpu * 1000 - Math.ceil(reserved.cpu),
        memory: memory - Math.ceil(reserved.memory / MiB) * MiB - EVICTION_MEMORY,
        pods: t.maxPods,
    };
}

function reservation(t: InstanceType, memory: number): { cpu: number; memory: number } {
    switch (t.cloud) {
        case "aws":
            return { cpu: tieredCpuReserve(t.vcpu), memory: eksMemoryReserve(t.maxPods) };
        case "gcp":
            return { cpu: tieredCpuReserve(t.vcpu), memory: gkeMemoryReserve(memory) };
        case "azure": {
            const cpu = AKS_CPU_RESERVE[t.vcpu];
            if (cpu === undefined) throw new RangeError(`AKS publishes no CPU reservation for ${t.vcpu} cores`);
            return { cpu, memory: aksMemoryReserve(memory, t.maxPods) };
        }
        default: {
            const never: never = t.cloud;
            throw new Error(`unknown cloud ${never}`);
        }
    }
}
