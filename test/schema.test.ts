import { describe, expect, it } from "vitest";
import { schemaErrors } from "./harness/schema";
import { STACKS, runStack } from "./harness/stacks";

describe("every Kubernetes object of the example stacks validates against the upstream schemas", () => {
    it.each(STACKS)("%s", async (stack) => {
        const run = await runStack(stack);
        const objects = run.recorder.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
        expect(objects.length).toBeGreaterThan(20);
        const failures: [string, string][] = [];
        for (const o of objects) {
            const err = await schemaErrors(o.inputs as { apiVersion: string; kind: string });
            if (err !== "") failures.push([o.name, err]);
        }
        expect(failures).toEqual([]);
    });

    it("catches an invalid object (the check can fail)", async () => {
        expect(await schemaErrors({ apiVersion: "apps/v1", kind: "Deployment", spec: { replicas: "three" } } as never)).toMatch(/replicas/);
        expect(await schemaErrors({ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", spec: { maxReplicas: 3 } } as never)).toMatch(/scaleTargetRef/);
        expect(await schemaErrors({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { rules: [{ backendRefs: [{ name: "a", weight: -1 }] }] } } as never)).toMatch(/weight/);
    });
});
