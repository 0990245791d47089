/**
 * The one place stack config is parsed and checked. Every problem is collected and reported at
 * once with its full key path; on any problem the program throws before registering anything.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AddonsArgs } from "../components/src/planners/platform";
import { ETCD_CERTIFICATES } from "../core/src/planners/etcd";
import { MONITORING_STACKS } from "../core/src/planners/monitoring";
import type { ServiceMetricsArgs } from "../core/src/planners/service";
import type { PlatformAccessArgs, PlatformCapacityArgs, PlatformEtcdArgs, PlatformGatewayArgs, PlatformRouteArgs, PlatformServiceArgs } from "../components/src/platform";
import { PERMISSIONS, POD_ACCESS_KINDS, SUBJECT_KINDS, type AclSubject } from "../core/src/planners/acl";
import { CLOUDS, type Cloud, type KubernetesClusterArgs, planCluster } from "../components/src/planners/cluster";
import { AWS_WORKLOAD_IDENTITIES, EKS_NODE_PROVISIONINGS } from "../components/src/planners/karpenter";
import { CAPACITY_OVERFLOWS, GATEWAY_CONTROLLERS, PLATFORM_DEFAULTS, PLATFORM_LIMITS, checkPlatform } from "../components/src/planners/platform";
import { Problems, Reader, suggest } from "../core/src/validation";
import { PathMatchType } from "../core/src/weightedRoute";

export const NAMESPACE = "paas";
/** The name app/main.ts gives its Platform: its children's cloud names are checked against the clouds' limits. */
export const PLATFORM_NAME = "paas";

/** Every key of the `paas:` namespace this program reads. Anything else is a typo. */
export const KNOWN_KEYS = ["cloud", "cluster", "kubeconfig", "namespace", "services", "routes", "gateway", "addons", "etcd", "access", "capacity"] as const;

export interface PlatformConfig {
    readonly stack: string;
    readonly cloud: Cloud;
    readonly cluster: KubernetesClusterArgs;
    /** True when `paas:kubeconfig` is set (its value is read as a secret by the program). */
    readonly hasKubeconfig: boolean;
    /** `paas:cluster.local.kubeconfigFile`, resolved: a kubeconfig file read (as a secret) at every run. */
    readonly kubeconfigFile?: string;
    /** Namespace the platform's workloads live in. */
    readonly namespace: string;
    readonly services: PlatformServiceArgs[];
    readonly routes: PlatformRouteArgs[];
    readonly gateway: PlatformGatewayArgs;
    readonly addons: AddonsArgs;
    readonly etcd?: PlatformEtcdArgs;
    readonly access?: PlatformAccessArgs;
    readonly capacity: PlatformCapacityArgs;
}

/** The provider keys each cloud needs, unless the same value is given under `paas:cluster.<cloud>`. */
const REGION_KEYS: Readonly<Record<Cloud, readonly { key: string; override?: string; example: string }[]>> = {
    aws: [{ key: "aws:region", example: "us-east-1" }],
    gcp: [
        { key: "gcp:project", override: "project", example: "my-project" },
        { key: "gcp:region", override: "region", example: "europe-west1" },
    ],
    azure: [{ key: "azure-native:location", override: "location", example: "westeurope" }],
    local: [],
};

/** Structured values arrive as JSON text from the engine; plain strings stay strings. */
function decode(raw: string | undefined): unknown {
    if (raw === undefined) return undefined;
    const t = raw.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return raw;
        }
    }
    return raw;
}

/**
 * The config keys the engine says are secret, or null when it said nothing. @pulumi/pulumi
 * 3.276 has no public getter: the language host passes the list as PULUMI_CONFIG_SECRET_KEYS
 * (JSON), which the SDK keeps in its store (and `setAllConfig(config, secretKeys)` sets under
 * mocks); the SDK's own, internal, `isConfigSecret` reads it from there too.
 */
export function engineSecretKeys(): readonly string[] | null {
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { config: Record<string, string | undefined> } };
    const text = state.getStore().config["PULUMI_CONFIG_SECRET_KEYS"];
    if (!text) return null;
    try {
        const keys: unknown = JSON.parse(text);
        return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : null;
    } catch {
        return null;
    }
}

/**
 * Parses the stack config.
 * @param raw every config value of the stack, as `pulumi.runtime.allConfig()` gives them
 * @param stack the stack name (the cluster is named `paas-<stack>` unless configured)
 * @param secretKeys the keys whose values are secrets (`paas:kubeconfig` must be one); null when
 *   unknown, which skips that check. @default - what the engine passed ({@link engineSecretKeys})
 * @throws ConfigError listing every problem
 */
