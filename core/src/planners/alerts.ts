/**
 * Alerting rules for the promises the platform makes (an etcd quorum of n members, the HPA band,
 * weighted routes with live backends, budgets and capacity), as Prometheus rule groups. Pure: each
 * builder takes the numbers of a plan (quorum, quota, maxReplicas, band, weights), never its own.
 *
 * Metric names: etcd's own (`up`, `etcd_server_has_leader`, `etcd_server_leader_changes_seen_total`,
 * `etcd_mvcc_db_total_size_in_bytes`) and kube-state-metrics' (`kube_horizontalpodautoscaler_*`,
 * `kube_endpointslice_endpoints`, `kube_poddisruptionbudget_status_pod_disruptions_allowed`,
 * `kube_pod_status_phase`).
 */
import type { AutoscalingPlan } from "./autoscaling";
import type { QuorumPlan } from "./etcd";

export type Severity = "critical" | "warning";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    /** How long the expression must hold before the alert fires (Prometheus duration). */
    readonly for?: string;
    readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
    /** summary and description for the notification; runbook: the first thing to do, one line. */
    readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

/** Share of the backend quota at which the etcd database alert fires. */
export const ETCD_DB_QUOTA_WARNING = 0.8;
/**
 * Leader changes within an hour that count as frequent (a healthy quorum changes leader rarely).
 * The rule compares with >=: increase() extrapolates to the window's edges, so exactly 3 changes
 * read as a little more than 3, never as 4.
 */
export const ETCD_FREQUENT_LEADER_CHANGES = 4;
/** How long an HPA may sit at its maximum before the band is considered lost. */
export const HPA_AT_MAX_FOR = "15m";
export const PDB_BLOCKED_FOR = "1h";
export const POD_PENDING_FOR = "15m";

