/**
 * Component options for a component put between a parent and children that parent declared
 * before: each direct child gets an alias with its former parent, so no URN (and no state) changes.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface MovedChildrenOptions extends pulumi.ComponentResourceOptions {
    /** The former parent (resource or URN) of the component's direct children. @default - none (a new component: no alias) */
    childrenFormerParent?: pulumi.Resource | pulumi.Input<string>;
}

/** The aliases a direct child of a component made with `opts` needs (none when nothing moved). */
export function movedChildAliases(opts: MovedChildrenOptions | undefined): pulumi.Alias[] {
    return opts?.childrenFormerParent === undefined ? [] : [{ parent: opts.childrenFormerParent }];
}

/** Component options without childrenFormerParent, which is not the engine's to see. */
export function componentOptions(opts: MovedChildrenOptions | undefined): pulumi.ComponentResourceOptions | undefined {
    if (opts === undefined) return undefined;
    const { childrenFormerParent: _moved, ...rest } = opts;
    return rest;
}
