/**
 * The core package (core/): Kubernetes only. Its sources reach nothing outside core/ and import
 * no package but @pulumi/pulumi, @pulumi/kubernetes and Node's own modules (@pulumi/tls is loaded
 * only when EtcdQuorum issues its certificates with Pulumi, and only its types are imported).
 */
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { describe, expect, it } from "vitest";
import * as core from "../core";
import { ROOT } from "./harness/stacks";

const CORE = path.join(ROOT, "core");

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

describe("the core package", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(CORE, "package.json"), "utf8"));

    it("is the nodejs plugin package paas, depending on @pulumi/pulumi and @pulumi/kubernetes (and TypeScript, which compiles it)", () => {
        expect(fs.readFileSync(path.join(CORE, "PulumiPlugin.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
        expect(pkg.name).toBe("paas");
        expect(Object.keys(pkg.dependencies).sort()).toEqual(["@pulumi/kubernetes", "@pulumi/pulumi", "typescript"]);
        expect(pkg.peerDependenciesMeta).toEqual({ "@pulumi/tls": { optional: true } });
        // The same versions as the program's, so one copy of each is installed.
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        for (const d of ["@pulumi/kubernetes", "@pulumi/pulumi"]) expect([d, pkg.dependencies[d]]).toEqual([d, root.dependencies[d]]);
        expect(pkg.peerDependencies["@pulumi/tls"]).toBe(root.dependencies["@pulumi/tls"]);
    });

    it("imports nothing outside core/ and no package but its own dependencies", () => {
        const allowed = new Set(["@pulumi/pulumi", "@pulumi/kubernetes", ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
        const offenders: string[] = [];
        for (const file of sources(CORE)) {
            const src = fs.readFileSync(file, "utf8");
            const where = path.relative(ROOT, file);
            for (const m of src.matchAll(/^(import|export)( type)?[^"]*? from "([^"]+)";$/gms)) {
                const [, , typeOnly, spec] = m;
                if (spec.startsWith(".")) {
                    const target = path.resolve(path.dirname(file), spec);
                    if (!target.startsWith(CORE + path.sep)) offenders.push(`${where}: ${spec}`);
                } else if (!allowed.has(spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/")) && !(typeOnly && spec === "@pulumi/tls")) {
                    offenders.push(`${where}: ${spec}`);
                }
            }
            for (const m of src.matchAll(/require\("([^"]+)"\)/g)) if (m[1] !== "@pulumi/tls") offenders.push(`${where}: require ${m[1]}`);
        }
        expect(offenders).toEqual([]);
    });

    it("exports the six Kubernetes components and their defaults", () => {
        expect(getPulumiComponents(core).map((c) => c.name).sort()).toEqual(["EtcdQuorum", "Gateway", "KubernetesAccess", "KubernetesPlatform", "Service", "WeightedRoute"]);
        expect(core.KUBERNETES_PLATFORM_DEFAULTS.namespace).toBe("apps");
        expect(core.ETCD_DEFAULTS.members).toBe(3);
        expect(core.DEFAULT_KUBERNETES_VERSION).toBe("1.35");
    });
});
