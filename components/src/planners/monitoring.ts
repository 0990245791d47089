/**
 * Monitoring planner: Prometheus alerting rules for the promises the platform makes (an etcd quorum
 * of n members, the HPA band, weighted routes with live backends, budgets and capacity). Pure: the
 * thresholds come from the etcd, autoscaling and route plans passed in, never typed twice.
 *
 * Metric names: etcd's own (`up`, `etcd_server_has_leader`, `etcd_server_leader_changes_seen_total`,
 * `etcd_mvcc_db_total_size_in_bytes`) and kube-state-metrics' (`kube_horizontalpodautoscaler_*`,
 * `kube_endpoint_address`, `kube_poddisruptionbudget_status_pod_disruptions_allowed`,
 * `kube_pod_status_phase`).
 */
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
/** Leader changes within an hour that count as frequent (a healthy quorum changes leader rarely). */
export const ETCD_LEADER_CHANGES_PER_HOUR = 3;
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
                expr: `increase(etcd_server_leader_changes_seen_total{${sel}}[1h]) > ${ETCD_LEADER_CHANGES_PER_HOUR}`,
                labels: { severity: "warning", namespace: e.namespace, etcd: e.name },
                annotations: {
                    summary: `${who}: leader changed more than ${ETCD_LEADER_CHANGES_PER_HOUR} times in an hour`,
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

export interface AutoscalerAlertInput {
    readonly namespace: string;
    /** Name of the HorizontalPodAutoscaler (the service's name). */
    readonly name: string;
    readonly maxReplicas: number;
    /** The band's upper edge, for the message. */
    readonly upper: number;
}

/**
 * One service's HPA: at maxReplicas for {@link HPA_AT_MAX_FOR} (above the band's upper edge the
 * service can no longer scale, so the band no longer holds), and unable to compute a scale
 * (ScalingActive false: no metrics).
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
                description: `Above ${Math.round(a.upper * 100)} % CPU the service can no longer add pods; latency rises with load.`,
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
    ];
}

export interface RouteAlertInput {
    readonly namespace: string;
    readonly route: string;
    readonly backends: readonly { readonly service: string; readonly weight: number }[];
}

/** A backend that gets traffic (weight > 0) but has no ready endpoint: its share of requests fails. */
export function routeRules(r: RouteAlertInput): AlertRule[] {
    return r.backends.filter((b) => b.weight > 0).map((b) => ({
        alert: "RouteBackendWithoutEndpoints",
        expr: `(sum(kube_endpoint_address{namespace=${q(r.namespace)}, endpoint=${q(b.service)}, ready="true"}) or vector(0)) == 0`,
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
