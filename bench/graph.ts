/** A captured resource graph, and its registration with the SDK's typed classes. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface GraphNode {
    type: string;
    name: string;
    urn: string;
    /** URN of the parent, "" for the stack. */
    parent: string;
    /** URN of the provider, "" for the default one. */
    provider: string;
    custom: boolean;
    inputs: Record<string, unknown>;
}

/** kubernetes:<group>/<version>:<Kind> → the SDK module of that group. */
const K8S_MODULES: Record<string, string> = {
    core: "core", apps: "apps", batch: "batch", policy: "policy", autoscaling: "autoscaling",
    "networking.k8s.io": "networking", "rbac.authorization.k8s.io": "rbac",
};

type Ctor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.Resource;

function classFor(type: string): Ctor {
    if (type === "pulumi:providers:kubernetes") return k8s.Provider as unknown as Ctor;
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
    const typed = m ? (k8s as any)[K8S_MODULES[m[1]] ?? ""]?.[m[2]]?.[m[3]] : undefined;
    if (typed) return typed as Ctor;
    if (m) return k8s.apiextensions.CustomResource as unknown as Ctor;
    throw new Error(`the floor has no class for ${type}`);
}

/** A bare component: registers itself and its (empty) outputs, as every component does. */
class Shell extends pulumi.ComponentResource {
    constructor(type: string, name: string, parent?: pulumi.Resource) {
        super(type, name, {}, { parent });
        this.registerOutputs({});
    }
}

/**
 * Registers every node, parents and providers first. Namespaced objects depend on their
 * Namespace when the graph has it: the program gets that ordering from the Namespace's outputs,
 * and a real API server refuses objects in a namespace that does not exist yet.
 */
export function registerGraph(graph: readonly GraphNode[]): void {
    const byUrn = new Map(graph.map((n) => [n.urn, n]));
    const made = new Map<string, pulumi.Resource>();
    const namespaces = new Map(graph.filter((n) => n.type === "kubernetes:core/v1:Namespace").map((n) => [(n.inputs.metadata as { name?: string } | undefined)?.name, n]));
    const make = (n: GraphNode): pulumi.Resource => {
        const existing = made.get(n.urn);
        if (existing) return existing;
        const parent = n.parent ? make(byUrn.get(n.parent)!) : undefined;
        const provider = n.provider ? (make(byUrn.get(n.provider)!) as pulumi.ProviderResource) : undefined;
        let r: pulumi.Resource;
        if (!n.custom) {
            r = new Shell(n.type, n.name, parent);
        } else {
            const ns = namespaces.get((n.inputs.metadata as { namespace?: string } | undefined)?.namespace);
            r = new (classFor(n.type))(n.name, n.inputs, { parent, provider, dependsOn: ns && ns !== n ? [make(ns)] : [] });
        }
        made.set(n.urn, r);
        return r;
    };
    for (const n of graph) make(n);
}
