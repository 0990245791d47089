/**
 * Runs policies outside the engine, exactly as the engine calls them: used by the tests and the
 * offline audit command. Also resolves enforcement levels and config from a policy config file
 * (the format of `pulumi preview --policy-pack-config`).
 */
import type { EnforcementLevel } from "@pulumi/policy";
import { allPolicies } from "./all";
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