export function parseConfig(raw: Readonly<Record<string, string>>, stack: string, secretKeys: readonly string[] | null = engineSecretKeys()): PlatformConfig {
    const problems = new Problems();
    const key = (k: string) => new Reader(problems, `${NAMESPACE}:${k}`, decode(raw[`${NAMESPACE}:${k}`]));

    for (const full of Object.keys(raw)) {
        if (!full.startsWith(`${NAMESPACE}:`)) continue;
        const k = full.slice(NAMESPACE.length + 1);
        if (!(KNOWN_KEYS as readonly string[]).includes(k)) {
            const hint = suggest(k, KNOWN_KEYS);
            problems.add(full, undefined, `is not a known key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${KNOWN_KEYS.join(", ")}`, true);
        }
    }

    const cloudReader = key("cloud");
    const cloud = cloudReader.present ? cloudReader.oneOf(CLOUDS) : "local";

    const { kubeconfigFile: kubeconfigFileRaw, ...cluster } = readCluster(key("cluster"));

    for (const need of cloud ? REGION_KEYS[cloud] : []) {
        const cloudOptions = (cloud === "local" ? undefined : cluster[cloud!]) as Record<string, unknown> | undefined;
        const overridden = need.override !== undefined && cloudOptions?.[need.override] !== undefined;
        if (!overridden && !raw[need.key]) {
            problems.add(need.key, undefined, `must be set for cloud "${cloud}" (pulumi config set ${need.key} ${need.example})`);
        }
    }

    const hasKubeconfig = !!raw[`${NAMESPACE}:kubeconfig`]; // "" is the declared default: none
    if (hasKubeconfig && cloud !== "local")
        problems.add(`${NAMESPACE}:kubeconfig`, undefined, `is only used with cloud "local" (the cloud is "${cloud}"); remove it`, true);
    // It holds the cluster's credentials: in plain text they would sit in the stack file and in every state file.
    if (hasKubeconfig && secretKeys !== null && !secretKeys.includes(`${NAMESPACE}:kubeconfig`))
        problems.add(`${NAMESPACE}:kubeconfig`, undefined,
            `is stored in plain text, and it holds the cluster's credentials: set it as a secret (pulumi config set --secret ${NAMESPACE}:kubeconfig "$(cat ~/.kube/config)"), or name the file with ${NAMESPACE}:cluster.local.kubeconfigFile`, true);
    const kubeconfigFile = checkKubeconfigFile(kubeconfigFileRaw, cloud, hasKubeconfig, cluster.local?.renderDirectory, problems);

    const namespace = key("namespace").string() ?? PLATFORM_DEFAULTS.namespace; // checked by checkPlatform

    const services = readServices(key("services"));
    const routes = readRoutes(key("routes"));
    const gateway = readGateway(key("gateway"));
    const addons = readAddons(key("addons"));
    const etcd = readEtcd(key("etcd"));
    const access = readAccess(key("access"));
    const capacity = readCapacity(key("capacity"));

    const clusterArgs = { ...cluster, cloud: cloud!, clusterName: cluster.clusterName ?? `paas-${stack}` };
    if (cloud) {
        planCluster(clusterArgs, `${NAMESPACE}:cluster`, problems, clusterArgs.clusterName);
        checkPlatform({ cluster: clusterArgs, namespace, services, routes, gateway, addons, etcd, access, capacity }, (k) => `${NAMESPACE}:${k}`, problems, PLATFORM_NAME);
    }
    problems.throwIfAny("stack configuration");
    return { stack, cloud: cloud!, cluster: clusterArgs, hasKubeconfig, kubeconfigFile, namespace, services, routes, gateway, addons, etcd, access, capacity };
}

function strings(r: Reader): string[] | undefined {
    const items = r.array();
    if (!items) return undefined;
    return items.map((i) => i.string()).filter((s): s is string => s !== undefined);
}

const KUBECONFIG_FILE_KEY = `${NAMESPACE}:cluster.local.kubeconfigFile`;

/**
 * `paas:cluster.local.kubeconfigFile`: one way to name the target cluster, and a file that
 * exists. Its content is never read here and never printed (it holds credentials).
 */
