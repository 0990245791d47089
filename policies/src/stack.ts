/** Stack policies: rules that span resources (what no per-resource pack can see). */
import { WORKLOAD_TYPES, isEtcdContainer, podSpecOf } from "./kubernetes";
import { type Subject, k8sName, stackPolicy } from "./policy";
import { ADDON_NAMESPACE_LABEL } from "../../core/src/planners/addons";
import { isSystemNamespace } from "../../core/src/planners/workload";

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * Namespaces whose pods a chart installs, invisible to the stack: those a Helm release installs
 * into, and those labelled as an add-on's (a rendered stack declares the namespace, not the release).
 */
const helmNamespaces = (resources: readonly Subject[]) => new Set([
    ...resources.filter((r) => r.type === RELEASE).map((r) => r.props.namespace ?? "default"),
    ...resources.filter((r) => r.type === NAMESPACE && r.props.metadata?.labels?.[ADDON_NAMESPACE_LABEL] !== undefined).map(nameOf),
]);

const ns = (r: Subject) => r.props.metadata?.namespace ?? "default";
const nameOf = (r: Subject) => r.props.metadata?.name ?? r.name;

/** Does a label selector select these labels? (matchLabels and matchExpressions) */
export function selects(selector: any, labels: Record<string, string> | undefined): boolean {
    if (!selector) return false;
    const l = labels ?? {};
    const ml: Record<string, string> = selector.matchLabels ?? {};
    const exprs: any[] = selector.matchExpressions ?? [];
    if (Object.keys(ml).length === 0 && exprs.length === 0) return true;
    return Object.entries(ml).every(([k, v]) => l[k] === v) && exprs.every((e) => {
        switch (e.operator) {
            case "In": return l[e.key] !== undefined && (e.values ?? []).includes(l[e.key]);
            case "NotIn": return l[e.key] === undefined || !(e.values ?? []).includes(l[e.key]);
            case "Exists": return l[e.key] !== undefined;
            case "DoesNotExist": return l[e.key] === undefined;
            default: return false;
        }
    });
}

const podLabels = (r: Subject) => r.props.spec?.template?.metadata?.labels;

/**
 * Finds the first (in export order) of `items` in a namespace whose selector selects some labels,
 * without scanning them all: each is filed under the rarest label pair of its matchLabels, which
 * the pod's labels must contain for it to match; only selectors without matchLabels are tried for
 * every pod. `selects` stays the judge, so the answer is the one a scan would give.
 */
export function selectorIndex(items: readonly Subject[], selectorOf: (s: Subject) => any): (namespace: string, labels: Record<string, string> | undefined) => Subject | undefined {
    const pair = (n: unknown, k: string, v: unknown) => JSON.stringify([n, k, v]);
    // Only string values are filed: a pod label that equals one is the same string.
    const pairs = (x: unknown) => (Object.entries(x ?? {}) as [string, unknown][]).filter(([, v]) => typeof v === "string");
    const count = new Map<string, number>();
    for (const p of items) for (const [k, v] of pairs(selectorOf(p)?.matchLabels)) count.set(pair(ns(p), k, v), (count.get(pair(ns(p), k, v)) ?? 0) + 1);
    const filed = new Map<string, number[]>();
    const file = (key: string, i: number) => { const l = filed.get(key); if (l) l.push(i); else filed.set(key, [i]); };
    items.forEach((p, i) => {
        const selector = selectorOf(p);
        if (!selector) return;
        const keys = pairs(selector.matchLabels).map(([k, v]) => pair(ns(p), k, v));
        file(keys.length ? keys.reduce((a, b) => (count.get(b)! < count.get(a)! ? b : a)) : JSON.stringify([ns(p)]), i);
    });
    return (namespace, labels) => {
        let first = Infinity;
        const consider = (l: number[] | undefined) => {
            for (const i of l ?? []) if (i < first && ns(items[i]) === namespace && selects(selectorOf(items[i]), labels)) first = i;
        };
        consider(filed.get(JSON.stringify([namespace])));
        for (const [k, v] of pairs(labels)) consider(filed.get(pair(namespace, k, v)));
        return first === Infinity ? undefined : items[first];
    };
}

