import { describe, expect, it } from "vitest";
import { ETCD_DEFAULTS, planQuorum } from "../components/src/planners/etcd";
import { autoscalerRules, capacityRules, etcdRules, routeRules } from "../components/src/planners/monitoring";

const etcd = (members: number) => etcdRules({ ...planQuorum(members), name: "etcd", namespace: "apps", quotaBackendBytes: ETCD_DEFAULTS.quotaBackendBytes });
const byName = (rules: readonly { alert: string }[], alert: string) => rules.find((r) => r.alert === alert) as any;

describe("etcd alert rules", () => {
    it("count members against the plan's n and quorum", () => {
        const g = etcd(3);
        expect(g.name).toBe("etcd-apps-etcd");
        expect(byName(g.rules, "EtcdMembersDown").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 3');
        expect(byName(g.rules, "EtcdQuorumLost").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 2');
        const five = etcd(5);
        expect(byName(five.rules, "EtcdMembersDown").expr).toMatch(/< 5$/);
        expect(byName(five.rules, "EtcdQuorumLost").expr).toMatch(/< 3$/);
    });

    it("make one member down critical only where it leaves no fault tolerance", () => {
        expect(byName(etcd(3).rules, "EtcdMembersDown").labels.severity).toBe("critical");
        expect(byName(etcd(5).rules, "EtcdMembersDown").labels.severity).toBe("warning");
        expect(byName(etcd(5).rules, "EtcdQuorumLost").labels.severity).toBe("critical");
    });

    it("take the database quota from the plan", () => {
        expect(byName(etcd(3).rules, "EtcdDatabaseNearQuota").expr)
            .toBe(`max(etcd_mvcc_db_total_size_in_bytes{job="etcd", namespace="apps"}) / ${8 * 2 ** 30} > 0.8`);
    });

    it("give every rule a summary, a description and a runbook line", () => {
        for (const r of [...etcd(3).rules, ...autoscalerRules({ namespace: "apps", name: "web", maxReplicas: 10, upper: 0.8 }), ...capacityRules(["apps"])]) {
            for (const k of ["summary", "description", "runbook"] as const) expect(r.annotations[k].length, `${r.alert} ${k}`).toBeGreaterThan(10);
            expect(r.annotations.runbook, r.alert).not.toContain("\n");
        }
    });
});

describe("autoscaler, route and capacity rules", () => {
    it("alert on an HPA at its plan's maximum for 15 minutes", () => {
        const [atMax, inactive] = autoscalerRules({ namespace: "apps", name: "web", maxReplicas: 10, upper: 0.8 });
        expect(atMax.expr).toBe('kube_horizontalpodautoscaler_status_current_replicas{namespace="apps", horizontalpodautoscaler="web"} >= 10');
        expect(atMax.for).toBe("15m");
        expect(atMax.annotations.description).toContain("80 %");
        expect(inactive.expr).toContain('condition="ScalingActive", status="false"');
    });

    it("watch only backends that get traffic", () => {
        const rules = routeRules({ namespace: "apps", route: "checkout", backends: [{ service: "a", weight: 56 }, { service: "b", weight: 0 }, { service: "c", weight: 44 }] });
        expect(rules.map((r) => r.labels.service)).toEqual(["a", "c"]);
        expect(rules[0].expr).toBe('(sum(kube_endpoint_address{namespace="apps", endpoint="a", ready="true"}) or vector(0)) == 0');
    });

    it("scope budgets and pending pods to the platform's namespaces", () => {
        const [pdb, pending] = capacityRules(["apps", "etcd-system"]);
        expect(pdb.expr).toBe('kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace=~"apps|etcd-system"} == 0');
        expect(pending.expr).toBe('sum by (namespace, pod) (kube_pod_status_phase{namespace=~"apps|etcd-system", phase="Pending"}) > 0');
    });
});