function checkKubeconfigFile(file: string | undefined, cloud: Cloud | undefined, hasKubeconfig: boolean, renderDirectory: string | undefined, problems: Problems): string | undefined {
    if (file === undefined) return undefined;
    if (cloud !== "local") return problems.add(KUBECONFIG_FILE_KEY, file, `is only used with cloud "local" (the cloud is "${cloud}"); remove it`);
    if (hasKubeconfig) return problems.add(KUBECONFIG_FILE_KEY, file, `and ${NAMESPACE}:kubeconfig both name a cluster; set only one`);
    if (renderDirectory !== undefined)
        return problems.add(KUBECONFIG_FILE_KEY, file, `and ${NAMESPACE}:cluster.local.renderDirectory exclude each other (deploy into a cluster, or render manifests); set only one`);
    const resolved = path.resolve(file);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile())
        return problems.add(KUBECONFIG_FILE_KEY, file, "names no file: start the project's local control plane (npm run cluster:up writes .tools/cluster/kubeconfig) or give the path of an existing cluster's kubeconfig");
    return resolved;
}

/** Reads `paas:cluster` into component args: types and key names only; semantics are the planner's. */
function readCluster(r: Reader): Omit<KubernetesClusterArgs, "cloud"> & { kubeconfigFile?: string } {
    if (!r.object(["clusterName", "kubernetesVersion", "nodePools", "apiAccess", "tags", "aws", "gcp", "azure", "local"])) return {};
    const out: Omit<KubernetesClusterArgs, "cloud"> & { kubeconfigFile?: string } = {
        clusterName: r.at("clusterName").string(),
        kubernetesVersion: r.at("kubernetesVersion").string(),
        tags: r.at("tags").stringMap(),
    };
    const pools = r.at("nodePools").array({ min: 1, max: 20 });
    if (pools) {
        out.nodePools = pools.map((p) => {
            p.object(["name", "machineType", "minNodes", "maxNodes", "spot", "diskSizeGb", "labels"]);
            for (const field of ["name", "minNodes", "maxNodes"])
                if (!p.at(field).present) p.problems.add(`${p.path}.${field}`, undefined, "is required");
            return {
                name: p.at("name").string() ?? "",
                machineType: p.at("machineType").string(),
                minNodes: p.at("minNodes").int({ min: 0, max: 1000 }) ?? 0,
                maxNodes: p.at("maxNodes").int({ min: 1, max: 1000 }) ?? Number.MAX_SAFE_INTEGER,
                spot: p.at("spot").bool(),
                diskSizeGb: p.at("diskSizeGb").int({ min: 20, max: 2048 }),
                labels: p.at("labels").stringMap(),
            };
        });
    }
    const api = r.at("apiAccess");
    if (api.object(["privateEndpoint", "authorizedNetworks", "allowAnyAddress"])) {
        out.apiAccess = {
            privateEndpoint: api.at("privateEndpoint").bool(),
            authorizedNetworks: strings(api.at("authorizedNetworks")),
            allowAnyAddress: api.at("allowAnyAddress").bool(),
        };
    }
    const aws = r.at("aws");
    if (aws.object(["vpcCidr", "availabilityZoneCount", "subnetIds", "adminRoleArns", "nodeProvisioning", "karpenter", "workloadIdentity"])) {
        const k = aws.at("karpenter");
        out.aws = {
            vpcCidr: aws.at("vpcCidr").string(),
            availabilityZoneCount: aws.at("availabilityZoneCount").int(),
            subnetIds: strings(aws.at("subnetIds")),
            adminRoleArns: strings(aws.at("adminRoleArns")),
            nodeProvisioning: aws.at("nodeProvisioning").oneOf(EKS_NODE_PROVISIONINGS),
            workloadIdentity: aws.at("workloadIdentity").oneOf(AWS_WORKLOAD_IDENTITIES),
            karpenter: k.object(["consolidateAfter", "disruptionBudgetPercent", "expireAfter", "controllerIdentity"]) ? {
                consolidateAfter: k.at("consolidateAfter").string(),
                disruptionBudgetPercent: k.at("disruptionBudgetPercent").int(),
                expireAfter: k.at("expireAfter").string(),
                controllerIdentity: k.at("controllerIdentity").oneOf(AWS_WORKLOAD_IDENTITIES),
            } : undefined,
        };
    }
    const gcp = r.at("gcp");
    if (gcp.object(["project", "region", "releaseChannel", "nodesCidr", "podsCidr", "servicesCidr", "masterCidr", "nodeAutoProvisioning"])) {
        out.gcp = {
            project: gcp.at("project").string(),
            region: gcp.at("region").string(),
            releaseChannel: gcp.at("releaseChannel").oneOf(["RAPID", "REGULAR", "STABLE"] as const),
            nodesCidr: gcp.at("nodesCidr").string(),
            podsCidr: gcp.at("podsCidr").string(),
            servicesCidr: gcp.at("servicesCidr").string(),
            masterCidr: gcp.at("masterCidr").string(),
            nodeAutoProvisioning: gcp.at("nodeAutoProvisioning").bool(),
        };
    }
    const az = r.at("azure");
    if (az.object(["location", "resourceGroupName", "adminGroupObjectIds", "keyVaultKeyId", "keyVaultResourceId", "vnetCidr", "podCidr", "serviceCidr", "dnsServiceIp", "nodeAutoProvisioning"])) {
        out.azure = {
            location: az.at("location").string(),
            resourceGroupName: az.at("resourceGroupName").string(),
            adminGroupObjectIds: strings(az.at("adminGroupObjectIds")),
            keyVaultKeyId: az.at("keyVaultKeyId").string(),
            keyVaultResourceId: az.at("keyVaultResourceId").string(),
            vnetCidr: az.at("vnetCidr").string(),
            podCidr: az.at("podCidr").string(),
            serviceCidr: az.at("serviceCidr").string(),
            dnsServiceIp: az.at("dnsServiceIp").string(),
            nodeAutoProvisioning: az.at("nodeAutoProvisioning").bool(),
        };
    }
    const local = r.at("local");
    if (local.object(["renderDirectory", "kubeconfigFile"])) {
        const renderDirectory = local.at("renderDirectory").string({ pattern: /^[^\0]+$/, what: "a folder path" });
        out.kubeconfigFile = local.at("kubeconfigFile").string({ pattern: /^[^\0]+$/, what: "a file path" });
        if (renderDirectory !== undefined) out.local = { renderDirectory };
    }
    return stripUndefined(out);
}