export const workloadHasPdb = stackPolicy({
    name: "stack-workload-has-pdb",
    description: "Every Deployment and StatefulSet must have a PodDisruptionBudget selecting its pods.",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const pdbFor = selectorIndex(resources.filter((r) => r.type === PDB), (p) => p.props.spec?.selector);
        for (const w of resources.filter((r) => r.type === DEPLOYMENT || r.type === STATEFULSET)) {
            if (!pdbFor(ns(w), podLabels(w)))
                report(`${k8sName(w)} has no PodDisruptionBudget selecting its pods; add one (maxUnavailable: 1)`, w.urn);
        }
    },
});

export const deploymentHasHpa = stackPolicy<{ exempt: string[] }>({
    name: "stack-deployment-has-hpa",
    description: "Every Deployment must be scaled by an HorizontalPodAutoscaler, unless exempted by namespace/name in config.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { exempt: { type: "array", items: { type: "string" }, default: [] } } },
    check: (resources, config, report) => {
        // Object values (malformed) never match: the scan compared them by identity.
        const key = (n: unknown, name: unknown) => (typeof n === "object" || typeof name === "object" ? undefined : JSON.stringify([n, name]));
        const scaled = new Set(resources.filter((r) => r.type === HPA && r.props.spec?.scaleTargetRef?.kind === "Deployment").map((h) => key(ns(h), h.props.spec?.scaleTargetRef?.name)));
        const exempt = new Set(config.exempt ?? []);
        for (const d of resources.filter((r) => r.type === DEPLOYMENT)) {
            if (exempt.has(`${ns(d)}/${nameOf(d)}`)) continue;
            const k = key(ns(d), nameOf(d));
            if (k === undefined || !scaled.has(k)) report(`${k8sName(d)} has no HorizontalPodAutoscaler targeting it; add one, or exempt "${ns(d)}/${nameOf(d)}" in the policy config`, d.urn);
        }
    },
});

/** A NetworkPolicy that selects every pod and allows nothing in either direction. */
export function isDefaultDeny(p: Subject): boolean {
    const s = p.props.spec ?? {};
    const all = selects(s.podSelector ?? {}, {}) && Object.keys(s.podSelector?.matchLabels ?? {}).length === 0 && !(s.podSelector?.matchExpressions ?? []).length;
    const types: string[] = s.policyTypes ?? [];
    return all && types.includes("Ingress") && types.includes("Egress") && !(s.ingress ?? []).length && !(s.egress ?? []).length;
}

export const namespaceDefaultDeny = stackPolicy({
    name: "stack-namespace-default-deny",
    description: "Every namespace with workloads must have a default-deny NetworkPolicy (ingress and egress).",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const denied = new Set(resources.filter((r) => r.type === NETPOL && isDefaultDeny(r)).map(ns));
        const seen = new Set<string>();
        for (const w of resources.filter((r) => WORKLOAD_TYPES.includes(r.type))) {
            const n = ns(w);
            if (denied.has(n) || seen.has(n)) continue;
            seen.add(n);
            report(`namespace "${n}" runs workloads (${k8sName(w)}) but has no default-deny NetworkPolicy; add one with podSelector {} and policyTypes [Ingress, Egress]`, w.urn);
        }
    },
});

/** Largest number of members that may be down while a majority remains. */
export const faultTolerance = (n: number) => Math.floor((n - 1) / 2);

