/** Node autoscaling settings: Karpenter on EKS and GKE node auto-provisioning, from config to plan. */
import { describe, expect, it } from "vitest";
import { type PoolShape, clusterDemands, placeWorkloads, poolShapes } from "../components/src/planners/capacity";
import { planCluster } from "../components/src/planners/cluster";
import { KARPENTER_DEFAULTS, clusterLimits, ec2NodeClass, karpenterNodePool, planKarpenter, poolLimit } from "../components/src/planners/karpenter";
import { ConfigError, Problems } from "../core/src/validation";
import { problemsOf } from "./harness/config";
import { schemaErrors } from "./harness/schema";

const system = { name: "system", minNodes: 2, maxNodes: 4 };
const apps = { name: "apps", machineType: "m6i.xlarge", minNodes: 0, maxNodes: 10 };
const aws = (awsArgs: object, nodePools: object[] = [system, apps]) => ({ "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": { nodePools, aws: awsArgs } });
const C = "paas:cluster";

describe("Karpenter settings in paas:cluster.aws", () => {
    it("accepts Karpenter with a system pool and pools of known machine types starting at 0 nodes", () => {
        expect(problemsOf(aws({ nodeProvisioning: "karpenter" }))).toEqual([]);
        expect(problemsOf(aws({ nodeProvisioning: "karpenter", karpenter: { consolidateAfter: "1h30m", disruptionBudgetPercent: 0, expireAfter: "Never", controllerIdentity: "irsa" } }))).toEqual([]);
    });

    it("reports every problem at once, naming the key, before anything is registered", () => {
        expect(problemsOf(aws({ nodeProvisioning: "karpenter", karpenter: { consolidateAfter: "5 minutes", disruptionBudgetPercent: 150, expireAfter: "30d", controllerIdentity: "kiam" } },
            [system, { ...apps, minNodes: 2 }, { name: "big", machineType: "m7i.48xlarge", minNodes: 0, maxNodes: 2 }]))).toEqual([
            `${C}.aws.karpenter.controllerIdentity must be one of "irsa", "podIdentity"`,
            `${C}.nodePools[1].minNodes must be 0 when Karpenter provisions the pool (aws.nodeProvisioning karpenter): Karpenter keeps no minimum, nodes follow the pending pods`,
            `${C}.nodePools[2].machineType must be a machine type of the planner's table (m6i.large, m6i.xlarge, m6i.2xlarge, e2-standard-4, n2-standard-8, Standard_D4s_v5, Standard_D8s_v5) when Karpenter provisions the pool: the limits are maxNodes × its vCPUs and memory`,
            `${C}.aws.karpenter.consolidateAfter must be a duration of whole seconds, minutes or hours such as "30s", "5m" or "1h30m"`,
            `${C}.aws.karpenter.expireAfter must be a duration of whole seconds, minutes or hours such as "720h", or "Never"`,
            `${C}.aws.karpenter.disruptionBudgetPercent must be an integer from 0 to 100`,
        ]);
        expect(problemsOf(aws({ nodeProvisioning: "autopilot" }))).toEqual([`${C}.aws.nodeProvisioning must be one of "managedGroups", "karpenter"`]);
        const reserved = aws({ nodeProvisioning: "karpenter" }, [system, { ...apps, labels: { "karpenter.sh/capacity-type": "spot", "team": "a", "x.karpenter.k8s.aws/zone": "b" } }]);
        expect(problemsOf({ ...reserved, "paas:cluster": { ...(reserved["paas:cluster"] as object), tags: { "kubernetes.io/cluster/paas-test": "owned", "eks:eks-cluster-name": "x", owner: "a" } } })).toEqual([
            `${C}.nodePools[1].labels["karpenter.sh/capacity-type"] must not be in Karpenter's own label domains (karpenter.sh, karpenter.k8s.aws, karpenter.azure.com) when Karpenter provisions the pool: Karpenter sets those itself`,
            `${C}.nodePools[1].labels["x.karpenter.k8s.aws/zone"] must not be in Karpenter's own label domains (karpenter.sh, karpenter.k8s.aws, karpenter.azure.com) when Karpenter provisions the pool: Karpenter sets those itself`,
            `${C}.tags["kubernetes.io/cluster/paas-test"] is a tag Karpenter sets on the instances it launches, so its EC2NodeClass refuses it; remove it`,
            `${C}.tags["eks:eks-cluster-name"] is a tag Karpenter sets on the instances it launches, so its EC2NodeClass refuses it; remove it`,
        ]);
        expect(problemsOf(aws({ nodeProvisioning: "karpenter" }, [system]))).toEqual([
            `${C}.aws.nodeProvisioning needs a node pool after the first: the first pool stays a node group of the cloud for the system add-ons and Karpenter provisions the others`]);
        expect(problemsOf(aws({ karpenter: { consolidateAfter: "1m" } }))).toEqual([`${C}.aws.karpenter is only used with ${C}.aws.nodeProvisioning "karpenter" (it is "managedGroups")`]);
        expect(problemsOf(aws({ nodeProvisioning: "karpenter", karpenter: { consolidationPolicy: "WhenEmpty" } }))[0]).toMatch(/^paas:cluster\.aws\.karpenter\.consolidationPolicy is not a known key/);
    });

    it("names the value and what is allowed in the error text", () => {
        const problems = new Problems();
        planCluster({ cloud: "aws", nodePools: [system, apps], aws: { nodeProvisioning: "karpenter", karpenter: { disruptionBudgetPercent: -5 } } }, "args", problems, "c");
        expect(() => problems.throwIfAny("KubernetesCluster \"c\" arguments")).toThrow(ConfigError);
        expect(() => problems.throwIfAny("x")).toThrow(/args\.aws\.karpenter\.disruptionBudgetPercent must be an integer from 0 to 100, got -5/);
    });

    it("resolves the defaults once", () => {
        const plan = planCluster({ cloud: "aws", nodePools: [system, apps], aws: { nodeProvisioning: "karpenter" } }, "c", new Problems(), "c");
        expect(plan.aws?.karpenter).toEqual({ controllerIdentity: "podIdentity", consolidateAfter: "5m", disruptionBudgetPercent: 10, expireAfter: "720h" });
        expect(plan.nodePools.map((p) => [p.name, p.karpenter])).toEqual([["system", false], ["apps", true]]);
        expect(planCluster({ cloud: "aws", nodePools: [system, apps] }, "c", new Problems(), "c").aws?.nodeProvisioning).toBe("managedGroups");
        expect(planKarpenter(undefined, "k", new Problems())).toEqual({ ...KARPENTER_DEFAULTS });
    });
});