/** Drops `undefined` fields so the planner's `??` defaults apply. */
function stripUndefined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) =>
        [k, v && typeof v === "object" && !Array.isArray(v) ? stripUndefined(v) : v])) as T;
}

const SERVICE_KEYS = ["name", "image", "port", "healthPath", "cpu", "memory", "cpuLimit", "memoryLimit", "env", "secretEnv", "args", "runAsUser",
    "automountServiceAccountToken", "autoscaling", "calls", "egress", "metrics"] as const;
const AUTOSCALING_KEYS = ["minReplicas", "maxReplicas", "scaleUpAbove", "scaleDownBelow", "scaleDownStabilizationSeconds",
    "scaleUpStabilizationSeconds", "scaleDownPercentPerMinute"] as const;

function required(r: Reader, fields: readonly string[]): void {
    for (const f of fields) if (!r.at(f).present) r.problems.add(`${r.path}.${f}`, undefined, "is required");
}

/** Reads `paas:services`: types and key names; semantics are checked by the planners. */
function readServices(r: Reader): PlatformServiceArgs[] {
    return (r.array({ max: PLATFORM_LIMITS.services }) ?? []).map((s) => {
        s.object(SERVICE_KEYS);
        required(s, ["name", "image"]);
        const a = s.at("autoscaling");
        let autoscaling;
        if (a.object(AUTOSCALING_KEYS)) {
            autoscaling = Object.fromEntries(AUTOSCALING_KEYS.map((k) => [k, a.at(k).int()]));
        }
        return stripUndefined({
            name: s.at("name").string() ?? "",
            image: s.at("image").string() ?? "",
            port: s.at("port").int(),
            healthPath: s.at("healthPath").string(),
            cpu: s.at("cpu").quantity("cpu"),
            memory: s.at("memory").quantity("memory"),
            cpuLimit: s.at("cpuLimit").quantity("cpu"),
            memoryLimit: s.at("memoryLimit").quantity("memory"),
            // Names and literal credentials are the planner's to check; values are never printed.
            env: s.at("env").stringMap(undefined, undefined, { secretValues: true }),
            secretEnv: readSecretEnv(s.at("secretEnv")),
            args: strings(s.at("args")),
            runAsUser: s.at("runAsUser").int(),
            automountServiceAccountToken: s.at("automountServiceAccountToken").bool(),
            autoscaling,
            calls: strings(s.at("calls")),
            egress: (s.at("egress").array() ?? []).map((e) => {
                e.object(["cidr", "port", "allowCloudMetadata"]);
                required(e, ["cidr", "port"]);
                return stripUndefined({ cidr: e.at("cidr").string() ?? "", port: e.at("port").int() ?? 0, allowCloudMetadata: e.at("allowCloudMetadata").bool() });
            }),
            metrics: readServiceMetrics(s.at("metrics")),
        });
    });
}

