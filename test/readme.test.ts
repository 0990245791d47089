import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { policyTable, withTable } from "../policies/table";
import { ROOT } from "./harness/stacks";

describe("README", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("lists every policy as the pack defines it (npm run docs:policies)", () => {
        const dev = JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/dev.json"), "utf8"));
        expect(readme).toBe(withTable(readme, policyTable(dev)));
    });

    it("starts with the two fresh-machine commands, which package.json defines", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        expect(readme).toContain("npm ci && npm run up:local");
        expect(readme).toContain("\nnpm test ");
        expect(scripts["up:local"]).toBe("bash scripts/up-local.sh");
        expect(scripts.test).toBe("vitest run");
        expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).toContain("\nnpm test\n");
    });
});
