/**
 * Stack state survives the program's restructuring: every resource a stack held before the
 * Kubernetes layer moved into the core's KubernetesPlatform (and the RBAC into KubernetesAccess)
 * is taken over by exactly one resource of today's program, under its own URN or an alias, as
 * the engine resolves them (test/harness/urns.ts). A miss would be a delete and a create — for a
 * Namespace, everything in it. Only the two new component resources are created.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Recorder } from "./harness/mocks";
import { ROOT, STACKS, runStack } from "./harness/stacks";
import { engineUrns } from "./harness/urns";

const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/stack-urns.json"), "utf8")) as { stacks: Record<string, string[]> };
const NEW_COMPONENTS = ["paas:index:KubernetesAccess", "paas:index:KubernetesPlatform"];

function takeOver(recorder: Recorder, olds: ReadonlySet<string>) {
    const resources = engineUrns(recorder, olds);
    const claims = new Map<string, string[]>();
    for (const e of resources) if (e.matched) claims.set(e.matched, [...(claims.get(e.matched) ?? []), e.urn]);
    return {
        missing: [...olds].filter((u) => !claims.has(u)),
        claimedTwice: [...claims].filter(([, by]) => by.length > 1),
        createdTypes: [...new Set(resources.filter((e) => !e.matched).map((e) => e.resource.type))].sort(),
    };
}

describe("stack state across the core's KubernetesPlatform", () => {
    it("the fixture holds every stack", () => {
        expect(Object.keys(FIXTURE.stacks)).toEqual([...STACKS]);
    });

    for (const stack of STACKS) {
        it(`${stack}: every old resource is taken over by exactly one new one; only the new components are created`, async () => {
            const olds = new Set(FIXTURE.stacks[stack]);
            expect(olds.size).toBeGreaterThan(40);
            const run = await runStack(stack);
            const r = takeOver(run.recorder, olds);
            expect(r.missing).toEqual([]);
            expect(r.claimedTwice).toEqual([]);
            expect(r.createdTypes).toEqual(NEW_COMPONENTS);
        });
    }

    it("without its aliases the Kubernetes layer would be deleted and created again", async () => {
        const olds = new Set(FIXTURE.stacks.local);
        const run = await runStack("local");
        for (const r of run.recorder.resources) (r as { aliases: unknown }).aliases = [];
        const r = takeOver(run.recorder, olds);
        // Only the cluster (its provider) and the cloud-identity component keep their parents.
        expect(r.missing.length).toBeGreaterThan(60);
        expect(r.missing.filter((u) => u.includes("Namespace::paas-ns"))).toHaveLength(1);
    });
});
