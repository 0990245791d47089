/** The cluster planner's AKS rules: default pools that can run workloads, and non-overlapping ranges. */
import { describe, expect, it } from "vitest";
import { CLUSTER_DEFAULTS, type KubernetesClusterArgs, defaultNodePools, planCluster } from "../components/src/planners/cluster";
import { Problems, formatProblem } from "../core/src/validation";

function plan(args: Omit<KubernetesClusterArgs, "cloud"> & { cloud?: KubernetesClusterArgs["cloud"] }) {
    const problems = new Problems();
    const p = planCluster({ cloud: "azure", ...args }, "paas:cluster", problems, "paas-test");
    return { plan: p, problems: problems.list.map(formatProblem) };
}

describe("AKS node pools", () => {
    it("adds an untainted, zonal, autoscaling user pool to the tainted system pool when none is configured", () => {
        const { plan: p, problems } = plan({});
        expect(problems).toEqual([]);
        expect(p.nodePools.map((n) => [n.name, n.minNodes, n.maxNodes, n.system, n.criticalAddonsOnly, n.spot])).toEqual([
            ["system", 2, 6, true, true, false],
            ["apps", 2, 10, false, false, false],
        ]);
        expect(defaultNodePools("azure")).toEqual([CLUSTER_DEFAULTS.systemPool, CLUSTER_DEFAULTS.azureUserPool]);
    });

    it("keeps one default pool elsewhere: EKS and GKE do not taint their system pool", () => {
        for (const cloud of ["aws", "gcp"] as const) {
            expect(defaultNodePools(cloud)).toEqual([{ name: "system", minNodes: 2, maxNodes: 6 }]);
            expect(plan({ cloud }).plan.nodePools.map((n) => n.criticalAddonsOnly)).toEqual([false]);
            expect(plan({ cloud, nodePools: [{ name: "system", minNodes: 1, maxNodes: 3 }, { name: "apps", minNodes: 1, maxNodes: 3 }] }).plan.nodePools.map((n) => n.criticalAddonsOnly)).toEqual([false, false]);
        }
    });

    it("leaves the system pool open to workloads when it is the only pool, or the others are all spot", () => {
        const system = { name: "system", minNodes: 1, maxNodes: 3 };
        expect(plan({ nodePools: [system] }).plan.nodePools.map((n) => n.criticalAddonsOnly)).toEqual([false]);
        expect(plan({ nodePools: [system, { name: "spot", minNodes: 0, maxNodes: 5, spot: true }] }).plan.nodePools.map((n) => n.criticalAddonsOnly)).toEqual([false, false]);
        expect(plan({ nodePools: [system, { name: "spot", minNodes: 0, maxNodes: 5, spot: true }, { name: "apps", minNodes: 1, maxNodes: 5 }] }).plan.nodePools.map((n) => n.criticalAddonsOnly))
            .toEqual([true, false, false]);
    });
});

describe("AKS address ranges", () => {
    it("defaults to disjoint ranges with the DNS service at the 10th service address", () => {
        const { plan: p, problems } = plan({});
        expect(problems).toEqual([]);
        expect(p.azure).toMatchObject({ vnetCidr: "10.224.0.0/12", nodeSubnetCidr: "10.224.0.0/16", podCidr: "10.244.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIp: "10.0.0.10" });
    });

    it("derives the DNS service IP from a configured service range", () => {
        expect(plan({ azure: { serviceCidr: "172.20.0.0/16" } }).plan.azure?.dnsServiceIp).toBe("172.20.0.10");
    });

    const cases: [string, NonNullable<KubernetesClusterArgs["azure"]>, string[]][] = [
        ["service and pod ranges inside the VNet", { vnetCidr: "10.0.0.0/8" }, [
            'paas:cluster.azure.podCidr must not overlap vnetCidr (10.0.0.0/8), got "10.244.0.0/16"',
            'paas:cluster.azure.serviceCidr must not overlap vnetCidr (10.0.0.0/8), got "10.0.0.0/16"',
        ]],
        ["VNet over the default service range", { vnetCidr: "10.0.0.0/16" },
            ['paas:cluster.azure.serviceCidr must not overlap vnetCidr (10.0.0.0/16), got "10.0.0.0/16"']],
        ["pod range inside the VNet", { vnetCidr: "10.240.0.0/12" },
            ['paas:cluster.azure.podCidr must not overlap vnetCidr (10.240.0.0/12), got "10.244.0.0/16"']],
        ["pod and service ranges overlapping", { podCidr: "10.0.128.0/17" },
            ['paas:cluster.azure.serviceCidr must not overlap podCidr (10.0.128.0/17), got "10.0.0.0/16"']],
        ["service range with host bits", { serviceCidr: "10.0.0.1/16" },
            ['paas:cluster.azure.serviceCidr must be an IPv4 CIDR block with no host bits set, got "10.0.0.1/16"']],
        ["DNS IP outside the service range", { dnsServiceIp: "10.1.0.10" },
            ['paas:cluster.azure.dnsServiceIp must be an IPv4 address inside serviceCidr (10.0.0.0/16), other than its network address, its first address (the kubernetes Service) and its last, got "10.1.0.10"']],
        ["DNS IP on the kubernetes Service's address", { dnsServiceIp: "10.0.0.1" },
            ['paas:cluster.azure.dnsServiceIp must be an IPv4 address inside serviceCidr (10.0.0.0/16), other than its network address, its first address (the kubernetes Service) and its last, got "10.0.0.1"']],
        ["DNS IP that is no address", { dnsServiceIp: "10.0.0.300" },
            ['paas:cluster.azure.dnsServiceIp must be an IPv4 address inside serviceCidr (10.0.0.0/16), other than its network address, its first address (the kubernetes Service) and its last, got "10.0.0.300"']],
        ["default DNS IP outside a tiny service range", { serviceCidr: "192.168.0.0/29" },
            ['paas:cluster.azure.dnsServiceIp must be an IPv4 address inside serviceCidr (192.168.0.0/29), other than its network address, its first address (the kubernetes Service) and its last, got "192.168.0.10"']],
    ];
    it.each(cases)("refuses %s", (_, azure, expected) => {
        expect(plan({ azure }).problems).toEqual(expected);
    });

    it("accepts custom disjoint ranges with a DNS IP inside the service range", () => {
        expect(plan({ azure: { vnetCidr: "10.0.0.0/16", serviceCidr: "172.20.0.0/16", podCidr: "192.168.0.0/16", dnsServiceIp: "172.20.255.254" } }).problems).toEqual([]);
        expect(plan({ azure: { serviceCidr: "172.20.0.0/16", dnsServiceIp: "172.20.255.255" } }).problems).toHaveLength(1);
    });
});
