/**
 * The real engine, no mocks: `pulumi preview/up/destroy` of the `local` stack with the policy
 * pack, in a scratch copy of the project on a scratch file backend.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { audit } from "../../policies/audit";
import { localStackYaml, pulumiBinary, type ScratchProject, scratchProject } from "../harness/engine";
import { schemaErrors } from "../harness/schema";
import { ROOT } from "../harness/stacks";

// Render mode: the committed stack with a render folder in place of the cluster, and the
// default gateway controller (whose GatewayClass is rendered; no Helm release is).
const rendered = (c: Record<string, any>) => {
    c["paas:cluster"].local = { renderDirectory: "rendered" };
    delete c["paas:addons"];
};
const stackYaml = localStackYaml(rendered);
const prodPolicy = path.join(ROOT, "policies/config/prod.json");

describe("the local stack on the real engine", () => {
    let p: ScratchProject;
    beforeAll(() => {
        p = scratchProject(stackYaml);
        p.run(["stack", "init", "local"]);
    });
    afterAll(() => p.remove());

    it("previews with the policy pack at prod levels and no violation", () => {
        const { out } = p.run(["preview", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", prodPolicy]);
        expect(out).toMatch(/\+ \d+ to create/);
        expect(out).toContain("Policies:");
        expect(out).not.toMatch(/mandatory|advisory/);
    });

    it("renders every object with `pulumi up`, and each one validates against the upstream schemas", async () => {
        p.run(["up", "--yes", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", prodPolicy]);
        const files = fs.readdirSync(path.join(p.dir, "rendered"), { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"));
        const objects = files.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(p.dir, "rendered", f), "utf8")).map((d) => d.toJSON())).filter(Boolean);
        const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
        for (const expected of [
            "Namespace/apps", "Namespace/gateway", "NetworkPolicy/default-deny", "Deployment/checkout-a", "HorizontalPodAutoscaler/checkout-a",
            "PodDisruptionBudget/orders", "Service/orders", "ServiceAccount/mailer", "Gateway/paas-gateway", "HTTPRoute/checkout", "HTTPRoute/paas-gateway-https-redirect",
            "GatewayClass/envoy", "StatefulSet/etcd", "Certificate/etcd-server", "CronJob/etcd-snapshot", "Role/paas-deployer", "ClusterRoleBinding/paas-node-viewers",
        ]) expect(kinds).toContain(expected);
        const failures: string[] = [];
        for (const o of objects) {
            const err = await schemaErrors(o);
            if (err) failures.push(`${o.kind}/${o.metadata.name}: ${err}`);
        }
        expect(failures).toEqual([]);
        const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === "checkout-a");
        expect(hpa.spec.behavior.scaleUp.tolerance).toBe("464m");
        const route = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "checkout");
        expect(route.spec.rules[0].backendRefs.map((b: { weight: number }) => b.weight)).toEqual([56, 33, 11]);
    });

    it("reports no changes on a second preview", () => {
        const { out } = p.run(["preview", "--stack", "local", "--expect-no-changes"]);
        expect(out).toMatch(/\d+ unchanged/);
    });

    it("removes the rendered files with `pulumi destroy`", () => {
        p.run(["destroy", "--yes", "--stack", "local"]);
        const left = fs.existsSync(path.join(p.dir, "rendered"))
            ? fs.readdirSync(path.join(p.dir, "rendered"), { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"))
            : [];
        expect(left).toEqual([]);
    });
});

describe("the policy pack in the engine", () => {
    // orders mounts a service-account token: breaks the mandatory k8s-no-sa-token-automount.
    const insecure = localStackYaml((c) => {
        rendered(c);
        c["paas:services"].find((s: { name: string }) => s.name === "orders").automountServiceAccountToken = true;
    });
    let p: ScratchProject;
    beforeAll(() => {
        expect(insecure).not.toBe(stackYaml);
        p = scratchProject(insecure);
        p.run(["stack", "init", "local"]);
    });
    afterAll(() => p.remove());

    const message = 'Deployment "apps/orders": spec.template.spec.automountServiceAccountToken is not false; set it to false, or allow service account "orders" in the policy config';

    it("fails the preview of an insecure variant with the policy's name and message", () => {
        const r = p.run(["preview", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", prodPolicy], true);
        expect(r.code).not.toBe(0);
        expect(r.out).toContain("k8s-no-sa-token-automount");
        expect(r.out).toContain(message);
    });

    it("and the offline audit reports the same violation on the stack's export", () => {
        // Advisory levels let `up` through, so there is state to export.
        p.run(["up", "--yes", "--stack", "local", "--policy-pack", "policies", "--policy-pack-config", path.join(ROOT, "policies/config/dev.json")]);
        const exported = path.join(p.dir, "export.json");
        fs.writeFileSync(exported, execFileSync(pulumiBinary(), ["stack", "export", "--stack", "local"], { cwd: p.dir, env: p.env, encoding: "utf8" }));
        const out: string[] = [];
        const code = audit([exported, "--config", prodPolicy, "--json"], (s) => out.push(s), () => undefined);
        expect(code).toBe(1);
        const violations = JSON.parse(out.join("\n")).violations as { policy: string; message: string }[];
        expect(violations.map((v) => [v.policy, v.message])).toEqual([["k8s-no-sa-token-automount", message]]);
    });
});
