/**
 * Stack policy: every workload's pods can land on some node pool of the stack. The pools are read
 * from the resources that declare them (EKS node groups, GKE node pools, AKS agent pools, Karpenter NodePools),
 * with the labels and taints the cloud gives their nodes besides the declared ones.
 */
import { AKS_SPOT_TAINT, type Taint, type TaintEffect, admissionProblem, parseTaint } from "../../components/src/planners/capacity";
import { KARPENTER_LABELS } from "../../components/src/planners/karpenter";
import { podSpecOf } from "./kubernetes";
import { type Subject, k8sName, stackPolicy } from "./policy";
import { DEPLOYMENT, STATEFULSET, selects } from "./stack";

const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";
const AKS_CLUSTER = "azure-native:containerservice:ManagedCluster";
const AKS_AGENT_POOL = "azure-native:containerservice:AgentPool";
const KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";

/** A node pool of the stack as the scheduler sees its nodes. */
export interface StackPool {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
}

/** The providers spell effects NO_SCHEDULE (EKS, GKE) where Kubernetes says NoSchedule. */
const EFFECTS: Readonly<Record<string, TaintEffect>> = { NO_SCHEDULE: "NoSchedule", PREFER_NO_SCHEDULE: "PreferNoSchedule", NO_EXECUTE: "NoExecute" };
const providerTaints = (list: any[] | undefined): Taint[] =>
    (list ?? []).map((t) => ({ key: t.key, value: t.value, effect: EFFECTS[t.effect] ?? t.effect }));

function aksPool(p: any, name: string): StackPool {
    const spot = p.scaleSetPriority === "Spot";
    return {
        name,
        labels: { ...(p.nodeLabels ?? {}), agentpool: name, ...(spot ? { [AKS_SPOT_TAINT.key]: AKS_SPOT_TAINT.value! } : {}) },
        // AKS taints spot nodes itself.
        taints: [...(p.nodeTaints ?? []).map(parseTaint), ...(spot ? [AKS_SPOT_TAINT] : [])],
    };
}

/**
 * A Karpenter NodePool: its template's labels, the pool's name label, and every requirement of
 * one value (In), which its nodes carry as a label (capacity type, instance type).
 */
function karpenterPool(p: any, name: string): StackPool {
    const t = p.spec?.template ?? {};
    const fixed = (t.spec?.requirements ?? []).filter((q: any) => q.operator === "In" && q.values?.length === 1).map((q: any) => [q.key, q.values[0]]);
    return {
        name,
        labels: { ...Object.fromEntries(fixed), ...(t.metadata?.labels ?? {}), [KARPENTER_LABELS.nodePool]: name },
        taints: (t.spec?.taints ?? []).map((x: any) => ({ key: x.key, value: x.value, effect: x.effect })),
    };
}

/** Every node pool the stack declares, or none when it targets a cluster it does not build. */
export function stackPools(resources: readonly Subject[]): StackPool[] {
    return resources.flatMap((r): StackPool[] => {
        switch (r.type) {
            case EKS_NODE_GROUP: {
                const name = r.props.nodeGroupName ?? r.name;
                return [{
                    name,
                    labels: { ...(r.props.labels ?? {}), "eks.amazonaws.com/nodegroup": name, "eks.amazonaws.com/capacityType": r.props.capacityType ?? "ON_DEMAND" },
                    taints: providerTaints(r.props.taints),
                }];
            }
            case GKE_NODE_POOL: {
                const name = r.props.name ?? r.name;
                const c = r.props.nodeConfig ?? {};
                return [{
                    name,
                    labels: { ...(c.labels ?? {}), "cloud.google.com/gke-nodepool": name, ...(c.spot ? { "cloud.google.com/gke-spot": "true" } : {}) },
                    taints: providerTaints(c.taints),
                }];
            }
            case AKS_CLUSTER:
                return (r.props.agentPoolProfiles ?? []).map((p: any) => aksPool(p, p.name));
            case AKS_AGENT_POOL:
                return [aksPool(r.props, r.props.agentPoolName ?? r.name)];
            case KARPENTER_NODE_POOL:
                return [karpenterPool(r.props, r.props.metadata?.name ?? r.name)];
            default:
                return [];
        }
    });
}

/** Why the pods of `spec` cannot land on `pool`, or undefined: node selector, required node affinity, taints. */
export function poolRefusal(pool: StackPool, spec: any): string | undefined {
    const tolerations = (spec.tolerations ?? []).map((t: any) => ({ ...t, effect: t.effect || undefined }));
    const simple = admissionProblem(pool, { nodeSelector: spec.nodeSelector ?? {}, tolerations });
    if (simple) return simple;
    // Terms are ORed, the expressions of a term ANDed.
    const terms: any[] = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    if (terms.length > 0 && !terms.some((t) => selects({ matchExpressions: t.matchExpressions ?? [] }, pool.labels)))
        return "matches none of the required node affinity terms";
    return undefined;
}

export const workloadHasPool = stackPolicy({
    name: "stack-workload-has-node-pool",
    description:
        "Every Deployment's and StatefulSet's pods must be able to land on some node pool of the stack: their node selector and required node affinity match the pool's labels and they tolerate its taints (a stack that builds no pools is not checked).",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const pools = stackPools(resources);
        if (pools.length === 0) return;
        for (const w of resources.filter((r) => r.type === DEPLOYMENT || r.type === STATEFULSET)) {
            const spec = podSpecOf(w).spec;
            const refusals = pools.map((p) => poolRefusal(p, spec));
            if (refusals.every((x) => x !== undefined))
                report(`${k8sName(w)}: its pods can land on no node pool (${pools.map((p, i) => `pool ${p.name} ${refusals[i]}`).join("; ")}); fix the node selector or affinity, or add a toleration`, w.urn);
        }
    },
});