export const etcdQuorum = stackPolicy({
    name: "stack-etcd-quorum",
    description: "etcd StatefulSets must have an odd replica count of at least 3 and a PodDisruptionBudget that keeps a quorum.",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const pdbFor = selectorIndex(resources.filter((r) => r.type === PDB), (p) => p.props.spec?.selector);
        for (const s of resources.filter((r) => r.type === STATEFULSET && (podSpecOf(r).spec.containers ?? []).some(isEtcdContainer))) {
            const n = s.props.spec?.replicas ?? 1;
            if (n < 3 || n % 2 === 0) report(`${k8sName(s)}: spec.replicas is ${n}; an etcd cluster needs an odd size of at least 3 (2f+1)`, s.urn);
            const quorum = Math.floor(n / 2) + 1;
            const pdb = pdbFor(ns(s), podLabels(s));
            if (!pdb) {
                report(`${k8sName(s)} has no PodDisruptionBudget; add one with maxUnavailable: ${faultTolerance(n)} so evictions keep a quorum of ${quorum}`, s.urn);
                continue;
            }
            const spec = pdb.props.spec ?? {};
            const keeps = typeof spec.minAvailable === "number" ? spec.minAvailable >= quorum
                : typeof spec.maxUnavailable === "number" ? spec.maxUnavailable <= faultTolerance(n) : false;
            if (!keeps) report(`${k8sName(pdb)} does not keep the etcd quorum of ${quorum}/${n}; set maxUnavailable: ${faultTolerance(n)} (or minAvailable: ${quorum})`, pdb.urn);
        }
    },
});

export const routeLiveBackend = stackPolicy({
    name: "stack-route-live-backend",
    description: "Every HTTPRoute rule that forwards traffic must have at least one backend with weight > 0.",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        for (const r of resources.filter((x) => x.type === HTTPROUTE)) {
            (r.props.spec?.rules ?? []).forEach((rule: any, i: number) => {
                const redirects = (rule.filters ?? []).some((f: any) => f.type === "RequestRedirect");
                const refs: any[] = rule.backendRefs ?? [];
                if (redirects && refs.length === 0) return;
                if (!refs.some((b) => (b.weight ?? 1) > 0))
                    report(`${k8sName(r)}: spec.rules[${i}] has no backend with weight > 0, so it answers every request with an error; give a backend capacity`, r.urn);
            });
        }
    },
});

/** Pods a PDB with `minAvailable` keeps at `replicas`: a count, or a percentage rounded up (as the disruption controller does). */
export function pdbKeeps(minAvailable: unknown, replicas: number): number | undefined {
    if (typeof minAvailable === "number") return minAvailable;
    const m = typeof minAvailable === "string" ? /^([0-9]+)%$/.exec(minAvailable) : null;
    return m ? Math.ceil((Number(m[1]) * replicas) / 100) : undefined;
}

export const pdbBelowHpaMinimum = stackPolicy({
    name: "stack-pdb-below-hpa-minimum",
    description: "A PodDisruptionBudget's minAvailable must be below the minReplicas of the HPA scaling the pods it selects: at the minimum it would block every eviction.",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const pdbFor = selectorIndex(resources.filter((r) => r.type === PDB), (p) => p.props.spec?.selector);
        const workloads = new Map(resources.filter((r) => r.type === DEPLOYMENT || r.type === STATEFULSET).map((w) => [JSON.stringify([ns(w), w.props.kind ?? w.type.split(":").pop(), nameOf(w)]), w]));
        for (const h of resources.filter((r) => r.type === HPA)) {
            const ref = h.props.spec?.scaleTargetRef ?? {};
            const w = workloads.get(JSON.stringify([ns(h), ref.kind, ref.name]));
            const pdb = w && pdbFor(ns(w), podLabels(w));
            if (!pdb) continue;
            // minReplicas defaults to 1.
            const min = h.props.spec?.minReplicas ?? 1;
            const keeps = pdbKeeps(pdb.props.spec?.minAvailable, min);
            if (keeps !== undefined && keeps >= min)
                report(`${k8sName(pdb)}: spec.minAvailable (${pdb.props.spec.minAvailable}) keeps ${keeps} of the ${min} pods ${k8sName(h)} may scale ${k8sName(w)} down to, so no pod may be evicted there and node drains block; use maxUnavailable: 1`, pdb.urn);
        }
    },
});

