/** Every policy of the pack, importable without starting the analyzer. */
import * as aws from "./aws";
import * as azure from "./azure";
import * as gcp from "./gcp";
import * as hardening from "./hardening";
import * as k8s from "./kubernetes";
import * as placement from "./placement";
import type { PaasResourcePolicy, PaasStackPolicy } from "./policy";
import * as rbac from "./rbac";
import * as stack from "./stack";

const isPolicy = (v: unknown): v is PaasResourcePolicy | PaasStackPolicy =>
    typeof v === "object" && v !== null && "name" in v && ("validateResource" in v || "validateStack" in v);

export const resourcePolicies: PaasResourcePolicy[] = [k8s, hardening, rbac, aws, gcp, azure]
    .flatMap((m) => Object.values(m)).filter(isPolicy).filter((p): p is PaasResourcePolicy => "validateResource" in p);
export const stackPolicies: PaasStackPolicy[] = [stack, placement].flatMap((m) => Object.values(m)).filter(isPolicy).filter((p): p is PaasStackPolicy => "validateStack" in p);
/** Sorted by name: module namespaces list their exports in different orders under CJS and ESM. */
export const allPolicies = [...resourcePolicies, ...stackPolicies].sort((a, b) => a.name.localeCompare(b.name));
