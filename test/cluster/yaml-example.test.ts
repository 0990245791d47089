/**
 * The Pulumi YAML example (examples/yaml) deployed for real: the core package's Gateway, Services,
 * WeightedRoute, EtcdQuorum and KubernetesAccess from YAML, into the project's control plane with the provider's
 * await; then no drift, then destroy leaves nothing of it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { runPulumi, scratchEnv } from "../harness/engine";
import { ROOT } from "../harness/stacks";

const NS = "shop";
/** A stack of the test's own: its settings file, next to the example, is removed afterwards. */
const STACK = `cluster-test-${process.pid}`;
let cluster: TestCluster;
let dir: string;
let env: NodeJS.ProcessEnv;

/** The stdout of a `pulumi` command run in the example's folder. */
const pulumi = (args: string[]) => runPulumi(args, { cwd: path.join(ROOT, "examples/yaml"), env, timeoutMs: 540_000 }).stdout;

beforeAll(async () => {
    cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 100);
    // The example where it stands (its `packages` path ../../core is the repository's core/, whose
    // dependencies the root install provides); its state and Pulumi home in a folder of the test's.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-yaml-example-"));
    env = scratchEnv(dir, { KUBECONFIG: cluster.info.kubeconfig });
    pulumi(["stack", "init", STACK]);
});
afterAll(async () => {
    await cluster?.down();
    fs.rmSync(path.join(ROOT, "examples/yaml", `Pulumi.${STACK}.yaml`), { force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Pulumi YAML example in a real control plane", () => {
    it("`pulumi up` creates every object and waits for them", () => {
        expect(pulumi(["up", "--yes"])).toMatch(/\+ 41 created/);
    });

    it("runs both versions, the quorum, and the route with weights from the capacities", () => {
        const deployments = cluster.json(["get", "deployments", "-n", NS]).items;
        expect(deployments.map((d: any) => [d.metadata.name, d.status.conditions.find((c: any) => c.type === "Available")?.status]).sort())
            .toEqual([["web-v1", "True"], ["web-v2", "True"]]);
        const etcd = cluster.json(["get", "statefulset", "etcd", "-n", NS]);
        expect([etcd.spec.replicas, etcd.status.readyReplicas]).toEqual([3, 3]);
        expect(cluster.json(["get", "pdb", "etcd", "-n", NS]).status.disruptionsAllowed).toBe(1);
        const route = cluster.json(["get", "httproute", "web", "-n", NS]);
        expect(route.spec.rules.map((r: any) => r.backendRefs.map((b: any) => [b.name, b.weight]))).toEqual([[["web-v1", 75], ["web-v2", 25]]]);
        expect(cluster.json(["get", "gateway", "gateway", "-n", NS]).spec.gatewayClassName).toBe("envoy");
    });

    it("gives the shop's developers read access and nothing more, as the API server decides", async () => {
        const allowed = async (verb: string, resource: string, namespace = NS) => {
            const [res, subresource] = resource.split("/");
            const group = res === "deployments" ? "apps" : "";
            const r = await cluster.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
                apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
                spec: { user: "dev@example.com", groups: ["shop-developers"], resourceAttributes: { namespace, verb, group, resource: res, subresource } },
            });
            if (r.status !== 201) throw new Error(`SubjectAccessReview: ${r.status} ${JSON.stringify(r.body)}`);
            return `${verb} ${resource} in ${namespace}: ${(r.body as any).status.allowed === true}`;
        };
        const asked = [["list", "pods"], ["get", "deployments"], ["watch", "services"], ["get", "pods/log"], ["create", "pods"], ["delete", "deployments"], ["get", "secrets"], ["create", "pods/exec"]];
        expect(await Promise.all(asked.map(([v, r]) => allowed(v, r)))).toEqual([
            "list pods in shop: true", "get deployments in shop: true", "watch services in shop: true", "get pods/log in shop: false",
            "create pods in shop: false", "delete deployments in shop: false", "get secrets in shop: false", "create pods/exec in shop: false",
        ]);
        expect(await allowed("list", "pods", "default")).toBe("list pods in default: false");
    });

    it("has no drift", () => {
        expect(pulumi(["preview", "--expect-no-changes"])).toMatch(/41 unchanged/);
    });

    it("`pulumi destroy` leaves no namespace of it", () => {
        pulumi(["destroy", "--yes"]);
        expect(cluster.json(["get", "namespaces"]).items.map((n: any) => n.metadata.name)).not.toContain(NS);
    });
});
