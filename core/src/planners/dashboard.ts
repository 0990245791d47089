/**
 * The platform's Grafana dashboard, as JSON for Grafana's dashboard sidecar. Pure. It sets what
 * the platform was told against what the cluster does: per route the configured weights against
 * the capacities and the backends' ready endpoints; per service the replicas against the plan's
 * min/max and CPU against the plan's band; the etcd members against the plan's quorum. Every
 * configured number is drawn as a constant series taken from the plans, never typed here.
 */
import { readyEndpointsExpr } from "./alerts";
import type { MonitoringInput } from "./monitoring";

/** Stable identifier of the dashboard (Grafana keys dashboards by uid). */
export const DASHBOARD_UID = "paas-platform";
/** File name of the dashboard in its ConfigMap. */
export const DASHBOARD_FILE = "paas-platform.json";

interface Target {
    readonly expr: string;
    readonly legendFormat: string;
}

/** A PromQL literal series with a legend: `vector(x)`. */
const constant = (value: number, legend: string): Target => ({ expr: `vector(${value})`, legendFormat: legend });

/** Share of a total, in percent, rounded to hundredths. */
const percent = (part: number, whole: number) => Math.round((10000 * part) / whole) / 100;

/** The regex of a Deployment's pod names: `<name>-<template hash>-<suffix>`. */
const podsOf = (name: string) => `${name}-[a-z0-9]+-[a-z0-9]+`;

export function platformDashboard(input: MonitoringInput): Record<string, unknown> {
    const ns = input.namespace;
    const panels: Record<string, unknown>[] = [];
    let y = 0;
    const row = (title: string) => {
        panels.push({ type: "row", title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
        y += 1;
    };
    const panel = (title: string, unit: string, targets: readonly Target[], x: number, w: number) => {
        panels.push({
            type: "timeseries",
            title,
            datasource: { type: "prometheus", uid: "${datasource}" },
            gridPos: { h: 8, w, x, y },
            fieldConfig: { defaults: { unit }, overrides: [] },
            targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legendFormat })),
        });
    };

    if (input.routes.length > 0) {
        row("Routes: configured weight and capacity share against ready endpoints");
        for (const r of input.routes) {
            const weightTotal = r.backends.reduce((a, b) => a + b.weight, 0);
            const capacityTotal = r.backends.reduce((a, b) => a + b.capacity, 0);
            panel(`Route ${r.name}: shares (%)`, "percent", r.backends.flatMap((b) => [
                constant(percent(b.weight, weightTotal), `${b.service} weight`),
                constant(percent(b.capacity, capacityTotal), `${b.service} capacity`),
            ]), 0, 12);
            panel(`Route ${r.name}: ready endpoints`, "short", r.backends.map((b) => ({
                expr: readyEndpointsExpr(ns, b.service),
                legendFormat: `${b.service} ready`,
            })), 12, 12);
            y += 8;
        }
    }

    if (input.services.length > 0) {
        row("Services: replicas against min/max, CPU against the scaling band");
        for (const s of input.services) {
            const a = s.autoscaling;
            panel(`${s.name}: replicas`, "short", [
                { expr: `kube_horizontalpodautoscaler_status_current_replicas{namespace="${ns}", horizontalpodautoscaler="${s.name}"}`, legendFormat: "current" },
                constant(a.minReplicas, "minReplicas"),
                constant(a.maxReplicas, "maxReplicas"),
            ], 0, 12);
            const pods = `namespace="${ns}", pod=~"${podsOf(s.name)}", container="app"`;
            panel(`${s.name}: CPU (% of requests)`, "percent", [
                {
                    expr: `100 * sum(rate(container_cpu_usage_seconds_total{${pods}}[5m])) / sum(kube_pod_container_resource_requests{${pods}, resource="cpu"})`,
                    legendFormat: "utilization",
                },
                constant(a.band.upper, "scale up above"),
                constant(a.band.lower, "scale down below"),
            ], 12, 12);
            y += 8;
        }
    }

    if (input.etcd) {
        const e = input.etcd;
        const sel = `job="${e.name}", namespace="${ns}"`;
        row(`etcd ${e.name}: members against the quorum`);
        panel(`etcd ${e.name}: members up`, "short", [
            { expr: `count(up{${sel}} == 1) or vector(0)`, legendFormat: "up" },
            constant(e.members, "members"),
            constant(e.quorum, "quorum"),
        ], 0, 8);
        panel(`etcd ${e.name}: leader`, "short", [
            { expr: `etcd_server_has_leader{${sel}}`, legendFormat: "{{pod}} has leader" },
            { expr: `increase(etcd_server_leader_changes_seen_total{${sel}}[1h])`, legendFormat: "{{pod}} leader changes / h" },
        ], 8, 8);
        panel(`etcd ${e.name}: database size`, "bytes", [
            { expr: `etcd_mvcc_db_total_size_in_bytes{${sel}}`, legendFormat: "{{pod}}" },
            constant(e.quotaBackendBytes, "quota"),
        ], 16, 8);
        y += 8;
    }

    return {
        uid: DASHBOARD_UID,
        title: `paas: ${ns}`,
        tags: ["paas"],
        editable: false,
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        templating: { list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus" }] },
        panels: panels.map((p, i) => ({ id: i + 1, ...p })),
    };
}
