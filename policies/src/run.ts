/**
 * Runs policies outside the engine, exactly as the engine calls them: used by the tests and the
 * offline audit command. Also resolves enforcement levels and config from a policy config file
 * (the format of `pulumi preview --policy-pack-config`).
 */
import type { EnforcementLevel } from "@pulumi/policy";
import { allPolicies } from "./all";
import { editDistance } from "../../core/src/validation";
import type { PaasResourcePolicy, PaasStackPolicy, Subject } from "./policy";

export type PolicyConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    readonly policy: string;
    readonly level: EnforcementLevel;
    readonly urn: string;
    readonly message: string;
}

/** The policy's settings: schema defaults, overridden by the config file's entry. */
export function policyConfig(policy: PaasResourcePolicy | PaasStackPolicy, file: PolicyConfigFile = {}): Record<string, unknown> {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {})
        .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
        .map(([k, s]) => [k, (s as { default?: unknown }).default]));
    const entry = file[policy.name];
    const given = entry && typeof entry === "object" ? Object.fromEntries(Object.entries(entry).filter(([k]) => k !== "enforcementLevel")) : {};
    return { ...defaults, ...given };
}

/** The level a policy runs at: its own entry, else "all", else the pack's default. */
export function enforcementLevel(policy: PaasResourcePolicy | PaasStackPolicy, file: PolicyConfigFile = {}): EnforcementLevel {
    const entry = file[policy.name];
    if (typeof entry === "string") return entry;
    if (entry && typeof entry === "object" && entry.enforcementLevel) return entry.enforcementLevel;
    const all = file.all;
    if (typeof all === "string") return all;
    if (all && typeof all === "object" && all.enforcementLevel) return all.enforcementLevel;
    return policy.enforcementLevel ?? "advisory";
}

/** The levels the engine accepts (`EnforcementLevel` of @pulumi/policy). */
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** "null", "an array", "a string", ...: how messages name a JSON value's kind without printing it. */
export function jsonKind(v: unknown): string {
    if (v === undefined) return "missing";
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** The candidate closest to `given` if it is plausibly a typo of it (case ignored). */
export function closest(given: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestD = Infinity;
    for (const c of candidates) {
        const d = editDistance(given, c); // case-insensitive
        if (d < bestD) [best, bestD] = [c, d];
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(given.length / 4)) ? best : undefined;
}

/** A key or name for a message: quoted, control characters escaped, long ones cut. */
const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** An unknown level is shown only when it is a near miss of a real one (a typo, not a secret pasted in the wrong place). */
function levelProblem(where: string, v: unknown): string | undefined {
    if (typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v)) return undefined;
    const allowed = `expected ${ENFORCEMENT_LEVELS.slice(0, -1).join(", ")} or ${ENFORCEMENT_LEVELS[ENFORCEMENT_LEVELS.length - 1]}`;
    if (typeof v !== "string") return `${where} is ${jsonKind(v)}; ${allowed}`;
    const near = closest(v, ENFORCEMENT_LEVELS);
    return near ? `${where} is the unknown enforcement level ${quote(v)} (did you mean "${near}"?); ${allowed}`
        : `${where} is an unknown enforcement level (a ${v.length}-character string, not shown); ${allowed}`;
}

const SCHEMA_TYPES: Record<string, (v: unknown) => boolean> = {
    boolean: (v) => typeof v === "boolean",
    integer: (v) => Number.isInteger(v),
    number: (v) => typeof v === "number" && Number.isFinite(v),
    string: (v) => typeof v === "string",
    array: (v) => Array.isArray(v),
    object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
};
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** A setting's value against the policy's config schema: its JSON type and, for arrays, its items' type. Values are never printed. */
function settingProblem(where: string, v: unknown, schema: { type?: unknown; items?: { type?: unknown } }): string | undefined {
    const type = typeof schema.type === "string" ? schema.type : undefined;
    if (type && SCHEMA_TYPES[type] && !SCHEMA_TYPES[type](v)) return `${where} is ${jsonKind(v)}; expected ${article(type)}`;
    const items = typeof schema.items?.type === "string" ? schema.items.type : undefined;
    if (Array.isArray(v) && items && SCHEMA_TYPES[items]) {
        const bad = v.findIndex((x) => !SCHEMA_TYPES[items](x));
        if (bad >= 0) return `${where}[${bad}] is ${jsonKind(v[bad])}; expected ${article(items)}`;
    }
    return undefined;
}