/** `secretEnv`: variable name → {name, key} of a Kubernetes Secret. */
function readSecretEnv(r: Reader): Record<string, { name: string; key: string }> | undefined {
    const entries = r.entries();
    if (!entries) return undefined;
    // A plain value here is likely the credential itself: it is refused without being printed.
    const refs = entries.filter(([, ref]) => {
        if (ref.present && (typeof ref.value !== "object" || Array.isArray(ref.value)))
            return r.problems.add(ref.path, undefined, "must be {name, key} of a Kubernetes Secret, not a value", true);
        return ref.object(["name", "key"]) !== undefined;
    });
    return Object.fromEntries(refs.map(([k, ref]) => {
        required(ref, ["name", "key"]);
        return [k, { name: ref.at("name").string() ?? "", key: ref.at("key").string() ?? "" }];
    }));
}

/** Reads `paas:routes`. */
function readRoutes(r: Reader): PlatformRouteArgs[] {
    return (r.array({ max: PLATFORM_LIMITS.routes }) ?? []).map((route) => {
        route.object(["name", "hostnames", "matches", "backends", "weightTotal", "requestTimeout"]);
        required(route, ["name", "backends"]);
        return stripUndefined({
            name: route.at("name").string() ?? "",
            hostnames: strings(route.at("hostnames")),
            matches: route.at("matches").array()?.map((m) => {
                m.object(["path", "pathType", "headers"]);
                return stripUndefined({
                    path: m.at("path").string(),
                    pathType: m.at("pathType").oneOf(Object.values(PathMatchType)),
                    headers: m.at("headers").array()?.map((h) => {
                        h.object(["name", "value"]);
                        required(h, ["name", "value"]);
                        return { name: h.at("name").string() ?? "", value: h.at("value").string() ?? "" };
                    }),
                });
            }),
            backends: (route.at("backends").array() ?? []).map((b) => {
                b.object(["service", "capacity"]);
                required(b, ["service"]);
                return stripUndefined({ service: b.at("service").string() ?? "", capacity: b.at("capacity").number({ min: 0 }) });
            }),
            weightTotal: route.at("weightTotal").int(),
            requestTimeout: route.at("requestTimeout").string(),
        });
    });
}

function readGateway(r: Reader): PlatformGatewayArgs {
    if (!r.object(["namespace", "className", "hostname", "tlsSecretName", "certManagerClusterIssuer"])) return {};
    return stripUndefined({
        namespace: r.at("namespace").string(),
        className: r.at("className").string(),
        hostname: r.at("hostname").string(),
        tlsSecretName: r.at("tlsSecretName").string(),
        certManagerClusterIssuer: r.at("certManagerClusterIssuer").string(),
    });
}

/** `services[i].metrics`: types and key names; checkService checks the values. */
function readServiceMetrics(r: Reader): ServiceMetricsArgs | undefined {
    if (!r.object(["port", "path"])) return undefined;
    required(r, ["port"]);
    return stripUndefined({ port: r.at("port").int() ?? 0, path: r.at("path").string() });
}

function readAddons(r: Reader): AddonsArgs {
    if (!r.object(["gatewayController", "metricsServer", "certManager", "monitoring"])) return {};
    const m = r.at("monitoring");
    return stripUndefined({
        gatewayController: r.at("gatewayController").oneOf(GATEWAY_CONTROLLERS),
        metricsServer: r.at("metricsServer").bool(),
        certManager: r.at("certManager").bool(),
        monitoring: m.object(["stack", "namespace", "prometheusPodLabels", "resourceLabels"])
            ? stripUndefined({
                stack: m.at("stack").oneOf(MONITORING_STACKS),
                namespace: m.at("namespace").string(),
                prometheusPodLabels: m.at("prometheusPodLabels").stringMap(),
                resourceLabels: m.at("resourceLabels").stringMap(),
            })
            : undefined,
    });
}

/** Reads `paas:capacity`: types and key names; checkPlatform checks the values. */
function readCapacity(r: Reader): PlatformCapacityArgs {
    if (!r.object(["onOverflow", "nodeReserve"])) return {};
    const reserve = r.at("nodeReserve");
    return stripUndefined({
        onOverflow: r.at("onOverflow").oneOf(CAPACITY_OVERFLOWS),
        nodeReserve: reserve.object(["cpu", "memory", "pods"])
            ? stripUndefined({ cpu: reserve.at("cpu").string(), memory: reserve.at("memory").string(), pods: reserve.at("pods").int({ min: 0, max: 250 }) })
            : undefined,
    });
}

