import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness/stacks";

const ACTIONLINT = path.join(ROOT, ".tools/bin/actionlint");
const WORKFLOWS = path.join(ROOT, ".github/workflows");

function actionlint(files: string[]): { code: number; out: string } {
    if (!fs.existsSync(ACTIONLINT)) throw new Error("actionlint is missing: run `npm run toolchain -- actionlint` (builds it from the Go module github.com/rhysd/actionlint)");
    const r = spawnSync(ACTIONLINT, ["-no-color", "-oneline", "-shellcheck=", "-pyflakes=", ...files], { encoding: "utf8" });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).map((f) => path.join(WORKFLOWS, f));

describe("delivery workflows", () => {
    it("pass actionlint", () => {
        expect(files.map((f) => path.basename(f)).sort()).toEqual(["deploy.yml", "preview.yml"]);
        expect(actionlint(files)).toEqual({ code: 0, out: "" });
    });

    it("are really linted (a broken copy fails)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-wf-"));
        const broken = path.join(dir, "broken.yml");
        fs.writeFileSync(broken, fs.readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8").replace("comment-on-pr: true", "comment-on-pull-request: true"));
        const r = actionlint([broken]);
        expect(r.code).toBe(1);
        expect(r.out).toContain('input "comment-on-pull-request" is not defined in action "pulumi/actions@v6"');
    });

    it("preview every environment on pull requests with the policy pack, and deploy through GitHub environments", () => {
        const preview = parse(fs.readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8"));
        expect(Object.keys(preview.on)).toEqual(["pull_request"]);
        expect(preview.jobs.preview.strategy.matrix.include.map((m: { stack: string }) => m.stack)).toEqual(["dev", "aws-prod", "gcp-prod", "azure-prod"]);
        const step = preview.jobs.preview.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions"));
        expect(step.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies", policyPackConfigs: "policies/config/${{ matrix.policy }}.json" });
        const deploy = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
        expect(Object.keys(deploy.on)).toEqual(["push"]);
        expect(deploy.jobs.dev.environment).toBe("dev");
        expect(deploy.jobs.prod.environment).toBe("${{ matrix.stack }}");
        expect(deploy.jobs.prod.needs).toBe("dev");
    });

    it("use OIDC federation, never long-lived cloud keys", () => {
        for (const f of files) {
            const text = fs.readFileSync(f, "utf8");
            expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key|credentials_json|client-secret|ARM_CLIENT_SECRET/);
            const wf = parse(text);
            for (const [name, job] of Object.entries<any>(wf.jobs)) {
                const logsIn = job.steps.some((s: { uses?: string }) => /configure-aws-credentials|google-github-actions\/auth|azure\/login/.test(s.uses ?? ""));
                if (logsIn) expect([path.basename(f), name, job.permissions["id-token"]]).toEqual([path.basename(f), name, "write"]);
            }
        }
    });
});
