import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness/stacks";

const pkg = (p: string) => JSON.parse(fs.readFileSync(path.join(ROOT, p, "package.json"), "utf8"));
const major = (v: string) => Number(v.replace(/^v/, "").split(".")[0]);

describe("the Node.js the project runs on", () => {
    it("is a current LTS line (22 or later), as every package's engines says", () => {
        expect(major(process.versions.node)).toBeGreaterThanOrEqual(22);
        for (const p of [".", "core", "components", "policies"]) expect([p, pkg(p).engines?.node]).toEqual([p, ">=22"]);
        // @pulumi/pulumi itself needs 22: engines must not promise less than the dependencies do.
        const pulumi = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"));
        expect(pulumi.engines.node).toBe(">=22");
    });

    it("is the pinned Node from node_modules on Linux, whatever Node is installed on the machine", () => {
        const own = `node-${process.platform}-${process.arch}`;
        const pinned = pkg(".").optionalDependencies?.[own];
        if (pinned === undefined) {
            // Other platforms (macOS, Windows) use the machine's Node, which the test above holds to 22+.
            expect(["linux"]).not.toContain(process.platform);
            return;
        }
        expect(process.execPath).toBe(fs.realpathSync(path.join(ROOT, "node_modules", own, "bin", "node")));
        expect(process.versions.node).toBe(pinned);
    });
});