/**
 * Checks a parsed policy config file (the format of `--policy-pack-config`): every key is a policy
 * of the pack or "all", every level is one the engine knows, every setting is in the policy's
 * config schema and of its type. Returns one-line problems naming keys; values are not printed.
 */
export function policyConfigProblems(doc: unknown): string[] {
    const shape = "an object mapping policy names (or \"all\") to an enforcement level or to {\"enforcementLevel\": ..., <settings>}";
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return [`the document is ${jsonKind(doc)}; expected ${shape}`];
    const byName = new Map<string, PaasResourcePolicy | PaasStackPolicy>(allPolicies.map((p) => [p.name, p]));
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(doc)) {
        const policy = byName.get(key);
        if (key !== "all" && !policy) {
            const near = closest(key, [...byName.keys(), "all"]);
            problems.push(`unknown policy ${quote(key)}${near ? ` (did you mean "${near}"?)` : ""}; expected a policy of the pack (npm run docs:policies lists them) or "all"`);
            continue;
        }
        if (typeof entry === "string") {
            const p = levelProblem(quote(key), entry);
            if (p) problems.push(p);
            continue;
        }
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            problems.push(`${quote(key)} is ${jsonKind(entry)}; expected an enforcement level (${ENFORCEMENT_LEVELS.join(", ")}) or an object with enforcementLevel and settings`);
            continue;
        }
        for (const [setting, value] of Object.entries(entry)) {
            const where = `${quote(key)}.${setting}`;
            if (setting === "enforcementLevel") {
                const p = levelProblem(where, value);
                if (p) problems.push(p);
                continue;
            }
            const props = (policy?.configSchema?.properties ?? {}) as Record<string, { type?: unknown; items?: { type?: unknown } }>;
            const schema = Object.prototype.hasOwnProperty.call(props, setting) ? props[setting] : undefined;
            if (!schema) {
                const names = Object.keys(props);
                const near = closest(setting, names);
                problems.push(names.length === 0 ? `${quote(key)} has the setting ${quote(setting)} but ${key === "all" ? "\"all\" takes only enforcementLevel" : "this policy has no settings"}`
                    : `${quote(key)} has the unknown setting ${quote(setting)}${near ? ` (did you mean "${near}"?)` : ""}; its settings are ${names.join(", ")}`);
                continue;
            }
            const p = settingProblem(where, value, schema);
            if (p) problems.push(p);
        }
    }
    return problems;
}

const noop = () => undefined;

export function runResourcePolicy(policy: PaasResourcePolicy, r: Subject, config: Record<string, unknown> = policyConfig(policy)): string[] {
    const out: string[] = [];
    const args = { ...r, opts: {}, stackTags: new Map(), getConfig: () => config, isType: () => false, asType: noop, notApplicable: noop } as never;
    void policy.validateResource(args, (message: string) => out.push(message));
    return out;
}

export function runStackPolicy(policy: PaasStackPolicy, resources: readonly Subject[], config: Record<string, unknown> = policyConfig(policy)): { message: string; urn?: string }[] {
    const out: { message: string; urn?: string }[] = [];
    const args = {
        resources: resources.map((r) => ({ ...r, opts: {}, dependencies: [], propertyDependencies: {}, isType: () => false, asType: noop })),
        stackTags: new Map(),
        getConfig: () => config,
        notApplicable: noop,
    } as never;
    void policy.validateStack(args, (message: string, urn?: string) => out.push({ message, urn }));
    return out;
}

/** Every policy over every resource, at the levels of `file`; disabled policies are skipped. */
export function evaluate(resources: readonly Subject[], file: PolicyConfigFile = {}): Violation[] {
    const out: Violation[] = [];
    for (const policy of allPolicies) {
        const level = enforcementLevel(policy, file);
        if (level === "disabled") continue;
        const config = policyConfig(policy, file);
        if ("validateResource" in policy) {
            for (const r of resources) for (const message of runResourcePolicy(policy as PaasResourcePolicy, r, config)) out.push({ policy: policy.name, level, urn: r.urn, message });
        } else {
            for (const v of runStackPolicy(policy as PaasStackPolicy, resources, config)) out.push({ policy: policy.name, level, urn: v.urn ?? "", message: v.message });
        }
    }
    return out;
}
