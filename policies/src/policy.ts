/**
 * Helpers to write policies as data: each policy is a plain object the engine runs and the
 * offline audit runs the same way (it only needs `type`, `props`, `name`, `urn`, `getConfig`).
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** What a check sees of a resource. */
export interface Subject {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, any>;
}

export type Report = (message: string, urn?: string) => void;

export interface ResourcePolicySpec<C extends object> {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    /** Resource types the policy reads; others are skipped. */
    types: readonly string[];
    configSchema?: PolicyConfigSchema;
    check(r: Subject, config: C, report: Report): void;
}

export type PaasResourcePolicy = ResourceValidationPolicy & { readonly types: readonly string[]; validateResource: ResourceValidation };
export type PaasStackPolicy = StackValidationPolicy;

export function resourcePolicy<C extends object = Record<string, never>>(spec: ResourcePolicySpec<C>): PaasResourcePolicy {
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        configSchema: spec.configSchema,
        types: spec.types,
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (!spec.types.includes(args.type)) return;
            spec.check({ type: args.type, name: args.name, urn: args.urn, props: args.props ?? {} }, args.getConfig<C>(), report);
        },
    };
}

export interface StackPolicySpec<C extends object> {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: PolicyConfigSchema;
    check(resources: readonly Subject[], config: C, report: Report): void;
}

export function stackPolicy<C extends object = Record<string, never>>(spec: StackPolicySpec<C>): PaasStackPolicy {
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        configSchema: spec.configSchema,
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const resources = args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props ?? {} }));
            spec.check(resources, args.getConfig<C>(), report);
        },
    };
}

/** `Deployment "web"` — how messages name a Kubernetes object. */
export function k8sName(r: Subject): string {
    const kind = r.props.kind ?? r.type.split(":").pop();
    const ns = r.props.metadata?.namespace;
    const name = r.props.metadata?.name ?? r.name;
    return `${kind} "${ns ? `${ns}/` : ""}${name}"`;
}

/** How messages name a cloud resource. */
export function cloudName(r: Subject): string {
    return `${r.type.split(":").pop()} "${r.name}"`;
}

/** Reads a JSON policy document given as a string or an object. */
export function jsonDoc(v: unknown): any {
    if (typeof v === "string") {
        try {
            return JSON.parse(v);
        } catch {
            return undefined;
        }
    }
    return v;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