/** A PromQL string literal (label values are Kubernetes names, but quote them properly anyway). */
function q(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export interface EtcdAlertInput extends QuorumPlan {
    /** Name and namespace of the quorum's StatefulSet. */
    readonly name: string;
    readonly namespace: string;
    readonly quotaBackendBytes: number;
    /** The `job` label of the scraped members. @default the StatefulSet's name */
    readonly job?: string;
}

/**
 * etcd: any member down (the quorum now tolerates fewer failures), quorum lost (fewer than ⌊n/2⌋+1
 * up: writes stop), a member without a leader, frequent leader changes, and the database near its
 * quota (at the quota etcd raises a NOSPACE alarm and refuses writes). Members are counted against
 * the plan's n, so a member that is not scraped at all (pod gone) counts as down.
 */
export function etcdRules(e: EtcdAlertInput): RuleGroup {
    const sel = `job=${q(e.job ?? e.name)}, namespace=${q(e.namespace)}`;
    const up = `(count(up{${sel}} == 1) or vector(0))`;
    const who = `etcd ${e.namespace}/${e.name}`;
    return {
        name: `etcd-${e.namespace}-${e.name}`,
        rules: [
            {
                alert: "EtcdMembersDown",
                expr: `${up} < ${e.members}`,
                for: "2m",
                labels: { severity: e.faultTolerance > 1 ? "warning" : "critical", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: a member is down, the quorum is at risk`,
                    description: `Not all ${e.members} members are up; ${e.faultTolerance} may fail before writes stop (quorum ${e.quorum}).`,
                    runbook: `kubectl -n ${e.namespace} get pods -l app.kubernetes.io/name=${e.name} -o wide; look at the member that is not Ready (events, logs, its node).`,
                },
            },
            {
                alert: "EtcdQuorumLost",
                expr: `${up} < ${e.quorum}`,
                for: "1m",
                labels: { severity: "critical", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: quorum lost, writes are refused`,
                    description: `Fewer than ${e.quorum} of ${e.members} members are up.`,
                    runbook: `Bring members back before anything else; if the data of a majority is lost, restore from the newest snapshot (README: etcd quorum, restore).`,
                },
            },
            {
                alert: "EtcdNoLeader",
                expr: `etcd_server_has_leader{${sel}} == 0`,
                for: "1m",
                labels: { severity: "critical", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: member {{ $labels.pod }} has no leader`,
                    description: "A member that sees no leader cannot serve linearizable reads or writes.",
                    runbook: "Check the network between members (peer port 2380, NetworkPolicy) and the member's logs for election timeouts.",
                },
            },
            {
                alert: "EtcdFrequentLeaderChanges",
                expr: `increase(etcd_server_leader_changes_seen_total{${sel}}[1h]) >= ${ETCD_FREQUENT_LEADER_CHANGES}`,
                labels: { severity: "warning", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: leader changed ${ETCD_FREQUENT_LEADER_CHANGES} times or more in an hour`,
                    description: "Frequent elections mean slow disks or an unstable network; every election pauses writes.",
                    runbook: "Compare etcd_disk_wal_fsync_duration_seconds across members and the nodes' disk latency; move members off noisy nodes.",
                },
            },
            {
                alert: "EtcdDatabaseNearQuota",
                expr: `max(etcd_mvcc_db_total_size_in_bytes{${sel}}) / ${e.quotaBackendBytes} > ${ETCD_DB_QUOTA_WARNING}`,
                for: "10m",
                labels: { severity: "warning", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: database above ${ETCD_DB_QUOTA_WARNING * 100} % of its ${e.quotaBackendBytes}-byte quota`,
                    description: "At the quota etcd raises a NOSPACE alarm and refuses every write.",
                    runbook: "Compact and defragment the members one at a time (etcdctl compact, etcdctl defrag), or raise quotaBackendBytes.",
                },
            },
        ],
    };
}

export interface AutoscalerAlertInput extends Pick<AutoscalingPlan, "maxReplicas" | "band"> {
    readonly namespace: string;
    /** Name of the HorizontalPodAutoscaler (the service's name). */
    readonly name: string;
}

/**
 * One service's HPA: at maxReplicas for {@link HPA_AT_MAX_FOR} (above the band's upper edge the
 * service can no longer scale, so the band no longer holds), unable to compute a scale
 * (ScalingActive false: no metrics) and unable to scale at all (AbleToScale false: the scale
 * subresource cannot be read or written).
 */
export function autoscalerRules(a: AutoscalerAlertInput): AlertRule[] {
    const sel = `namespace=${q(a.namespace)}, horizontalpodautoscaler=${q(a.name)}`;
    const who = `${a.namespace}/${a.name}`;
    return [
        {
            alert: "HpaAtMaxReplicas",
            expr: `kube_horizontalpodautoscaler_status_current_replicas{${sel}} >= ${a.maxReplicas}`,
            for: HPA_AT_MAX_FOR,
            labels: { severity: "warning", namespace: a.namespace, horizontalpodautoscaler: a.name },
            annotations: {
                summary: `${who} has run at its maximum of ${a.maxReplicas} replicas for ${HPA_AT_MAX_FOR}`,
                description: `Above ${a.band.upper} % CPU the service can no longer add pods; latency rises with load.`,
                runbook: `Raise maxReplicas for ${a.name} (check the capacity output for room), or find what made the load grow.`,
            },
        },
        {
            alert: "HpaScalingInactive",
            expr: `kube_horizontalpodautoscaler_status_condition{${sel}, condition="ScalingActive", status="false"} == 1`,
            for: "10m",
            labels: { severity: "warning", namespace: a.namespace, horizontalpodautoscaler: a.name },
            annotations: {
                summary: `${who} cannot compute a scale`,
                description: "ScalingActive is false: the HPA gets no CPU metrics (metrics-server down or pods without CPU requests).",
                runbook: `kubectl -n ${a.namespace} describe hpa ${a.name}; check metrics-server (kubectl top pods -n ${a.namespace}).`,
            },
        },
        {
            alert: "HpaUnableToScale",
            expr: `kube_horizontalpodautoscaler_status_condition{${sel}, condition="AbleToScale", status="false"} == 1`,
            for: "10m",
            labels: { severity: "warning", namespace: a.namespace, horizontalpodautoscaler: a.name },
            annotations: {
                summary: `${who} cannot change the replica count`,
                description: "AbleToScale is false: the HPA cannot read or update its Deployment's scale.",
                runbook: `kubectl -n ${a.namespace} describe hpa ${a.name} (the AbleToScale message); check the Deployment ${a.name} exists and the controller's RBAC.`,
            },
        },
    ];
}

export interface RouteAlertInput {
    readonly namespace: string;
    readonly route: string;
    readonly backends: readonly { readonly service: string; readonly weight: number }[];
}

/**
 * The names of a Service's EndpointSlices, as a PromQL regex: the controller names each slice
 * `<service>-` (cut to 58 characters, the API server's generateName limit) plus 5 random
 * characters. kube-state-metrics labels slice series by slice name only, and no longer exports
 * the deprecated Endpoints (kube_endpoint_address) by default.
 */
export function endpointSlicePattern(service: string): string {
    // Service names are DNS labels ([a-z0-9-]): nothing in them is special in a regex.
    return `${`${service}-`.slice(0, 58)}[a-z0-9]{5}`;
}

/** Ready endpoints of a Service, 0 when it has none (no slice, or none ready). */
export function readyEndpointsExpr(namespace: string, service: string): string {
    return `(sum(kube_endpointslice_endpoints{namespace=${q(namespace)}, endpointslice=~${q(endpointSlicePattern(service))}, ready="true"}) or vector(0))`;
}

/** A backend that gets traffic (weight > 0) but has no ready endpoint: its share of requests fails. */
export function routeRules(r: RouteAlertInput): AlertRule[] {
    return r.backends.filter((b) => b.weight > 0).map((b) => ({
        alert: "RouteBackendWithoutEndpoints",
        expr: `${readyEndpointsExpr(r.namespace, b.service)} == 0`,
        for: "2m",
        labels: { severity: "critical", namespace: r.namespace, route: r.route, service: b.service },
        annotations: {
            summary: `Route ${r.namespace}/${r.route}: backend ${b.service} (weight ${b.weight}) has no ready endpoint`,
            description: `Requests routed to ${b.service} fail while it has weight ${b.weight}.`,
            runbook: `kubectl -n ${r.namespace} get pods -l app.kubernetes.io/name=${b.service}; set its capacity to 0 to move its traffic while it is fixed.`,
        },
    }));
}

/** Cluster-wide: budgets that block every eviction for long, and pods that stay Pending (no room). */
export function capacityRules(namespaces: readonly string[]): AlertRule[] {
    // Namespace names are DNS labels ([a-z0-9-]): nothing in them is special in a regex.
    const ns = `namespace=~${q(namespaces.join("|"))}`;
    return [
        {
            alert: "PdbNoDisruptionsAllowed",
            expr: `kube_poddisruptionbudget_status_pod_disruptions_allowed{${ns}} == 0`,
            for: PDB_BLOCKED_FOR,
            labels: { severity: "warning" },
            annotations: {
                summary: "PodDisruptionBudget {{ $labels.namespace }}/{{ $labels.poddisruptionbudget }} allows no disruption",
                description: `For ${PDB_BLOCKED_FOR} no pod it covers could be evicted: node drains and upgrades wait.`,
                runbook: "Find the unready pods the budget counts (kubectl get pdb, describe); a quorum or service below its minimum blocks on purpose.",
            },
        },
        {
            alert: "PodsPending",
            expr: `sum by (namespace, pod) (kube_pod_status_phase{${ns}, phase="Pending"}) > 0`,
            for: POD_PENDING_FOR,
            labels: { severity: "warning" },
            annotations: {
                summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} has been Pending for " + POD_PENDING_FOR,
                description: "The scheduler finds no node with room, or the autoscaler cannot add one.",
                runbook: "kubectl describe pod (FailedScheduling events); compare with the stack's capacity output and the pools' maxNodes.",
            },
        },
    ];
}

/** A rule file (Prometheus's `rule_files` format), which is also a PrometheusRule's spec. */
export function ruleFile(groups: readonly RuleGroup[]): { groups: { name: string; rules: Record<string, unknown>[] }[] } {
    return {
        groups: groups.map((g) => ({
            name: g.name,
            rules: g.rules.map((r) => ({
                alert: r.alert,
                expr: r.expr,
                ...(r.for === undefined ? {} : { for: r.for }),
                labels: { ...r.labels },
                annotations: { ...r.annotations },
            })),
        })),
    };
}
