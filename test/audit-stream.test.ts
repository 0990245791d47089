/**
 * The audit's chunked export reader and its evaluation against the simple paths they replace:
 * JSON.parse + subjectsOf for reading, run.ts's evaluate for the policies; and output that no
 * longer builds one string (or one argument list) per violation.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { writeAuditExport } from "../bench/audit-export";
import { AuditInputError, audit, auditViolations, formatTable, jsonSyntaxError, readStackExport, subjectsOf } from "../policies/audit";
import { type Subject, k8sName } from "../policies/src/policy";
import { type PolicyConfigFile, type Violation, evaluate, runStackPolicy } from "../policies/src/run";
import * as stack from "../policies/src/stack";

const ROOT = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-audit-stream-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (content: string | Buffer) => {
    const p = path.join(dir, `f${n++}.json`);
    fs.writeFileSync(p, content);
    return p;
};
type Outcome = { ok: Subject[] } | { error: string };
const outcome = (f: () => Subject[]): Outcome => {
    try {
        return { ok: f() };
    } catch (e) {
        if (e instanceof AuditInputError) return { error: e.message };
        throw e;
    }
};
/** What the whole-file path makes of a file: JSON.parse (after a BOM), then subjectsOf. */
const reference = (p: string): { json: boolean; result?: Outcome } => {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(p, "utf8").replace(/^\ufeff/, ""));
    } catch {
        return { json: false };
    }
    return { json: true, result: outcome(() => subjectsOf(doc, `stack export ${p}`)) };
};