describe("limits from the pools' maxima", () => {
    it("is maxNodes × the machine type's vCPUs and memory", () => {
        expect(poolLimit({ machineType: "m6i.xlarge", maxNodes: 10 })).toEqual({ vcpu: 40, memoryGiB: 160 });
        expect(poolLimit({ machineType: "m7i.48xlarge", maxNodes: 1 })).toBeUndefined();
        expect(clusterLimits([{ machineType: "e2-standard-4", minNodes: 1, maxNodes: 3 }, { machineType: "n2-standard-8", minNodes: 0, maxNodes: 5 }]))
            .toEqual({ min: { vcpu: 4, memoryGiB: 16 }, max: { vcpu: 52, memoryGiB: 208 } });
    });

    it("refuses GKE node auto-provisioning over a machine type of unknown size", () => {
        expect(problemsOf({ "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:cluster": {
            nodePools: [{ name: "system", minNodes: 1, maxNodes: 3 }, { name: "big", machineType: "c3-standard-176", minNodes: 0, maxNodes: 2 }], gcp: { nodeAutoProvisioning: true } } })).toEqual([
            `${C}.nodePools[1].machineType must be a machine type of the planner's table (m6i.large, m6i.xlarge, m6i.2xlarge, e2-standard-4, n2-standard-8, Standard_D4s_v5, Standard_D8s_v5) when ${C}.gcp.nodeAutoProvisioning is on: the limits are maxNodes × its vCPUs and memory`]);
        expect(problemsOf({ "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:cluster": { gcp: { nodeAutoProvisioning: "yes" } } })[0]).toMatch(/^paas:cluster\.gcp\.nodeAutoProvisioning must be/);
    });
});

describe("Karpenter objects", () => {
    const pool = { name: "batch", machineType: "m6i.large", maxNodes: 8, spot: true, diskSizeGb: 50, labels: { team: "data" } };
    const plan = { controllerIdentity: "podIdentity" as const, consolidateAfter: "2m", disruptionBudgetPercent: 20, expireAfter: "Never" };

    it("validate against the Karpenter v1 schemas, and the check can fail", async () => {
        expect(await schemaErrors(karpenterNodePool(pool, plan, "paas.dev/node-pool", { group: "karpenter.k8s.aws", kind: "EC2NodeClass" }, ["eu-west-1a"]))).toBe("");
        expect(await schemaErrors(ec2NodeClass(pool, "profile", ["subnet-0123456789abcdef0"], "sg-0123456789abcdef0", { env: "x" }))).toBe("");
        const broken = karpenterNodePool(pool, { ...plan, disruptionBudgetPercent: 101 }, "paas.dev/node-pool", { group: "karpenter.k8s.aws", kind: "EC2NodeClass" }, []);
        expect(await schemaErrors(broken)).toBe('data/spec/disruption/budgets/0/nodes must match pattern "^((100|[0-9]{1,2})%|[0-9]+)$"');
        expect(await schemaErrors(ec2NodeClass(pool, "profile", ["paas-private-0"], "sg-0123456789abcdef0", {}))).toBe('data/spec/subnetSelectorTerms/0/id must match pattern "subnet-[0-9a-z]+"');
    });

    it("sizes a spot pool: 8 × m6i.large, capacity type spot, labels and the pool's disk", () => {
        const np = karpenterNodePool(pool, plan, "paas.dev/node-pool", { group: "karpenter.k8s.aws", kind: "EC2NodeClass" }, []);
        expect(np.spec.limits).toEqual({ cpu: "16", memory: "64Gi" });
        expect(np.spec.template.metadata.labels).toEqual({ team: "data", "paas.dev/node-pool": "batch" });
        expect(np.spec.template.spec.requirements[1]).toEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] });
        expect(np.spec.template.spec.expireAfter).toBe("Never");
        expect(np.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "2m", budgets: [{ nodes: "20%" }] });
        expect(ec2NodeClass(pool, "p", [], "sg", {}).spec.blockDeviceMappings[0].ebs.volumeSize).toBe("50Gi");
    });
});

