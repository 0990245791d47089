/**
 * What the engine makes of a mock run against a stack's state: each resource's URN (the whole
 * parent type chain; the mock monitor prefixes the parent's own type only), its alias URNs, and
 * the old URN it takes over. As the engine does it: an alias spec fills its name, type and
 * parent from the resource's own; a resource matches its own URN first, then its aliases in
 * order; a child of a parent that matched through an alias inherits that alias (its name's
 * parent-name prefix swapped for the alias's name), for its own name and each of its specs.
 */
import type { AliasSpec, Recorder, Registered } from "./mocks";

export interface EngineResource {
    readonly resource: Registered;
    /** The URN the engine gives it. */
    readonly urn: string;
    /** Its alias URNs, in the order the engine tries them. */
    readonly aliases: readonly string[];
    /** The URN of the old state it takes over (its own or an alias), undefined when it is created. */
    readonly matched?: string;
}

const urnOf = (prefix: string, parentType: string | undefined, type: string, name: string) =>
    `${prefix}${parentType ? `${parentType}$` : ""}${type}::${name}`;
/** `urn:pulumi:<stack>::<project>::` */
const prefixOf = (urn: string) => urn.slice(0, urn.indexOf("::", urn.indexOf("::") + 2) + 2);
/** The qualified type of a URN: `A$B$C`. */
const qualifiedType = (urn: string) => urn.slice(prefixOf(urn).length, urn.lastIndexOf("::"));
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const typeOf = (urn: string) => qualifiedType(urn).split("$").pop()!;

/** Every resource of the run against a state holding `olds` (URNs), in registration order. */
export function engineUrns(recorder: Recorder, olds: ReadonlySet<string> = new Set()): EngineResource[] {
    const byMockUrn = new Map<string, EngineResource>();
    const out: EngineResource[] = [];
    for (const r of recorder.resources) {
        const prefix = prefixOf(r.urn);
        const parent = r.parent ? byMockUrn.get(r.parent) : undefined;
        if (r.parent && !parent) throw new Error(`${r.type} ${r.name}: parent ${r.parent} was not registered before it`);
        const urn = urnOf(prefix, parent && qualifiedType(parent.urn), r.type, r.name);
        const collapse = (a: AliasSpec): string => {
            if (a.urn !== undefined) return a.urn;
            let parentUrn = parent?.urn;
            if (a.noParent) parentUrn = undefined;
            else if (a.parentUrn !== undefined) {
                const p = byMockUrn.get(a.parentUrn);
                if (!p) throw new Error(`${r.type} ${r.name}: alias parent ${a.parentUrn} is not a registered resource`);
                parentUrn = p.urn;
            }
            return urnOf(prefix, parentUrn && qualifiedType(parentUrn), a.type ?? r.type, a.name ?? r.name);
        };
        const own = r.aliases.map(collapse);
        const aliases = [...own];
        if (parent?.matched !== undefined && parent.matched !== parent.urn) {
            const parentName = nameOf(parent.urn);
            const inherit = (type: string, name: string) =>
                urnOf(prefix, qualifiedType(parent.matched!), type, name.startsWith(parentName) ? nameOf(parent.matched!) + name.slice(parentName.length) : name);
            aliases.push(inherit(r.type, r.name), ...own.map((a) => inherit(typeOf(a), nameOf(a))));
        }
        const unique = [...new Set(aliases)].filter((a) => a !== urn);
        const matched = [urn, ...unique].find((u) => olds.has(u));
        const e: EngineResource = { resource: r, urn, aliases: unique, matched };
        byMockUrn.set(r.urn, e);
        out.push(e);
    }
    return out;
}
