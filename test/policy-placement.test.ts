import { describe, expect, it } from "vitest";
import { stackPools, workloadHasPool } from "../policies/src/placement";
import type { Subject } from "../policies/src/policy";
import { runStackPolicy } from "../policies/src/run";
import { runStack } from "./harness/stacks";

const k = (type: string, props: Record<string, any>, name = props.metadata?.name ?? "x"): Subject => ({ type, name, urn: `urn:pulumi:t::paas::${type}::${name}`, props });
const workload = (kind: "Deployment" | "StatefulSet", spec: object = {}) =>
    k(`kubernetes:apps/v1:${kind}`, { kind, metadata: { name: "web", namespace: "apps" }, spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "a:1" }], ...spec } } } });
const nodeGroup = (name: string, props: object = {}) => k("aws:eks/nodeGroup:NodeGroup", { nodeGroupName: name, labels: { "paas.dev/node-pool": name }, ...props }, name);
const gpuTaint = { key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" };
const msgs = (rs: Subject[]) => runStackPolicy(workloadHasPool, rs).map((v) => v.message);

describe("stack-workload-has-node-pool", () => {
    it("passes when some pool admits the pods", () => {
        expect(msgs([workload("Deployment"), nodeGroup("system"), nodeGroup("gpu", { taints: [gpuTaint] })])).toEqual([]);
        expect(msgs([workload("StatefulSet", { nodeSelector: { "paas.dev/node-pool": "gpu" }, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }),
            nodeGroup("system"), nodeGroup("gpu", { taints: [gpuTaint] })])).toEqual([]);
        // A stack that builds no pool (an existing cluster) is not checked.
        expect(msgs([workload("Deployment", { nodeSelector: { disk: "ssd" } })])).toEqual([]);
    });

    it("flags pods that no pool admits, naming each pool's reason", () => {
        expect(msgs([workload("Deployment", { nodeSelector: { "paas.dev/node-pool": "gpu" } }), nodeGroup("system"), nodeGroup("gpu", { taints: [gpuTaint] })])).toEqual([
            'Deployment "apps/web": its pods can land on no node pool (pool system lacks the label paas.dev/node-pool=gpu; pool gpu has the taint nvidia.com/gpu=true:NoSchedule, not tolerated); fix the node selector or affinity, or add a toleration']);
        const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "eks.amazonaws.com/capacityType", operator: "In", values: ["SPOT"] }] }] } } };
        expect(msgs([workload("StatefulSet", { affinity }), nodeGroup("system")])).toEqual([
            'StatefulSet "apps/web": its pods can land on no node pool (pool system matches none of the required node affinity terms); fix the node selector or affinity, or add a toleration']);
        expect(msgs([workload("StatefulSet", { affinity }), nodeGroup("system"), nodeGroup("spot", { capacityType: "SPOT" })])).toEqual([]);
        expect(runStackPolicy(workloadHasPool, [workload("Deployment", { nodeSelector: { a: "b" } }), nodeGroup("system")])[0].urn).toBe(workload("Deployment").urn);
    });

    it("reads the pools of GKE and AKS with the labels and taints the cloud adds", () => {
        const gke = k("gcp:container/nodePool:NodePool", { name: "batch", nodeConfig: { spot: true, labels: { team: "a" }, taints: [gpuTaint] } });
        const aks = k("azure-native:containerservice:ManagedCluster", { agentPoolProfiles: [{ name: "system", nodeLabels: { "paas.dev/node-pool": "system" }, nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"] }] });
        const spot = k("azure-native:containerservice:AgentPool", { agentPoolName: "spot", scaleSetPriority: "Spot", nodeLabels: {} });
        expect(stackPools([gke, aks, spot])).toEqual([
            { name: "batch", labels: { team: "a", "cloud.google.com/gke-nodepool": "batch", "cloud.google.com/gke-spot": "true" }, taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }] },
            { name: "system", labels: { "paas.dev/node-pool": "system", agentpool: "system" }, taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }] },
            { name: "spot", labels: { agentpool: "spot", "kubernetes.azure.com/scalesetpriority": "spot" }, taints: [{ key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" }] },
        ]);
        expect(msgs([workload("Deployment"), aks, spot])).toEqual([
            'Deployment "apps/web": its pods can land on no node pool (pool system has the taint CriticalAddonsOnly=true:NoSchedule, not tolerated; pool spot has the taint kubernetes.azure.com/scalesetpriority=spot:NoSchedule, not tolerated); fix the node selector or affinity, or add a toleration']);
    });

    it("reads Karpenter NodePools with the labels their nodes get from the pool and its one-value requirements", () => {
        const nodePool = k("kubernetes:karpenter.sh/v1:NodePool", {
            metadata: { name: "spot" },
            spec: { template: {
                metadata: { labels: { "paas.dev/node-pool": "spot" } },
                spec: {
                    requirements: [
                        { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
                        { key: "topology.kubernetes.io/zone", operator: "In", values: ["a", "b"] },
                        { key: "kubernetes.io/arch", operator: "NotIn", values: ["arm64"] },
                    ],
                    taints: [{ key: "batch", value: "true", effect: "NoSchedule" }],
                },
            } },
        });
        expect(stackPools([nodePool])).toEqual([{
            name: "spot",
            labels: { "karpenter.sh/capacity-type": "spot", "paas.dev/node-pool": "spot", "karpenter.sh/nodepool": "spot" },
            taints: [{ key: "batch", value: "true", effect: "NoSchedule" }],
        }]);
        const onSpot = { nodeSelector: { "karpenter.sh/capacity-type": "spot" }, tolerations: [{ key: "batch", operator: "Exists", effect: "NoSchedule" }] };
        expect(msgs([workload("Deployment", onSpot), nodeGroup("system"), nodePool])).toEqual([]);
        expect(msgs([workload("Deployment", { nodeSelector: { "karpenter.sh/capacity-type": "spot" } }), nodeGroup("system"), nodePool])).toEqual([
            'Deployment "apps/web": its pods can land on no node pool (pool system lacks the label karpenter.sh/capacity-type=spot; pool spot has the taint batch=true:NoSchedule, not tolerated); fix the node selector or affinity, or add a toleration']);
    });

    it("passes on every example stack", async () => {
        for (const s of ["dev", "aws-prod", "gcp-prod", "azure-prod"]) {
            const { recorder } = await runStack(s);
            const resources = recorder.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
            expect([s, stackPools(resources).length > 0, msgs(resources)]).toEqual([s, true, []]);
        }
    }, 60_000);
});
