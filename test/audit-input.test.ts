/**
 * `npm run audit` on unusable input: every class of unreadable or malformed export, policy config
 * and command line exits 2 with one exact line on stderr and nothing on stdout.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeAuditExport } from "../bench/audit-export";
import { audit } from "../policies/audit";

const ROOT = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-audit-input-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
};
const capture = (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = audit(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join("\n"), err: err.join("\n") };
};
const FROM = "expected an object with deployment.resources[] (from `pulumi stack export`)";
const USAGE = "usage: npm run audit -- <stack-export.json> [--config <policy-config.json>] [--json]";
const URN = "urn:pulumi:t::paas::kubernetes:apps/v1:Deployment::web";
const exportOf = (resources: unknown) => JSON.stringify({ version: 3, deployment: { manifest: {}, resources } });
const resource = (fields: Record<string, unknown>) => exportOf([{ urn: URN, custom: true, type: "kubernetes:apps/v1:Deployment", inputs: {}, ...fields }]);

/** A small, clean export from the benchmark's generator (3 services, all with PDB, HPA and policies). */
const valid = path.join(dir, "valid.json");
writeAuditExport(valid, 5 + 3 * 7);

describe("audit: unreadable or malformed stack exports exit 2", () => {
    const cases: [string, string | Buffer | null, (p: string) => string][] = [
        ["missing.json", null, (p) => `cannot read stack export ${p}: ENOENT`],
        ["empty.json", "", (p) => `stack export ${p} is empty; ${FROM}`],
        ["blank.json", " \n\t\n", (p) => `stack export ${p} has only whitespace; ${FROM}`],
        ["garbage.json", "{not json", (p) => `stack export ${p} is not valid JSON: unexpected 'n', expected a property name in double quotes at line 1, column 2`],
        ["words.json", "hello world", (p) => `stack export ${p} is not valid JSON: unexpected 'h', expected a value at line 1, column 1`],
        ["truncated.json", '{\n  "version": 3,\n  "deployment": {\n    "resources": [\n      {"urn": "u", "type": "t"', (p) => `stack export ${p} is not valid JSON: unexpected end of file, expected ',' or '}' at line 5, column 31`],
        ["missing-comma.json", '{"version": 3, "deployment": {"resources": [\n  {"urn": "a::b" "type": "t"}]}}', (p) => `stack export ${p} is not valid JSON: unexpected '"', expected ',' or '}' at line 2, column 18`],
        ["trailing.json", `${exportOf([])}\n}`, (p) => `stack export ${p} is not valid JSON: unexpected '}' after the end of the document at line 2, column 1`],
        ["control.json", '{"version": 3, "deployment": {"resources": [{"urn": "a\tb"}]}}', (p) => `stack export ${p} is not valid JSON: the control character 0x09 inside a string (escape it) at line 1, column 55`],
        ["unicode-column.json", '{"version": 3, "x": "ééé" ]', (p) => `stack export ${p} is not valid JSON: unexpected ']', expected ',' or '}' at line 1, column 27`],
        ["null.json", "null", (p) => `stack export ${p}: the document is null; ${FROM}`],
        ["array.json", "[]", (p) => `stack export ${p}: the document is an array; ${FROM}`],
        ["string.json", '"export"', (p) => `stack export ${p}: the document is a string; ${FROM}`],
        ["number.json", "3", (p) => `stack export ${p}: the document is a number; ${FROM}`],
        ["no-deployment.json", '{"version": 3}', (p) => `stack export ${p}: deployment is missing; ${FROM}`],
        ["deployment-array.json", '{"version": 3, "deployment": []}', (p) => `stack export ${p}: deployment is an array; ${FROM}`],
        ["deployment-null.json", '{"version": 3, "deployment": null}', (p) => `stack export ${p}: deployment is null; ${FROM}`],
        ["deployment-string.json", '{"version": 3, "deployment": "x"}', (p) => `stack export ${p}: deployment is a string; ${FROM}`],
        ["no-resources.json", '{"version": 3, "deployment": {"manifest": {}}}', (p) => `stack export ${p}: deployment.resources is missing; expected an array of resources`],
        ["resources-object.json", '{"version": 3, "deployment": {"resources": {}}}', (p) => `stack export ${p}: deployment.resources is an object; expected an array of resources`],
        ["resources-null.json", '{"version": 3, "deployment": {"resources": null}}', (p) => `stack export ${p}: deployment.resources is null; expected an array of resources`],
        ["duplicate.json", '{"version": 3, "deployment": {"resources": []}, "deployment": {"resources": []}}', (p) => `stack export ${p}: the key "deployment" appears twice; ${FROM}`],
        ["version-2.json", '{"version": 2, "deployment": {"resources": []}}', (p) => `stack export ${p}: unsupported deployment version 2: expected 3`],
        ["version-string.json", '{"version": "3", "deployment": {"resources": []}}', (p) => `stack export ${p}: unsupported deployment version "3" (a string): expected 3`],
        ["resource-number.json", exportOf([7]), (p) => `stack export ${p}: deployment.resources[0] is a number; expected a resource object`],
        ["resource-null.json", exportOf([{ urn: URN, type: "t" }, null]), (p) => `stack export ${p}: deployment.resources[1] is null; expected a resource object`],
        ["resource-array.json", exportOf([[]]), (p) => `stack export ${p}: deployment.resources[0] is an array; expected a resource object`],
        ["no-urn.json", exportOf([{ type: "kubernetes:apps/v1:Deployment" }]), (p) => `stack export ${p}: deployment.resources[0].urn is missing; expected a resource URN string`],
        ["urn-number.json", resource({ urn: 12 }), (p) => `stack export ${p}: deployment.resources[0].urn is a number; expected a resource URN string`],
        ["urn-empty.json", resource({ urn: "" }), (p) => `stack export ${p}: deployment.resources[0].urn is an empty string; expected a resource URN string`],
        ["no-type.json", resource({ type: undefined }), (p) => `stack export ${p}: deployment.resources[0].type is missing; expected a type token string such as "kubernetes:apps/v1:Deployment" (resource "${URN}")`],
        ["type-number.json", resource({ type: 5 }), (p) => `stack export ${p}: deployment.resources[0].type is a number; expected a type token string such as "kubernetes:apps/v1:Deployment" (resource "${URN}")`],
        ["custom-string.json", resource({ custom: "yes" }), (p) => `stack export ${p}: deployment.resources[0].custom is a string; expected true or false (resource "${URN}")`],
        ["inputs-array.json", resource({ inputs: [] }), (p) => `stack export ${p}: deployment.resources[0].inputs is an array; expected an object (resource "${URN}")`],
        ["inputs-null.json", resource({ inputs: null }), (p) => `stack export ${p}: deployment.resources[0].inputs is null; expected an object (resource "${URN}")`],
        ["inputs-string.json", resource({ inputs: "{}" }), (p) => `stack export ${p}: deployment.resources[0].inputs is a string; expected an object (resource "${URN}")`],
        ["outputs-number.json", resource({ outputs: 1 }), (p) => `stack export ${p}: deployment.resources[0].outputs is a number; expected an object (resource "${URN}")`],
        ["bare-bad.json", '{"resources": [1]}', (p) => `stack export ${p}: resources[0] is a number; expected a resource object`],
        ["utf16le.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exportOf([]), "utf16le")]),
            (p) => `stack export ${p} is UTF-16 encoded; re-save it as UTF-8 (PowerShell's \`>\` writes UTF-16: use \`pulumi stack export --file <file>\`, or \`| Out-File -Encoding utf8\`)`],
        ["utf16be.json", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(exportOf([]), "utf16le").swap16()]),
            (p) => `stack export ${p} is UTF-16 encoded; re-save it as UTF-8 (PowerShell's \`>\` writes UTF-16: use \`pulumi stack export --file <file>\`, or \`| Out-File -Encoding utf8\`)`],
        ["utf16-no-bom.json", Buffer.from(exportOf([]), "utf16le"),
            (p) => `stack export ${p} is UTF-16 encoded; re-save it as UTF-8 (PowerShell's \`>\` writes UTF-16: use \`pulumi stack export --file <file>\`, or \`| Out-File -Encoding utf8\`)`],
    ];

    it.each(cases)("%s", (name, content, message) => {
        const p = content === null ? path.join(dir, name) : write(name, content);
        expect(capture([p])).toEqual({ code: 2, out: "", err: `audit: ${message(p)}` });
    });

    it("a directory", () => {
        const p = path.join(dir, "a-directory.json");
        fs.mkdirSync(p);
        expect(capture([p])).toEqual({ code: 2, out: "", err: `audit: cannot read stack export ${p}: EISDIR (it is a directory)` });
    });

    it("inputs a policy cannot read (containers that are not a list)", () => {
        const p = write("containers-string.json", resource({ inputs: { kind: "Deployment", metadata: { name: "web" }, spec: { template: { spec: { containers: "app" } } } } }));
        const r = capture([p]);
        expect([r.code, r.out]).toEqual([2, ""]);
        expect(r.err).toMatch(new RegExp(`^audit: policy k8s-drop-all-capabilities cannot check resource "${URN.replace(/\$/g, "\\$")}": .*forEach is not a function; its inputs in the export are malformed$`));
    });

    it("never prints more than one line, and never a value that is not a key, a kind or a level", () => {
        const secret = "hunter2-AKIAIOSFODNN7EXAMPLE";
        const p = write("secret-type.json", resource({ type: { secret } }));
        const r = capture([p]);
        expect(r.code).toBe(2);
        expect(r.err).not.toContain(secret);
        expect(r.err.split("\n")).toHaveLength(1);
    });
});

