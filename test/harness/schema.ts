/** Validation of Kubernetes objects against the upstream OpenAPI schemas (kubernetes-models, ESM-only). */

const GROUP_MODULES: Record<string, string> = {
    "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
    "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
    "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
    "karpenter.sh/v1": "@kubernetes-models/karpenter/karpenter.sh/v1",
    "karpenter.k8s.aws/v1": "@kubernetes-models/karpenter/karpenter.k8s.aws/v1",
};

type Model = new (data: object) => { validate(): void };

/** The model class for apiVersion/kind, or undefined when no schema is known. */
export async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
    const mod = GROUP_MODULES[apiVersion] ?? `kubernetes-models/${apiVersion}`;
    try {
        return ((await import(mod)) as Record<string, Model>)[kind];
    } catch {
        return undefined;
    }
}

/** Validates one object; returns the validation error text, or "" when valid. Throws when no schema exists. */
export async function schemaErrors(obj: { apiVersion: string; kind: string }): Promise<string> {
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}: add its model module`);
    try {
        new Model(obj).validate();
        return "";
    } catch (e) {
        return (e as Error).message;
    }
}
