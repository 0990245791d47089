/**
 * Each cloud's rules for the fields the cluster hands it: instance types, tags (labels on GCP),
 * subnet, role and resource-group identifiers. A value the cloud refuses fails only when the
 * resource is created, so the planner checks it at parse time. Pure.
 */
import type { Problems } from "../../../core/src/validation";
import type { Cloud } from "./cluster";

/**
 * What each cloud calls its instance types. Used to refuse a type of another cloud (an AWS
 * `m6i.large` on GKE fails only when the node pool is created).
 */
export const MACHINE_TYPE: Readonly<Record<Exclude<Cloud, "local">, { pattern: RegExp; what: string }>> = {
    aws: { pattern: /^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$/, what: "an EC2 instance type such as m6i.large" },
    gcp: { pattern: /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/, what: "a Compute Engine machine type such as e2-standard-4" },
    azure: { pattern: /^(Standard|Basic)_[A-Za-z][A-Za-z0-9]*([_-][A-Za-z0-9]+)*$/, what: "an Azure VM size such as Standard_D4s_v5" },
};

/** Why `machineType` is not an instance type of `cloud`, or undefined. */
export function machineTypeProblem(cloud: Cloud, machineType: string): string | undefined {
    if (cloud === "local") return undefined;
    const own = MACHINE_TYPE[cloud];
    if (own.pattern.test(machineType)) return undefined;
    const other = (Object.keys(MACHINE_TYPE) as Exclude<Cloud, "local">[]).find((c) => c !== cloud && MACHINE_TYPE[c].pattern.test(machineType));
    return other ? `is ${MACHINE_TYPE[other].what.replace(/ such as .*/, "")} (cloud ${other}), not of cloud ${cloud}: use ${own.what}`
        : `must be ${own.what}`;
}

/**
 * Each cloud's rules for the tags (labels on GCP) the cluster puts on every resource, with the
 * entries the platform adds itself counted against the limit.
 */
export const TAG_RULES: Readonly<Record<Exclude<Cloud, "local">, { max: number; key(k: string): string | undefined; value(v: string): string | undefined }>> = {
    aws: {
        // 50 per resource, less the paas:cluster and Name tags the platform sets.
        max: 48,
        key: (k) => /^aws:/i.test(k) ? 'must not start with "aws:" (AWS reserves it)'
            : !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(k) ? "must be an AWS tag key: 1 to 128 letters, digits, spaces or _ . : / = + - @" : undefined,
        value: (v) => /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u.test(v) ? undefined : "must be an AWS tag value: at most 256 letters, digits, spaces or _ . : / = + - @",
    },
    gcp: {
        // 64 per resource, less paas-cluster.
        max: 63,
        key: (k) => /^\p{Ll}[\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k) ? undefined
            : "must be a GCP label key: 1 to 63 lowercase letters, digits, '_' or '-', starting with a lowercase letter",
        value: (v) => /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(v) ? undefined : "must be a GCP label value: at most 63 lowercase letters, digits, '_' or '-'",
    },
    azure: {
        // 50 per resource, less paas-cluster.
        max: 49,
        key: (k) => k.length >= 1 && k.length <= 512 && !/[<>%&\\?/]/.test(k) ? undefined : "must be an Azure tag name: 1 to 512 characters, none of < > % & \\ ? /",
        value: (v) => v.length <= 256 ? undefined : "must be an Azure tag value of at most 256 characters",
    },
};

/** An existing subnet of the VPC. */
export const AWS_SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
/** An IAM role ARN: partition, 12-digit account, optional path, a name of at most 64 characters. */
export const AWS_ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;
/** Azure resource group names: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'. */
export const AZURE_RESOURCE_GROUP = /^[-\p{L}\p{N}_.()]{0,89}[-\p{L}\p{N}_()]$/u;

/** Cluster tags by the rules of the cloud they end up on (nothing is tagged on `local`). */
export function checkTags(cloud: Cloud, tags: Readonly<Record<string, string>>, path: string, problems: Problems): void {
    if (cloud === "local") return;
    const rules = TAG_RULES[cloud];
    const entries = Object.entries(tags);
    if (entries.length > rules.max) problems.add(path, entries.length, `must have at most ${rules.max} entries on cloud ${cloud} (the platform adds its own to every resource)`);
    for (const [k, v] of entries) {
        const keyProblem = rules.key(k);
        if (keyProblem) problems.add(`${path}["${k}"]`, k, keyProblem);
        else if (typeof v !== "string") problems.add(`${path}["${k}"]`, v, "must be a string");
        else if (rules.value(v)) problems.add(`${path}["${k}"]`, v, rules.value(v)!);
    }
}