describe("the capacity plan of Karpenter pools", () => {
    it("counts Karpenter's controller on the system pool as its chart places it", () => {
        const plan = planCluster({ cloud: "aws", nodePools: [system, apps], aws: { nodeProvisioning: "karpenter" } }, "c", new Problems(), "c");
        expect(clusterDemands(plan)).toEqual([{
            name: "karpenter", kind: "add-on", minReplicas: 2, maxReplicas: 2, cpu: 250, memory: 512 * 2 ** 20,
            nodeSelector: { "paas.dev/node-pool": "system" }, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }], zoneSpread: "hard", onePerNode: true, critical: true,
        }]);
        // Managed node groups: the cluster autoscaler instead; other clouds: nothing of the cluster component's own.
        expect(clusterDemands(planCluster({ cloud: "aws", nodePools: [system, { ...apps, minNodes: 1 }] }, "c", new Problems(), "c"))).toEqual([{
            name: "cluster-autoscaler", kind: "add-on", minReplicas: 1, maxReplicas: 1, cpu: 100, memory: 300 * 2 ** 20,
            nodeSelector: { "paas.dev/node-pool": "system" }, tolerations: [], zoneSpread: "none", onePerNode: false, critical: true,
        }]);
        expect(clusterDemands(planCluster({ cloud: "gcp", nodePools: [{ name: "system", minNodes: 1, maxNodes: 3 }] }, "c", new Problems(), "c"))).toEqual([]);
        const placed = placeWorkloads((poolShapes(plan) as { pools: PoolShape[] }).pools, clusterDemands(plan), "min").placement.karpenter;
        expect(placed).toEqual(["system-0", "system-1"]);
    });

    const cluster = planCluster({ cloud: "aws", nodePools: [system, apps], aws: { nodeProvisioning: "karpenter" } }, "c", new Problems(), "c");
    const pools = (poolShapes(cluster) as { pools: PoolShape[] }).pools;
    const web = { name: "web", kind: "Deployment", minReplicas: 10, maxReplicas: 40, cpu: 1000, memory: 2 ** 30, nodeSelector: { "karpenter.sh/nodepool": "apps" }, tolerations: [], zoneSpread: "none" as const, onePerNode: false };

    it("places a critical pod before bigger ordinary ones, as preemption would", () => {
        const shapes = (poolShapes(planCluster({ cloud: "aws", nodePools: [{ name: "system", minNodes: 1, maxNodes: 1 }] }, "c", new Problems(), "c")) as { pools: PoolShape[] }).pools;
        // m6i.large leaves 1805m to pods: one 1500m pod, then no room for the 400m controller unless it goes first.
        const big = { ...web, name: "big", nodeSelector: {}, minReplicas: 1, maxReplicas: 1, cpu: 1500 };
        const controller = { ...web, name: "controller", kind: "add-on", nodeSelector: { "paas.dev/node-pool": "system" }, minReplicas: 1, maxReplicas: 1, cpu: 400 };
        expect(placeWorkloads(shapes, [big, controller], "max").unplaced.map((u) => u.workload)).toEqual(["controller"]);
        expect(placeWorkloads(shapes, [big, { ...controller, critical: true }], "max").unplaced.map((u) => u.workload)).toEqual(["big"]);
    });

    it("labels Karpenter's nodes as Karpenter does, and marks the pool elastic", () => {
        expect(pools[1]).toMatchObject({
            name: "apps", minNodes: 0, maxNodes: 10, elastic: true, taints: [],
            labels: { "node.kubernetes.io/instance-type": "m6i.xlarge", "paas.dev/node-pool": "apps", "karpenter.sh/nodepool": "apps", "karpenter.sh/capacity-type": "on-demand" },
        });
        expect(pools[0].elastic).toBeUndefined();
    });

    it("grows the pool to what the pods need at the minima, and to its limit at the maxima", () => {
        const min = placeWorkloads(pools, [web], "min");
        expect(min.fits).toBe(true);
        // 10 pods of 1 CPU on m6i.xlarge (3.8 CPU left to pods): 3 per node, 4 nodes.
        expect(min.pools[1]).toMatchObject({ pool: "apps", nodes: 4 });
        expect(min.pools[0]).toMatchObject({ pool: "system", nodes: 2 });
        const max = placeWorkloads(pools, [web], "max");
        expect(max.pools[1]).toMatchObject({ pool: "apps", nodes: 10 });
        expect(max.unplaced).toEqual([{ workload: "web", kind: "Deployment", pods: 10, reason: "no node of pool(s) apps has 1000m CPU, 1024Mi memory and a pod slot free" }]);
    });
});
