/** Pure rules shared by the workload components and the policy pack. */

/** Labels every object the platform makes carries. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "paas" } as const;

/** Selector labels of a workload's pods. */
export function selectorLabels(name: string): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
}

export function workloadLabels(name: string, component = "service"): Record<string, string> {
    return { ...selectorLabels(name), "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "paas", ...MANAGED_BY };
}

export interface ImageRef {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** Splits `registry:5000/team/app:1.2.3@sha256:…`; the tag is after the last ':' past the last '/'. */
export function parseImage(image: string): ImageRef {
    const [withTag, digest] = image.split("@", 2);
    const slash = withTag.lastIndexOf("/");
    const colon = withTag.lastIndexOf(":");
    if (colon > slash) return { repository: withTag.slice(0, colon), tag: withTag.slice(colon + 1), digest };
    return { repository: withTag, digest };
}

const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Why an image reference is not acceptable, or undefined when it is. A pinned reference needs a
 * tag other than `latest` or a digest; with `requireDigest` only a digest will do.
 */
export function imageProblem(image: string, requireDigest = false): string | undefined {
    const ref = parseImage(image);
    if (!REPOSITORY.test(ref.repository)) return "must be an image reference such as registry.example.com/team/app:1.4.2";
    if (ref.digest !== undefined && !DIGEST.test(ref.digest)) return "has a malformed digest (expected @sha256:<64 hex>)";
    if (ref.tag !== undefined && !TAG.test(ref.tag)) return "has a malformed tag";
    if (requireDigest && ref.digest === undefined) return "must be pinned by digest (@sha256:…)";
    if (ref.digest !== undefined) return undefined;
    if (ref.tag === undefined) return "must be pinned: add a tag other than latest, or better a digest (@sha256:…)";
    if (ref.tag === "latest") return 'must not use the tag "latest": pin a version tag or a digest (@sha256:…)';
    return undefined;
}

/** The restricted Pod Security Standard, as a container security context. */
export function restrictedContainerSecurity(runAsUser: number) {
    return {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup: runAsUser,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Pod-level part of the restricted standard. */
export function restrictedPodSecurity(runAsUser: number) {
    return {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup: runAsUser,
        fsGroup: runAsUser,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Kubernetes quantity checks: CPU ("250m", "1", "1.5") and memory ("256Mi", "1Gi"). */
export const CPU_QUANTITY = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
export const MEMORY_QUANTITY = /^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Quantity → a number in base units (cores, bytes), for comparing requests and limits. */
export function quantityValue(q: string): number {
    const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
    if (!m) return NaN;
    const n = Number(m[1]);
    const unit = m[2] ?? "";
    const factor: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
    return n * factor[unit];
}

/** NetworkPolicy egress rule to the cluster DNS, which every workload behind a default deny needs. */
export const DNS_EGRESS = {
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
};

/** DNS-1035 label: what Service names must be. */
export const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