describe("audit: byte order marks", () => {
    it("reads a UTF-8 export with a BOM exactly as without one", () => {
        const plain = path.join(dir, "violating.json");
        writeAuditExport(plain, 5 + 4 * 7, { noHpaEvery: 2 });
        const bom = write("violating-bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fs.readFileSync(plain)]));
        const expected = capture([plain]);
        expect(expected.code).toBe(1);
        expect(expected.out).toContain('Deployment "apps/svc-1" has no HorizontalPodAutoscaler targeting it');
        expect(capture([bom])).toEqual(expected);
        expect(capture([bom, "--json"])).toEqual(capture([plain, "--json"]));
    });

    it("reads a policy config with a BOM", () => {
        const config = write("config-bom.json", `\ufeff${JSON.stringify({ all: "disabled" })}`);
        expect(capture([valid, "--config", config])).toMatchObject({ code: 0, err: "" });
        const bomExport = write("config-bom-export.json", `\ufeff${resource({ inputs: { kind: "Deployment", metadata: { name: "web" } } })}`);
        expect(capture([bomExport]).code).toBe(1);
        expect(capture([bomExport, "--config", config])).toEqual({ code: 0, out: "no policy violations\n\n1 resources, 0 violations (0 mandatory)", err: "" });
    });

    it("locates syntax errors after a BOM from the first character", () => {
        const p = write("bom-garbage.json", "\ufeff{x");
        expect(capture([p]).err).toBe(`audit: stack export ${p} is not valid JSON: unexpected 'x', expected a property name in double quotes at line 1, column 2`);
    });
});

describe("audit: unusable policy configs exit 2", () => {
    const LEVELS = "expected advisory, mandatory, remediate or disabled";
    const SHAPE = 'expected an object mapping policy names (or "all") to an enforcement level or to {"enforcementLevel": ..., <settings>}';
    const cases: [string, string | Buffer | null, (p: string) => string][] = [
        ["config-missing.json", null, (p) => `cannot read policy config ${p}: ENOENT`],
        ["config-empty.json", "", (p) => `policy config ${p} is empty; expected a JSON object`],
        ["config-garbage.json", "{\n  all: 1\n}", (p) => `policy config ${p} is not valid JSON: unexpected 'a', expected a property name in double quotes at line 2, column 3`],
        ["config-truncated.json", '{"all":', (p) => `policy config ${p} is not valid JSON: unexpected end of file, expected a value at line 1, column 8`],
        ["config-null.json", "null", (p) => `policy config ${p}: the document is null; ${SHAPE}`],
        ["config-array.json", '["all"]', (p) => `policy config ${p}: the document is an array; ${SHAPE}`],
        ["config-string.json", '"mandatory"', (p) => `policy config ${p}: the document is a string; ${SHAPE}`],
        ["config-utf16.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"all": "advisory"}', "utf16le")]),
            (p) => `policy config ${p} is UTF-16 encoded; re-save it as UTF-8 (PowerShell's \`>\` writes UTF-16: use \`| Out-File -Encoding utf8\`)`],
        ["config-level-typo.json", '{"k8s-no-privileged-containers": "mandatroy"}',
            (p) => `policy config ${p}: "k8s-no-privileged-containers" is the unknown enforcement level "mandatroy" (did you mean "mandatory"?); ${LEVELS}`],
        ["config-level-case.json", '{"all": "Advisory"}', (p) => `policy config ${p}: "all" is the unknown enforcement level "Advisory" (did you mean "advisory"?); ${LEVELS}`],
        ["config-level-unknown.json", '{"all": "warn-only-please"}', (p) => `policy config ${p}: "all" is an unknown enforcement level (a 16-character string, not shown); ${LEVELS}`],
        ["config-level-in-object.json", '{"k8s-hpa-replica-bounds": {"enforcementLevel": "strict", "minReplicas": 2}}',
            (p) => `policy config ${p}: "k8s-hpa-replica-bounds".enforcementLevel is an unknown enforcement level (a 6-character string, not shown); ${LEVELS}`],
        ["config-level-number.json", '{"all": {"enforcementLevel": 1}}', (p) => `policy config ${p}: "all".enforcementLevel is a number; ${LEVELS}`],
        ["config-entry-number.json", '{"k8s-probes": 3}',
            (p) => `policy config ${p}: "k8s-probes" is a number; expected an enforcement level (advisory, mandatory, remediate, disabled) or an object with enforcementLevel and settings`],
        ["config-name-typo.json", '{"k8s-no-privileged-container": "mandatory"}',
            (p) => `policy config ${p}: unknown policy "k8s-no-privileged-container" (did you mean "k8s-no-privileged-containers"?); expected a policy of the pack (npm run docs:policies lists them) or "all"`],
        ["config-name-unknown.json", '{"totally-made-up": "advisory"}',
            (p) => `policy config ${p}: unknown policy "totally-made-up"; expected a policy of the pack (npm run docs:policies lists them) or "all"`],
        ["config-two-problems.json", '{"k8s-probes": "nope", "made-up": "advisory", "all": "x"}',
            (p) => `policy config ${p}: "k8s-probes" is an unknown enforcement level (a 4-character string, not shown); ${LEVELS} (and 2 more problems)`],
        ["config-setting-typo.json", '{"k8s-hpa-replica-bounds": {"minReplica": 2}}',
            (p) => `policy config ${p}: "k8s-hpa-replica-bounds" has the unknown setting "minReplica" (did you mean "minReplicas"?); its settings are minReplicas`],
        ["config-setting-none.json", '{"k8s-probes": {"enforcementLevel": "advisory", "strict": true}}',
            (p) => `policy config ${p}: "k8s-probes" has the setting "strict" but this policy has no settings`],
        ["config-all-setting.json", '{"all": {"enforcementLevel": "advisory", "exempt": []}}', (p) => `policy config ${p}: "all" has the setting "exempt" but "all" takes only enforcementLevel`],
        ["config-setting-type.json", '{"k8s-hpa-replica-bounds": {"minReplicas": "two"}}', (p) => `policy config ${p}: "k8s-hpa-replica-bounds".minReplicas is a string; expected an integer`],
        ["config-setting-items.json", '{"stack-deployment-has-hpa": {"exempt": ["apps/web", 7]}}', (p) => `policy config ${p}: "stack-deployment-has-hpa".exempt[1] is a number; expected a string`],
    ];

    it.each(cases)("%s", (name, content, message) => {
        const p = content === null ? path.join(dir, name) : write(name, content);
        expect(capture([valid, "--config", p])).toEqual({ code: 2, out: "", err: `audit: ${message(p)}` });
    });

    it("a directory", () => {
        const p = path.join(dir, "config-dir");
        fs.mkdirSync(p);
        expect(capture([valid, "--config", p])).toEqual({ code: 2, out: "", err: `audit: cannot read policy config ${p}: EISDIR (it is a directory)` });
    });

    it("does not print a setting's value", () => {
        const p = write("config-secret.json", JSON.stringify({ "k8s-service-type": { allowNodePort: "s3cr3t-token-value" } }));
        expect(capture([valid, "--config", p])).toEqual({ code: 2, out: "", err: `audit: policy config ${p}: "k8s-service-type".allowNodePort is a string; expected a boolean` });
    });

    it("accepts the repository's configs and every level", () => {
        expect(capture([valid, "--config", path.join(ROOT, "policies/config/dev.json")])).toMatchObject({ code: 0, err: "" });
        // prod.json is usable (no exit 2); it requires digests, and the generated export's services carry version tags only.
        const prod = capture([valid, "--config", path.join(ROOT, "policies/config/prod.json")]);
        expect(prod).toMatchObject({ code: 1, err: "" });
        expect(prod.out.split("\n").at(-1)).toBe("20 resources, 3 violations (3 mandatory)");
        expect(prod.out.match(/k8s-image-pinned .* must be pinned by digest \(@sha256:…\)/g)).toHaveLength(3);
        for (const level of ["advisory", "mandatory", "remediate", "disabled"]) {
            const p = write(`config-${level}.json`, JSON.stringify({ all: level, "k8s-hpa-replica-bounds": { enforcementLevel: level, minReplicas: 1 } }));
            expect(capture([valid, "--config", p])).toMatchObject({ code: 0, err: "" });
        }
    });
});

describe("audit: command line", () => {
    const cases: [string[], string][] = [
        [["--verbose", valid], 'unknown option "--verbose"'],
        [[valid, "-x"], 'unknown option "-x"'],
        [[valid, "--token=s3cr3t"], 'unknown option "--token"'],
        [[valid, "--config"], "--config needs a file"],
        [[valid, "--config", "--json"], "--config needs a file"],
        [[valid, "--config="], "--config needs a file"],
        [[valid, "--config", "a.json", "--config", "b.json"], "--config given twice"],
        [[], "no export file given"],
        [["--json"], "no export file given"],
        [[valid, valid], "expected one export file, got 2"],
    ];
    it.each(cases)("%j", (argv, message) => {
        expect(capture(argv)).toEqual({ code: 2, out: "", err: `audit: ${message}; ${USAGE}` });
    });

    it("takes --config=<file> and a file after --", () => {
        const config = write("cli-config.json", '{"all": "disabled"}');
        expect(capture([`--config=${config}`, "--", valid])).toMatchObject({ code: 0, err: "" });
    });

    it("as a process: one line on stderr, no stack trace, exit 2", () => {
        const tsx = path.join(ROOT, "node_modules/.bin/tsx");
        const bad = write("cli-bad.json", resource({ inputs: [] }));
        const r = spawnSync(tsx, ["policies/audit.ts", bad], { cwd: ROOT, encoding: "utf8" });
        expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
            status: 2, stdout: "", stderr: `audit: stack export ${bad}: deployment.resources[0].inputs is an array; expected an object (resource "${URN}")\n`,
        });
        const flag = spawnSync(tsx, ["policies/audit.ts", "--nope"], { cwd: ROOT, encoding: "utf8" });
        expect({ status: flag.status, stdout: flag.stdout, stderr: flag.stderr }).toEqual({ status: 2, stdout: "", stderr: `audit: unknown option "--nope"; ${USAGE}\n` });
    });
});