/** The pod template labels of a workload (a CronJob's are two levels down, a Pod's are its own). */
function templateLabels(r: Subject): Record<string, string> | undefined {
    if (r.type === "kubernetes:core/v1:Pod") return r.props.metadata?.labels;
    if (r.type === "kubernetes:batch/v1:CronJob") return r.props.spec?.jobTemplate?.spec?.template?.metadata?.labels;
    return podLabels(r);
}

const SELECTORS: readonly { type: string; field: string; of: (r: Subject) => any }[] = [
    // A Service's selector is a plain map; a Service without one has its endpoints managed by hand.
    { type: "kubernetes:core/v1:Service", field: "spec.selector", of: (r) => (r.props.spec?.selector ? { matchLabels: r.props.spec.selector } : undefined) },
    { type: PDB, field: "spec.selector", of: (r) => r.props.spec?.selector },
    { type: NETPOL, field: "spec.podSelector", of: (r) => r.props.spec?.podSelector },
];

export const selectorMatchesPods = stackPolicy({
    name: "stack-selector-matches-pods",
    description: "Every Service, PodDisruptionBudget and NetworkPolicy with a non-empty selector must select a pod template of the stack in its namespace (a typo in a label makes it a silent no-op).",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const templates = resources.filter((r) => WORKLOAD_TYPES.includes(r.type)).map((w) => ({ namespace: ns(w), labels: templateLabels(w) }));
        const charts = helmNamespaces(resources);
        for (const { type, field, of } of SELECTORS) {
            // A chart's pods are not in the stack: its namespace's selectors cannot be judged here.
            for (const r of resources.filter((x) => x.type === type && !charts.has(ns(x)))) {
                const selector = of(r);
                const labels = Object.values(selector?.matchLabels ?? {});
                const exprs: unknown[] = selector?.matchExpressions ?? [];
                // Empty selects every pod; a value not known yet (a preview) cannot be judged.
                if (!selector || (labels.length === 0 && exprs.length === 0) || labels.some((v) => typeof v !== "string")) continue;
                if (!templates.some((t) => t.namespace === ns(r) && selects(selector, t.labels)))
                    report(`${k8sName(r)}: ${field} selects no pod template of the stack in namespace "${ns(r)}"; match the labels of the workload it is meant for`, r.urn);
            }
        }
    },
});

export const helmReleaseNamespace = stackPolicy({
    name: "stack-helm-release-namespace",
    description: "A Helm release installs into a namespace the stack declares (never createNamespace), with a Pod Security enforce label and a default-deny NetworkPolicy: the chart's pods are invisible to the other rules, so its namespace must hold them to the same bar. The cluster's own namespaces (kube-system…) are exempt.",
    enforcementLevel: "mandatory",
    check: (resources, _c, report) => {
        const declared = new Map(resources.filter((r) => r.type === NAMESPACE).map((r) => [nameOf(r), r]));
        const denied = new Set(resources.filter((r) => r.type === NETPOL && isDefaultDeny(r)).map(ns));
        for (const r of resources.filter((x) => x.type === RELEASE)) {
            const n: string = r.props.namespace ?? "default";
            const what = `Helm release "${r.props.name ?? r.name}" (namespace "${n}")`;
            if (r.props.createNamespace === true) report(`${what}: createNamespace is true; declare the namespace in the stack and set createNamespace: false`, r.urn);
            if (isSystemNamespace(n)) continue;
            const nsRes = declared.get(n);
            if (!nsRes) report(`${what}: the namespace is not declared by the stack; declare it with Pod Security labels and a default-deny NetworkPolicy`, r.urn);
            else if (!nsRes.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"]) report(`${what}: the namespace has no pod-security.kubernetes.io/enforce label; enforce restricted (or baseline where the chart needs it)`, r.urn);
            if (!denied.has(n)) report(`${what}: the namespace has no default-deny NetworkPolicy; add one with podSelector {} and policyTypes [Ingress, Egress] and allow the chart's flows`, r.urn);
        }
    },
});
