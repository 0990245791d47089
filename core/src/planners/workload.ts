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

/** True for a CPU or memory quantity above zero (a zero request makes CPU utilization undefined for the HPA). */
export function positiveQuantity(q: string): boolean {
    return quantityValue(q) > 0;
}

/** DNS-1035 label: what Service names must be. */
export const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** DNS-1123 label: what namespace names must be. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Longest DNS-1123 subdomain. */
export const DNS_SUBDOMAIN_MAX = 253;
/** The longest name of most objects (Secrets, ServiceAccounts, StorageClasses, GatewayClasses, ClusterIssuers). */
export function isDnsSubdomain(name: string): boolean {
    return name.length <= DNS_SUBDOMAIN_MAX && DNS_1123_SUBDOMAIN.test(name) && name.split(".").every((l) => l.length <= 63);
}
/** "must be a Secret name: a DNS-1123 subdomain (…)": the rule of most object names, for messages. */
export function objectNameRule(kind: string): string {
    return `must be a ${kind} name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most ${DNS_SUBDOMAIN_MAX})`;
}

/**
 * Namespaces of the cluster itself and of the managed add-ons: the platform never puts its
 * objects there (exact names, and every name starting with one of the prefixes).
 */
export const SYSTEM_NAMESPACES = { names: ["default", "kube-system", "kube-public", "kube-node-lease"], prefixes: ["kube-", "gke-", "gmp-"] } as const;

export function isSystemNamespace(ns: string): boolean {
    return (SYSTEM_NAMESPACES.names as readonly string[]).includes(ns) || SYSTEM_NAMESPACES.prefixes.some((p) => ns.startsWith(p));
}
export const SYSTEM_NAMESPACE_RULE = `is a system namespace (${SYSTEM_NAMESPACES.names.join(", ")} and every ${SYSTEM_NAMESPACES.prefixes.map((p) => `${p}*`).join(", ")} belong to the cluster); use a namespace of the platform's own`;

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Label prefixes Kubernetes reserves for its own components (and every subdomain of them). */
export const RESERVED_LABEL_PREFIXES = ["kubernetes.io", "k8s.io"] as const;

/**
 * Why `key` is not a label key a user may set, or undefined. `allowedPrefixes` are reserved
 * subdomains that are meant for users anyway (app.kubernetes.io, Kubernetes' recommended labels).
 */
export function labelKeyProblem(key: string, allowedPrefixes: readonly string[] = []): string | undefined {
    const slash = key.indexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const shape = "must be a label key: an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
    if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return shape;
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return shape;
    if (prefix !== undefined && !allowedPrefixes.includes(prefix) && RESERVED_LABEL_PREFIXES.some((r) => prefix === r || prefix.endsWith(`.${r}`)))
        return `uses the prefix ${prefix}/, which Kubernetes reserves for its own components (${RESERVED_LABEL_PREFIXES.map((r) => `${r}/`).join(", ")} and their subdomains); pick a prefix of your own`;
    return undefined;
}

/** Why `value` is not a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
    return value === "" || (value.length <= 63 && LABEL_NAME.test(value)) ? undefined
        : "must be a label value: empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}

/** Words of an environment variable name that say it holds a credential (API_KEY is two words). */
const CREDENTIAL_WORDS = /(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|SECRET_KEY|CREDENTIALS?)(_|$)/i;
/** A last word that makes the variable point at a credential rather than hold it (JWT_SECRET_FILE, TOKEN_URL). */
const REFERENCE_WORD = /_(PATH|FILE|DIR|NAME|URL|URI|ENDPOINT|HEADER|ID|TTL|EXPIRY|LENGTH)$/i;
/** Values shaped like a well-known kind of credential. */
const CREDENTIAL_VALUES: readonly (readonly [RegExp, string])[] = [
    [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key ID"],
    [/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/, "a private key"],
    [/\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}/, "a GitHub token"],
    [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, "a Slack token"],
    [/\bAIza[0-9A-Za-z_-]{35}\b/, "a Google API key"],
];

/**
 * Why the literal environment variable `name=value` looks like a credential (which belongs in a
 * Secret, not in the pod spec, the stack config and the state), or undefined. Shared by the
 * service check and the policy pack; the reason never quotes the value.
 */
export function literalCredentialReason(name: string, value: string): string | undefined {
    if (value === "") return undefined;
    const kind = CREDENTIAL_VALUES.find(([re]) => re.test(value));
    if (kind) return `its value looks like ${kind[1]}`;
    if (CREDENTIAL_WORDS.test(name) && !REFERENCE_WORD.test(name)) return "its name says it holds a credential";
    return undefined;
}

/** C identifier: the environment variable names the platform accepts (portable to every shell). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest CronJob name: its Jobs are named <cronjob>-<11 characters> and must fit a 63-character label. */
export const CRONJOB_NAME_MAX = 52;
/** Longest StatefulSet name: its pods carry controller-revision-hash=<name>-<10-character hash>, a 63-character label value. */
export const STATEFULSET_NAME_MAX = 63 - 11;

/** The macros a CronJob schedule may be (Kubernetes' cron parser). */
export const CRON_MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"] as const;
const CRON_FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[] }[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day-of-week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** Why `schedule` is not a CronJob schedule Kubernetes accepts, or undefined. */
export function cronScheduleProblem(schedule: string): string | undefined {
    const text = schedule.trim();
    if (/^(CRON_)?TZ=/.test(text)) return "must not set a time zone in the schedule (Kubernetes refuses TZ= and CRON_TZ=)";
    if (text.startsWith("@"))
        return (CRON_MACROS as readonly string[]).includes(text) ? undefined : `must be a macro of ${CRON_MACROS.join(", ")}, or five cron fields`;
    const fields = text.split(/\s+/);
    if (fields.length !== 5) return 'must be a cron schedule of five fields (minute hour day-of-month month day-of-week) such as "0 */6 * * *", or a macro such as @hourly';
    for (let i = 0; i < 5; i++) {
        const f = CRON_FIELDS[i];
        const bad = `must be a cron schedule: its ${f.name} field "${fields[i]}" is not a list of values, ranges or steps within ${f.min}-${f.max}`;
        const value = (v: string): number | undefined => {
            const named = f.names?.indexOf(v.toUpperCase()) ?? -1;
            if (named >= 0) return named + f.min;
            return /^\d{1,2}$/.test(v) ? Number(v) : undefined;
        };
        for (const part of fields[i].split(",")) {
            const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
            if (!m) return bad;
            const [, range, step] = m;
            if (step !== undefined && Number(step) === 0) return bad;
            if (range === "*" || (range === "?" && (i === 2 || i === 4))) continue;
            const [lo, hi, extra] = range.split("-");
            if (extra !== undefined) return bad;
            const a = value(lo);
            const b = hi === undefined ? a : value(hi);
            if (a === undefined || b === undefined || a < f.min || b > f.max || a > b) return bad;
        }
    }
    return undefined;
}
