/** The Kubernetes versions the platform supports: what a cluster may run and what a Service is planned for. */

/** The version a new cluster gets, and the one a Service's HPA is planned for unless told otherwise. */
export const DEFAULT_KUBERNETES_VERSION = "1.35";

/**
 * The Kubernetes minor versions the platform supports: older ones leave the managed services'
 * standard support, newer ones are untested (the HPA plans and the cluster tier know these).
 * The one place the window is written; move it with the clouds' release calendars.
 */
export const SUPPORTED_KUBERNETES_MINORS = { min: 33, max: 35 } as const;
export const KUBERNETES_VERSION_RULE =
    `must be a supported minor version from "1.${SUPPORTED_KUBERNETES_MINORS.min}" to "1.${SUPPORTED_KUBERNETES_MINORS.max}", e.g. "${DEFAULT_KUBERNETES_VERSION}"`;

export function isSupportedKubernetesVersion(v: string): boolean {
    const m = /^1\.(\d{1,3})$/.exec(v);
    return m !== null && Number(m[1]) >= SUPPORTED_KUBERNETES_MINORS.min && Number(m[1]) <= SUPPORTED_KUBERNETES_MINORS.max;
}