/** Reads `paas:etcd`; the declared default `{}` means no etcd. */
function readEtcd(r: Reader): PlatformEtcdArgs | undefined {
    if (r.value !== null && typeof r.value === "object" && Object.keys(r.value).length === 0) return undefined;
    if (!r.object(["name", "members", "allowSingleMember", "storageSize", "storageClassName", "quotaBackendBytes",
        "autoCompactionRetention", "snapshotSchedule", "keepSnapshots", "cpu", "memory", "certificates", "image", "shellImage"])) return undefined;
    return stripUndefined({
        name: r.at("name").string(),
        members: r.at("members").int(),
        allowSingleMember: r.at("allowSingleMember").bool(),
        storageSize: r.at("storageSize").string(),
        storageClassName: r.at("storageClassName").string(),
        quotaBackendBytes: r.at("quotaBackendBytes").int(),
        autoCompactionRetention: r.at("autoCompactionRetention").string(),
        snapshotSchedule: r.at("snapshotSchedule").string(),
        keepSnapshots: r.at("keepSnapshots").int(),
        cpu: r.at("cpu").string(),
        memory: r.at("memory").string(),
        certificates: r.at("certificates").oneOf(ETCD_CERTIFICATES),
        image: r.at("image").string(),
        shellImage: r.at("shellImage").string(),
    });
}

function readSubjects(r: Reader): AclSubject[] {
    return (r.array() ?? []).map((s) => {
        s.object(["kind", "name", "namespace"]);
        required(s, ["kind", "name"]);
        return stripUndefined({ kind: s.at("kind").oneOf(SUBJECT_KINDS) ?? "User", name: s.at("name").string() ?? "", namespace: s.at("namespace").string() });
    });
}

/** Reads `paas:access`; the declared default `{}` means no access model. */
function readAccess(r: Reader): PlatformAccessArgs | undefined {
    if (r.value !== null && typeof r.value === "object" && Object.keys(r.value).length === 0) return undefined;
    if (!r.object(["rules", "workloadIdentities", "breakGlassClusterAdmins", "protectWorkloadIdentities"])) return undefined;
    return stripUndefined({
        rules: r.at("rules").array()?.map((rule) => {
            rule.object(["name", "subjects", "resources", "namespace", "permission", "podAccess", "allowPolicyChanges"]);
            required(rule, ["name", "subjects", "resources", "permission"]);
            return stripUndefined({
                name: rule.at("name").string() ?? "",
                subjects: readSubjects(rule.at("subjects")),
                resources: strings(rule.at("resources")) ?? [],
                namespace: rule.at("namespace").string(),
                permission: rule.at("permission").oneOf(PERMISSIONS) ?? "read",
                podAccess: rule.at("podAccess").present ? (rule.at("podAccess").array() ?? []).map((a) => a.oneOf(POD_ACCESS_KINDS) ?? "exec") : undefined,
                allowPolicyChanges: rule.at("allowPolicyChanges").bool(),
            });
        }),
        workloadIdentities: r.at("workloadIdentities").array()?.map((w) => {
            w.object(["service", "aws", "gcp", "azure"]);
            required(w, ["service"]);
            const a = w.at("aws");
            const g = w.at("gcp");
            const z = w.at("azure");
            return stripUndefined({
                service: w.at("service").string() ?? "",
                aws: a.object(["actions", "resources"]) ? { actions: strings(a.at("actions")) ?? [], resources: strings(a.at("resources")) ?? [] } : undefined,
                gcp: g.object(["roles"]) ? { roles: strings(g.at("roles")) ?? [] } : undefined,
                azure: z.object(["roles"]) ? {
                    roles: (z.at("roles").array() ?? []).map((x) => {
                        x.object(["roleDefinitionId", "scope"]);
                        required(x, ["roleDefinitionId", "scope"]);
                        return { roleDefinitionId: x.at("roleDefinitionId").string() ?? "", scope: x.at("scope").string() ?? "" };
                    }),
                } : undefined,
            });
        }),
        breakGlassClusterAdmins: r.at("breakGlassClusterAdmins").present ? readSubjects(r.at("breakGlassClusterAdmins")) : undefined,
        protectWorkloadIdentities: r.at("protectWorkloadIdentities").bool(),
    });
}