// Strings that stress the byte scanner: quotes, backslashes (escaped quotes at chunk edges), non-ASCII.
const text = fc.stringMatching(/^[a-z"\\\u00e9\u2028 /{}[\],:]{0,12}$/).chain((s) => fc.constantFrom(s, `${s}😀`, `\\"${s}\\\\`));
const value = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
        fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(text, tie("v"), { maxKeys: 4 })),
})).v;
const resource = fc.record({
    urn: text.map((s) => `urn:pulumi:s::paas::kubernetes:apps/v1:Deployment::${s}`),
    type: fc.constantFrom("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "pulumi:providers:kubernetes", "paas:index:Service"),
    custom: fc.boolean(),
    inputs: fc.dictionary(text, value, { maxKeys: 5 }),
    outputs: fc.dictionary(text, value, { maxKeys: 3 }),
    parent: text,
}, { requiredKeys: ["urn", "type"] });
const exportDoc = fc.record({
    version: fc.constant(3),
    deployment: fc.record({ manifest: fc.dictionary(text, value, { maxKeys: 2 }), resources: fc.array(resource, { maxLength: 6 }), secrets_providers: value }),
    extra: value,
});
const serialized = fc.tuple(exportDoc, fc.constantFrom(0, 1, 4), fc.boolean()).map(([d, indent, bom]) => `${bom ? "\ufeff" : ""}${JSON.stringify(d, null, indent)}`);

describe("the chunked export reader", () => {
    it("reads any export as JSON.parse + subjectsOf do, whatever the chunk size", () => {
        fc.assert(fc.property(serialized, fc.integer({ min: 1, max: 64 }), (t, chunk) => {
            const p = write(t);
            const ref = reference(p);
            expect(ref).toMatchObject({ json: true, result: { ok: expect.anything() } });
            expect(outcome(() => readStackExport(p, chunk))).toEqual(ref.result);
        }), { numRuns: 300 });
    });

    it("damaged exports: 'not valid JSON' exactly when JSON.parse fails, else the same subjects or an input error; never a crash", () => {
        const damage = fc.tuple(serialized, fc.nat(), fc.nat({ max: 12 }), fc.constantFrom("", "{", "}", "[", "]", ",", ":", '"', "\\", "1", "x", "\n", "é"));
        fc.assert(fc.property(damage, fc.integer({ min: 1, max: 48 }), ([t, at, cut, insert], chunk) => {
            const i = at % (t.length + 1);
            const p = write(`${t.slice(0, i)}${insert}${t.slice(i + cut)}`);
            const ref = reference(p);
            const got = outcome(() => readStackExport(p, chunk));
            if (!ref.json) {
                expect(got).toMatchObject({ error: expect.stringMatching(new RegExp(`^stack export ${p.replace(/[.\\]/g, "\\$&")} is not valid JSON: .+ at line \\d+, column \\d+$`)) });
            } else if ("ok" in ref.result!) {
                expect(got).toEqual(ref.result);
            } else {
                expect(got).toMatchObject({ error: expect.stringMatching(/^stack export \S+: /) });
            }
        }), { numRuns: 400 });
    });

    it("locates a syntax error where the whole-document check finds it", () => {
        fc.assert(fc.property(serialized, fc.nat(), fc.constantFrom("}", "]", ",", ":", "x", '"', "01"), fc.integer({ min: 1, max: 32 }), (t, at, insert, chunk) => {
            const clean = t.replace(/^\ufeff/, "");
            const i = at % (clean.length + 1);
            const broken = `${clean.slice(0, i)}${insert}${clean.slice(i)}`;
            const e = jsonSyntaxError(Buffer.from(broken));
            let parses = true;
            try {
                JSON.parse(broken);
            } catch {
                parses = false;
            }
            expect(e === undefined).toBe(parses);
            if (!e) return;
            const before = Buffer.from(broken).subarray(0, e.at).toString();
            const line = before.split("\n").length;
            const column = [...before.slice(before.lastIndexOf("\n") + 1)].length + 1;
            const got = outcome(() => readStackExport(write(broken), chunk));
            expect("error" in got && got.error.endsWith(` at line ${line}, column ${column}`)).toBe(true);
        }), { numRuns: 300 });
    });

    it("reads values longer than a chunk and the benchmark's export", () => {
        const big = "x\\\"y".repeat(300_000);
        const doc = { version: 3, deployment: { resources: [{ urn: "urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::big", type: "kubernetes:core/v1:ConfigMap", inputs: { data: { big } } }] } };
        const p = write(JSON.stringify(doc, null, 4));
        expect(readStackExport(p, 4096)).toEqual(subjectsOf(doc));
        const generated = path.join(dir, "generated.json");
        writeAuditExport(generated, 400, { namespaces: 3 });
        const subjects = readStackExport(generated, 1000);
        expect(subjects).toEqual(subjectsOf(JSON.parse(fs.readFileSync(generated, "utf8"))));
        expect(subjects.length).toBeGreaterThan(300);
    });
});

describe("the audit's evaluation", () => {
    const generated = path.join(dir, "violating.json");
    writeAuditExport(generated, 700, { noHpaEvery: 4, namespaces: 2 });
    const extra: Subject[] = [
        { type: "kubernetes:core/v1:Service", name: "np", urn: "urn:pulumi:s::p::kubernetes:core/v1:Service::np", props: { kind: "Service", metadata: { name: "np", namespace: "apps-0" }, spec: { type: "NodePort" } } },
        { type: "kubernetes:apps/v1:Deployment", name: "priv", urn: "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::priv", props: { kind: "Deployment", metadata: { name: "priv", namespace: "other" }, spec: { template: { spec: { containers: [{ name: "c", image: "nginx", securityContext: { privileged: true } }] } } } } },
    ];
    const subjects = [...readStackExport(generated), ...extra];
    const configs: [string, PolicyConfigFile][] = [
        ["defaults", {}],
        ["prod", JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/prod.json"), "utf8"))],
        ["dev", JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/dev.json"), "utf8"))],
        ["some disabled", { all: "mandatory", "k8s-probes": "disabled", "stack-deployment-has-hpa": { enforcementLevel: "advisory", exempt: ["apps-1/svc-3"] } }],
    ];

    it.each(configs)("finds what evaluate() finds, in the same order (%s)", (_name, config) => {
        const expected = evaluate(subjects, config);
        expect(expected.length).toBeGreaterThan(10);
        expect(new Set(expected.map((v) => v.policy)).size).toBeGreaterThan(2);
        expect(auditViolations(subjects, config)).toEqual(expected);
    });

    it("prints the --json document JSON.stringify would", () => {
        const out: string[] = [];
        expect(audit([generated, "--json"], (s) => out.push(s), () => undefined)).toBe(1);
        const subjectsOnly = readStackExport(generated);
        expect(out.join("\n")).toBe(JSON.stringify({ resources: subjectsOnly.length, violations: evaluate(subjectsOnly) }, null, 2));
    });

    it("formats a table of more violations than a function takes arguments", () => {
        const many: Violation[] = Array.from({ length: 300_000 }, (_, i) => ({ policy: "p", level: "mandatory", urn: `urn:${i}`, message: "m" }));
        const lines = formatTable(many).split("\n");
        expect(lines).toHaveLength(300_001);
        expect(lines[1]).toBe(`p       mandatory  urn:0${" ".repeat("urn:299999".length - "urn:0".length)}  m`);
    });
});

describe("stack policies at scale", () => {
    // Small domains, so that selectors, names and namespaces collide often.
    const ns = fc.constantFrom("a", "b", undefined);
    const labels = fc.dictionary(fc.constantFrom("app", "tier", "x"), fc.constantFrom("1", "2"), { maxKeys: 3 });
    const selector = fc.oneof(
        fc.constant(undefined), fc.constant({}), labels.map((matchLabels) => ({ matchLabels })),
        fc.record({
            matchLabels: labels,
            matchExpressions: fc.array(fc.record({ key: fc.constantFrom("app", "tier"), operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Bogus"), values: fc.array(fc.constantFrom("1", "2"), { maxLength: 2 }) }), { maxLength: 2 }),
        }, { requiredKeys: [] }),
    );
    const k8s = (type: string, name: string, namespace: string | undefined, props: Record<string, unknown>, i: number): Subject =>
        ({ type, name: `${name}-${i}`, urn: `urn:pulumi:s::p::${type}::${name}-${i}`, props: { metadata: { name, namespace }, ...props } });
    const item = fc.oneof(
        fc.tuple(fc.constantFrom("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"), fc.constantFrom("w1", "w2", "w3"), ns, labels)
            .map(([type, name, n, l]) => (i: number) => k8s(type, name, n, { spec: { template: { metadata: { labels: l } } } }, i)),
        fc.tuple(fc.constantFrom("p1", "p2"), ns, selector).map(([name, n, sel]) => (i: number) => k8s("kubernetes:policy/v1:PodDisruptionBudget", name, n, { spec: { selector: sel } }, i)),
        fc.tuple(fc.constantFrom("h1", "h2"), ns, fc.constantFrom("Deployment", "StatefulSet"), fc.constantFrom("w1", "w2", "w3"))
            .map(([name, n, kind, target]) => (i: number) => k8s("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name, n, { spec: { scaleTargetRef: { kind, name: target } } }, i)),
    );
    const nsOf = (r: Subject) => r.props.metadata?.namespace ?? "default";

    it("give the answers of a scan of every pair (which an index of them must keep)", () => {
        fc.assert(fc.property(fc.array(item, { maxLength: 25 }), fc.subarray(["a/w1", "default/w2", "b/w3"]), (makers, exempt) => {
            const rs = makers.map((m, i) => m(i));
            const of = (t: string) => rs.filter((r) => r.type === t);
            const pdbs = of("kubernetes:policy/v1:PodDisruptionBudget");
            const noPdb = rs.filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:StatefulSet")
                .filter((w) => !pdbs.some((p) => nsOf(p) === nsOf(w) && stack.selects(p.props.spec?.selector, w.props.spec?.template?.metadata?.labels)))
                .map((w) => ({ message: `${k8sName(w)} has no PodDisruptionBudget selecting its pods; add one (maxUnavailable: 1)`, urn: w.urn }));
            expect(runStackPolicy(stack.workloadHasPdb, rs)).toEqual(noPdb);
            const hpas = of("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
            const noHpa = of("kubernetes:apps/v1:Deployment")
                .filter((d) => !exempt.includes(`${nsOf(d)}/${d.props.metadata.name}`))
                .filter((d) => !hpas.some((h) => nsOf(h) === nsOf(d) && h.props.spec.scaleTargetRef.kind === "Deployment" && h.props.spec.scaleTargetRef.name === d.props.metadata.name))
                .map((d) => d.urn);
            expect(runStackPolicy(stack.deploymentHasHpa, rs, { exempt }).map((v) => v.urn)).toEqual(noHpa);
        }), { numRuns: 500 });
    });
});
