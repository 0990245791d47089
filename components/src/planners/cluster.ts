/**
 * Cluster planner: resolves every default of {@link KubernetesClusterArgs} once and checks the
 * semantic rules (ranges, CIDR overlaps, pool roles). Pure: plain data in, plain data out.
 */
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSION_RULE, isSupportedKubernetesVersion } from "../../../core/src/planners/kubernetesVersion";
export { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSION_RULE, SUPPORTED_KUBERNETES_MINORS, isSupportedKubernetesVersion } from "../../../core/src/planners/kubernetesVersion";
import type * as pulumi from "@pulumi/pulumi";
import { type Cidr, Problems, cidrContains, cidrSize, cidrsOverlap, formatCidr, formatIpv4, parseCidr, parseIpv4, subnet } from "../../../core/src/validation";
import { AWS_ROLE_ARN, AWS_SUBNET_ID, AZURE_RESOURCE_GROUP, checkTags, machineTypeProblem } from "./cloudFields";
import type { AwsWorkloadIdentity, EksNodeProvisioning, KarpenterArgs, KarpenterPlan, PoolLimit } from "./karpenter";
import { coversInternet } from "../../../core/src/planners/network";
import { NODE_PROVISIONING_DEFAULTS, karpenterProvisions, planAksNodeAutoProvisioning, planEksNodeProvisioning, planGkeNodeAutoProvisioning } from "./nodeProvisioning";
import { labelKeyProblem, labelValueProblem } from "../../../core/src/planners/workload";

/** Where the cluster runs. `local` creates no cluster: it targets a kubeconfig or renders manifests. */
export const Cloud = { Aws: "aws", Gcp: "gcp", Azure: "azure", Local: "local" } as const;
export type Cloud = (typeof Cloud)[keyof typeof Cloud];
export const CLOUDS: readonly Cloud[] = Object.values(Cloud);

/** GKE release channels. */
export const ReleaseChannel = { Rapid: "RAPID", Regular: "REGULAR", Stable: "STABLE" } as const;
export type ReleaseChannel = (typeof ReleaseChannel)[keyof typeof ReleaseChannel];

export interface NodePoolArgs {
    /** Pool name: lowercase letters and digits, starting with a letter, at most 12 characters (AKS's limit, kept everywhere so stacks move between clouds). */
    name: string;
    /** Instance/VM type. @default m6i.large on AWS, e2-standard-4 on GCP, Standard_D4s_v5 on Azure */
    machineType?: string;
    /** Smallest node count the autoscaler may go down to (whole pool, across zones). */
    minNodes: number;
    /** Largest node count the autoscaler may go up to (whole pool, across zones). */
    maxNodes: number;
    /** Run the pool on spot/preemptible capacity. The first pool hosts system workloads and may not be spot. @default false */
    spot?: boolean;
    /** OS disk size in GiB. @default 100 */
    diskSizeGb?: number;
    /** Kubernetes labels put on every node of the pool. @default {} */
    labels?: Record<string, string>;
}

export interface ApiAccessArgs {
    /** Serve the Kubernetes API on a private endpoint inside the network. @default true */
    privateEndpoint?: boolean;
    /**
     * CIDR blocks allowed to reach the API from outside the network. Empty means the API has no
     * public endpoint at all. `0.0.0.0/0` is refused unless `allowAnyAddress` is set. @default []
     */
    authorizedNetworks?: string[];
    /** Explicitly allow `0.0.0.0/0` in `authorizedNetworks` (not recommended). @default false */
    allowAnyAddress?: boolean;
}

export interface AwsClusterArgs {
    /** CIDR of the VPC the component creates (ignored when `subnetIds` is given). @default 10.0.0.0/16 */
    vpcCidr?: string;
    /** How many availability zones the VPC spans (2 or 3). @default 3 */
    availabilityZoneCount?: number;
    /** Existing private subnets (in at least two AZs) to use instead of creating a VPC. @default - a new VPC */
    subnetIds?: string[];
    /** IAM role ARNs granted cluster-admin through EKS access entries. @default [] */
    adminRoleArns?: string[];
    /**
     * Who provisions the nodes of the pools after the first: managed node groups that the cluster
     * autoscaler scales between minNodes and maxNodes, or Karpenter (one NodePool per pool, limited
     * to maxNodes of its machine type; minNodes must be 0). The first pool is always a managed node
     * group and runs the system add-ons (and the autoscaler). @default managedGroups
     */
    nodeProvisioning?: EksNodeProvisioning;
    /** Karpenter settings; only with nodeProvisioning karpenter. @default - see KarpenterArgs */
    karpenter?: KarpenterArgs;
    /** How the workload identities of services get their AWS credentials: IRSA or EKS Pod Identity. @default irsa */
    workloadIdentity?: AwsWorkloadIdentity;
}

export interface GcpClusterArgs {
    /** GCP project. @default the gcp:project of the stack */
    project?: string;
    /** Region of the regional cluster. @default the gcp:region of the stack */
    region?: string;
    /** GKE release channel. @default REGULAR */
    releaseChannel?: ReleaseChannel;
    /** Primary range of the node subnet. @default 10.10.0.0/20 */
    nodesCidr?: string;
    /** Secondary range for pods. @default 10.20.0.0/14 */
    podsCidr?: string;
    /** Secondary range for services. @default 10.30.0.0/20 */
    servicesCidr?: string;
    /** The /28 for the control plane's private endpoint. @default 172.16.0.32/28 */
    masterCidr?: string;
    /**
     * Node auto-provisioning: GKE may create node pools of other shapes, within cluster-wide CPU
     * and memory limits that are the sums of the pools' maxima (and minima). The pools keep their
     * own autoscaling. @default false
     */
    nodeAutoProvisioning?: boolean;
}

export interface AzureClusterArgs {
    /** Azure region. @default the azure-native:location of the stack */
    location?: string;
    /** Existing resource group to deploy into. @default - a new resource group named after the cluster */
    resourceGroupName?: string;
    /** Entra ID group object IDs that become cluster admins. @default [] */
    adminGroupObjectIds?: string[];
    /** Key Vault key ID (versioned URL) for KMS encryption of Kubernetes secrets. @default - platform-managed encryption at rest */
    keyVaultKeyId?: string;
    /** Resource ID of the Key Vault holding `keyVaultKeyId`; the control-plane identity gets Key Vault Crypto User on it. Required with `keyVaultKeyId`. @default - none */
    keyVaultResourceId?: string;
    /** Address space of the virtual network the component creates. @default 10.224.0.0/12 */
    vnetCidr?: string;
    /** Overlay range pods get their addresses from; must not overlap vnetCidr or serviceCidr. @default 10.244.0.0/16 */
    podCidr?: string;
    /** Range of Kubernetes Service IPs; must not overlap vnetCidr or podCidr. @default 10.0.0.0/16 */
    serviceCidr?: string;
    /** IP of the cluster DNS Service: inside serviceCidr, not its network address, first address (the kubernetes Service) or last. @default - the 10th address of serviceCidr (10.0.0.10) */
    dnsServiceIp?: string;
    /**
     * Node auto-provisioning (AKS's managed Karpenter): every pool after the first becomes a
     * Karpenter NodePool limited to maxNodes of its VM size (minNodes 0, disk of at least 30 GiB).
     * AKS then allows only fixed-size node pools, so the first pool keeps minNodes nodes and must
     * have maxNodes equal to minNodes. @default false
     */
    nodeAutoProvisioning?: boolean;
}

export interface LocalClusterArgs {
    /** Kubeconfig of an existing cluster to deploy into (keep it a Pulumi secret). @default - render manifests to `renderDirectory` instead */
    kubeconfig?: pulumi.Input<string>;
    /** Folder the Kubernetes manifests are rendered into when no kubeconfig is given. @default rendered */
    renderDirectory?: string;
}

export interface KubernetesClusterArgs {
    /** Which cloud (or `local`). */
    cloud: Cloud;
    /** Name of the cluster at the cloud provider. @default the component name */
    clusterName?: string;
    /** Kubernetes minor version, e.g. "1.35". @default 1.35 */
    kubernetesVersion?: string;
    /**
     * Autoscaling node pools; the first one hosts system workloads. On AKS the first pool is a
     * System pool, tainted CriticalAddonsOnly only when a later on-demand pool can take the
     * workloads (AKS taints spot pools itself); a lone pool is left untainted so pods schedule.
     * @default one on-demand pool "system" of 2 to 6 nodes; on AKS also an on-demand user pool "apps" of 2 to 10 nodes (zonal, autoscaling), as AKS recommends
     */
    nodePools?: NodePoolArgs[];
    /** Who may reach the Kubernetes API. @default private endpoint only */
    apiAccess?: ApiAccessArgs;
    /** Tags/labels put on every cloud resource. @default {} */
    tags?: Record<string, string>;
    /** EKS options; only with cloud `aws`. @default - see AwsClusterArgs */
    aws?: AwsClusterArgs;
    /** GKE options; only with cloud `gcp`. @default - see GcpClusterArgs */
    gcp?: GcpClusterArgs;
    /** AKS options; only with cloud `azure`. @default - see AzureClusterArgs */
    azure?: AzureClusterArgs;
    /** Options of the `local` cloud. @default - see LocalClusterArgs */
    local?: LocalClusterArgs;
}

/** Every default of {@link KubernetesClusterArgs}; the planner, the components and the docs read these. */
export const CLUSTER_DEFAULTS = {
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    machineType: { aws: "m6i.large", gcp: "e2-standard-4", azure: "Standard_D4s_v5", local: "local" } as Readonly<Record<Cloud, string>>,
    /** The pool every cloud gets when none is configured. */
    systemPool: { name: "system", minNodes: 2, maxNodes: 6 },
    /** AKS only: the user pool workloads run on, since the system pool is tainted for critical add-ons. */
    azureUserPool: { name: "apps", minNodes: 2, maxNodes: 10 },
    diskSizeGb: 100,
    apiAccess: { privateEndpoint: true },
    aws: { vpcCidr: "10.0.0.0/16", availabilityZoneCount: 3, ...NODE_PROVISIONING_DEFAULTS.aws },
    gcp: { releaseChannel: "REGULAR", nodesCidr: "10.10.0.0/20", podsCidr: "10.20.0.0/14", servicesCidr: "10.30.0.0/20", masterCidr: "172.16.0.32/28", ...NODE_PROVISIONING_DEFAULTS.gcp },
    azure: { vnetCidr: "10.224.0.0/12", podCidr: "10.244.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIpOffset: 10, ...NODE_PROVISIONING_DEFAULTS.azure },
    local: { renderDirectory: "rendered" },
} as const;

export const DEFAULT_MACHINE_TYPE = CLUSTER_DEFAULTS.machineType;
/** The taint AKS documents for a System pool reserved for critical add-ons. */
export const CRITICAL_ADDONS_ONLY_TAINT = "CriticalAddonsOnly=true:NoSchedule";
export const NODE_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
export const CLUSTER_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

export interface NodePoolPlan {
    readonly name: string;
    readonly machineType: string;
    readonly minNodes: number;
    readonly maxNodes: number;
    readonly spot: boolean;
    readonly diskSizeGb: number;
    readonly labels: Readonly<Record<string, string>>;
    /** The first pool: system workloads, never spot. */
    readonly system: boolean;
    /** Karpenter provisions the pool's nodes (EKS with aws.nodeProvisioning karpenter, AKS with azure.nodeAutoProvisioning): no node group, no minimum. */
    readonly karpenter: boolean;
    /**
     * AKS: the system pool takes critical add-ons only (tainted CriticalAddonsOnly). True only
     * when another on-demand pool exists that workloads can schedule on; never on other clouds.
     */
    readonly criticalAddonsOnly: boolean;
}

export interface ClusterPlan {
    readonly cloud: Cloud;
    readonly clusterName: string;
    readonly kubernetesVersion: string;
    readonly nodePools: readonly NodePoolPlan[];
    readonly apiAccess: {
        readonly privateEndpoint: boolean;
        readonly authorizedNetworks: readonly string[];
        /** True when the API has a public endpoint (restricted to `authorizedNetworks`). */
        readonly publicEndpoint: boolean;
    };
    readonly tags: Readonly<Record<string, string>>;
    readonly aws?: {
        readonly vpcCidr: string;
        readonly availabilityZoneCount: number;
        readonly privateSubnetCidrs: readonly string[];
        readonly publicSubnetCidrs: readonly string[];
        readonly subnetIds?: readonly string[];
        readonly adminRoleArns: readonly string[];
        readonly nodeProvisioning: EksNodeProvisioning;
        readonly workloadIdentity: AwsWorkloadIdentity;
        /** Set when nodeProvisioning is karpenter. */
        readonly karpenter?: KarpenterPlan;
    };
    readonly gcp?: {
        readonly project?: string;
        readonly region?: string;
        readonly releaseChannel: ReleaseChannel;
        readonly nodesCidr: string;
        readonly podsCidr: string;
        readonly servicesCidr: string;
        readonly masterCidr: string;
        /** Cluster-wide limits of node auto-provisioning, when it is on. */
        readonly nodeAutoProvisioning?: { readonly min: PoolLimit; readonly max: PoolLimit };
    };
    readonly azure?: {
        readonly location?: string;
        readonly resourceGroupName?: string;
        readonly adminGroupObjectIds: readonly string[];
        readonly keyVaultKeyId?: string;
        readonly keyVaultResourceId?: string;
        readonly vnetCidr: string;
        readonly nodeSubnetCidr: string;
        readonly podCidr: string;
        readonly serviceCidr: string;
        readonly dnsServiceIp: string;
        /** Set when node auto-provisioning is on: the NodePools' disruption settings (Karpenter's defaults). */
        readonly nodeAutoProvisioning?: KarpenterPlan;
    };
    readonly local?: { readonly renderDirectory: string };
}

/** The pools a cluster gets when none are configured. */
export function defaultNodePools(cloud: Cloud): readonly NodePoolArgs[] {
    const system = { ...CLUSTER_DEFAULTS.systemPool };
    // AKS taints its system pool: without a user pool every workload would stay Pending.
    return cloud === "azure" ? [system, { ...CLUSTER_DEFAULTS.azureUserPool }] : [system];
}

/**
 * AWS subnet layout: the VPC is cut in four quarters; quarters 0..n-1 are the private subnets
 * (large: with the VPC CNI every pod takes a VPC address), and quarter 3 is cut in sixteenths
 * whose first n are the public subnets (NAT gateways and load balancers only need a few).
 */
export function planAwsSubnets(vpcCidr: string, azCount: number): { private: string[]; public: string[] } {
    const vpc = parseCidr(vpcCidr);
    if (!vpc) throw new RangeError(`not a CIDR: ${vpcCidr}`);
    const quarter = vpc.prefix + 2;
    const reserve = subnet(vpc, quarter, 3);
    return {
        private: Array.from({ length: azCount }, (_, i) => formatCidr(subnet(vpc, quarter, i))),
        public: Array.from({ length: azCount }, (_, i) => formatCidr(subnet(reserve, quarter + 4, i))),
    };
}

/** Resolves defaults and checks `args`; problems are reported under `path` (e.g. `paas:cluster`). */
export function planCluster(args: KubernetesClusterArgs, path: string, problems: Problems, fallbackName: string): ClusterPlan {
    const cloud = args.cloud;
    const clusterName = args.clusterName ?? fallbackName;
    if (!CLUSTER_NAME.test(clusterName))
        problems.add(`${path}.clusterName`, clusterName, "must be 2 to 40 lowercase letters, digits or '-', starting with a letter");
    const kubernetesVersion = args.kubernetesVersion ?? CLUSTER_DEFAULTS.kubernetesVersion;
    if (!isSupportedKubernetesVersion(kubernetesVersion)) problems.add(`${path}.kubernetesVersion`, kubernetesVersion, KUBERNETES_VERSION_RULE);
    checkTags(cloud, args.tags ?? {}, `${path}.tags`, problems);

    for (const other of ["aws", "gcp", "azure", "local"] as const) {
        if (other !== cloud && args[other] !== undefined)
            problems.add(`${path}.${other}`, args[other], `is only allowed when the cloud is "${other}" (the cloud is "${cloud}")`);
    }

    const pools = args.nodePools ?? defaultNodePools(cloud);
    // AKS: reserve the system pool only when workloads have an on-demand pool to go to (spot
    // pools carry a NoSchedule taint of their own there).
    const dedicatedSystem = pools.slice(1).some((p) => !(p.spot ?? false));
    if (pools.length === 0) problems.add(`${path}.nodePools`, pools, "must have at least one pool");
    const seen = new Set<string>();
    const karpenter = karpenterProvisions(cloud, args.aws, args.azure);
    const nodePools = pools.map((p, i): NodePoolPlan => {
        const at = `${path}.nodePools[${i}]`;
        if (!NODE_POOL_NAME.test(p.name))
            problems.add(`${at}.name`, p.name, "must be 1 to 12 lowercase letters or digits, starting with a letter");
        else if (seen.has(p.name)) problems.add(`${at}.name`, p.name, "must be unique among the node pools");
        seen.add(p.name);
        if (!Number.isInteger(p.minNodes) || p.minNodes < 0 || p.minNodes > 1000)
            problems.add(`${at}.minNodes`, p.minNodes, "must be an integer from 0 to 1000");
        if (!Number.isInteger(p.maxNodes) || p.maxNodes < 1 || p.maxNodes > 1000)
            problems.add(`${at}.maxNodes`, p.maxNodes, "must be an integer from 1 to 1000");
        else if (p.maxNodes < p.minNodes) problems.add(`${at}.maxNodes`, p.maxNodes, `must be >= minNodes (${p.minNodes})`);
        const system = i === 0;
        const spot = p.spot ?? false;
        if (system && spot) problems.add(`${at}.spot`, spot, "must be false: the first pool hosts system workloads and may not be evicted");
        if (system && p.minNodes < 1) problems.add(`${at}.minNodes`, p.minNodes, "must be at least 1 for the first (system) pool");
        if (p.machineType !== undefined) {
            const problem = machineTypeProblem(cloud, p.machineType);
            if (problem) problems.add(`${at}.machineType`, p.machineType, problem);
        }
        for (const [k, v] of Object.entries(p.labels ?? {})) {
            const problem = labelKeyProblem(k) ?? labelValueProblem(v);
            if (problem) problems.add(`${at}.labels["${k}"]`, labelKeyProblem(k) ? k : v, problem);
        }
        const diskSizeGb = p.diskSizeGb ?? CLUSTER_DEFAULTS.diskSizeGb;
        if (!Number.isInteger(diskSizeGb) || diskSizeGb < 20 || diskSizeGb > 2048)
            problems.add(`${at}.diskSizeGb`, diskSizeGb, "must be an integer from 20 to 2048");
        return {
            name: p.name,
            machineType: p.machineType ?? CLUSTER_DEFAULTS.machineType[cloud],
            minNodes: p.minNodes,
            maxNodes: p.maxNodes,
            spot,
            diskSizeGb,
            labels: { ...(p.labels ?? {}) },
            system,
            karpenter: karpenter && !system,
            criticalAddonsOnly: cloud === "azure" && system && dedicatedSystem,
        };
    });

    const privateEndpoint = args.apiAccess?.privateEndpoint ?? CLUSTER_DEFAULTS.apiAccess.privateEndpoint;
    const authorizedNetworks = [...(args.apiAccess?.authorizedNetworks ?? [])];
    authorizedNetworks.forEach((n, i) => {
        const at = `${path}.apiAccess.authorizedNetworks[${i}]`;
        const c = parseCidr(n);
        if (!c || formatCidr(c) !== n) problems.add(at, n, "must be an IPv4 CIDR block with no host bits set, such as 203.0.113.0/24");
        else if (coversInternet([n]) && !args.apiAccess?.allowAnyAddress)
            problems.add(at, n, "opens the Kubernetes API to the whole internet; list your networks, or set apiAccess.allowAnyAddress: true to insist");
    });
    // 0.0.0.0/1 + 128.0.0.0/1 is as open as 0.0.0.0/0.
    if (!authorizedNetworks.some((n) => coversInternet([n])) && coversInternet(authorizedNetworks) && !args.apiAccess?.allowAnyAddress)
        problems.add(`${path}.apiAccess.authorizedNetworks`, authorizedNetworks,
            "together cover every public address, which opens the Kubernetes API to the whole internet as 0.0.0.0/0 does; list your networks, or set apiAccess.allowAnyAddress: true to insist");
    if (!privateEndpoint && authorizedNetworks.length === 0 && cloud !== "local")
        problems.add(`${path}.apiAccess`, args.apiAccess, "must keep privateEndpoint or list authorizedNetworks: otherwise the API is unreachable");

    const plan: ClusterPlan = {
        cloud,
        clusterName,
        kubernetesVersion,
        nodePools,
        apiAccess: { privateEndpoint, authorizedNetworks, publicEndpoint: authorizedNetworks.length > 0 },
        tags: { ...(args.tags ?? {}) },
    };

    switch (cloud) {
        case "aws": {
            const a = args.aws ?? {};
            const vpcCidr = a.vpcCidr ?? CLUSTER_DEFAULTS.aws.vpcCidr;
            const azs = a.availabilityZoneCount ?? CLUSTER_DEFAULTS.aws.availabilityZoneCount;
            const vpc = parseCidr(vpcCidr);
            let layout = { private: [] as string[], public: [] as string[] };
            if (!vpc || formatCidr(vpc) !== vpcCidr || vpc.prefix < 16 || vpc.prefix > 20)
                problems.add(`${path}.aws.vpcCidr`, vpcCidr, "must be an IPv4 CIDR block from /16 to /20 with no host bits set");
            else if (azs === 2 || azs === 3) layout = planAwsSubnets(vpcCidr, azs);
            if (azs !== 2 && azs !== 3) problems.add(`${path}.aws.availabilityZoneCount`, azs, "must be 2 or 3");
            if (a.subnetIds !== undefined && a.subnetIds.length < 2)
                problems.add(`${path}.aws.subnetIds`, a.subnetIds, "must list at least two private subnets (EKS needs two availability zones)");
            checkUnique(a.subnetIds ?? [], `${path}.aws.subnetIds`, "subnet", problems, (id) => (AWS_SUBNET_ID.test(id) ? undefined : "must be a subnet ID: subnet- and 8 or 17 hexadecimal digits"));
            checkUnique(a.adminRoleArns ?? [], `${path}.aws.adminRoleArns`, "role", problems,
                (arn) => (AWS_ROLE_ARN.test(arn) ? undefined : "must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name of at most 64>)"));
            const provisioning = planEksNodeProvisioning(a, pools, args.tags ?? {}, path, CLUSTER_DEFAULTS.machineType.aws, problems);
            return {
                ...plan,
                aws: {
                    vpcCidr,
                    availabilityZoneCount: azs,
                    privateSubnetCidrs: layout.private,
                    publicSubnetCidrs: layout.public,
                    subnetIds: a.subnetIds,
                    adminRoleArns: [...(a.adminRoleArns ?? [])],
                    ...provisioning,
                },
            };
        }
        case "gcp": {
            const g = args.gcp ?? {};
            const d = CLUSTER_DEFAULTS.gcp;
            const ranges = {
                nodesCidr: g.nodesCidr ?? d.nodesCidr,
                podsCidr: g.podsCidr ?? d.podsCidr,
                servicesCidr: g.servicesCidr ?? d.servicesCidr,
                masterCidr: g.masterCidr ?? d.masterCidr,
            };
            checkDisjoint(problems, `${path}.gcp`, ranges);
            const master = parseCidr(ranges.masterCidr);
            if (master && master.prefix !== 28) problems.add(`${path}.gcp.masterCidr`, ranges.masterCidr, "must be a /28 block");
            const nodeAutoProvisioning = planGkeNodeAutoProvisioning(g, pools, path, CLUSTER_DEFAULTS.machineType.gcp, problems);
            return { ...plan, gcp: { project: g.project, region: g.region, releaseChannel: g.releaseChannel ?? d.releaseChannel, ...ranges, nodeAutoProvisioning } };
        }
        case "azure": {
            const z = args.azure ?? {};
            const d = CLUSTER_DEFAULTS.azure;
            const vnetCidr = z.vnetCidr ?? d.vnetCidr;
            const vnet = parseCidr(vnetCidr);
            let nodeSubnetCidr = "";
            if (!vnet || formatCidr(vnet) !== vnetCidr || vnet.prefix > 20)
                problems.add(`${path}.azure.vnetCidr`, vnetCidr, "must be an IPv4 CIDR block of /20 or larger with no host bits set");
            // Nodes take the first /16 (or the whole vnet when it is smaller); pods use the overlay range.
            else nodeSubnetCidr = formatCidr(subnet(vnet, Math.max(vnet.prefix, 16), 0));
            const podCidr = z.podCidr ?? d.podCidr;
            const serviceCidr = z.serviceCidr ?? d.serviceCidr;
            // The vnet was checked above; only the two Kubernetes ranges are checked (and compared) here.
            const ranges = checkDisjoint(problems, `${path}.azure`, { podCidr, serviceCidr }, { vnetCidr: vnet && formatCidr(vnet) === vnetCidr ? vnet : undefined });
            const dnsServiceIp = z.dnsServiceIp ?? (ranges.serviceCidr ? formatIpv4(ranges.serviceCidr.base + d.dnsServiceIpOffset) : "");
            if (ranges.serviceCidr) checkDnsServiceIp(problems, `${path}.azure.dnsServiceIp`, dnsServiceIp, serviceCidr, ranges.serviceCidr);
            if (z.keyVaultKeyId !== undefined && !/^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/keys\/[^/]+\/[0-9a-f]{32}$/i.test(z.keyVaultKeyId))
                problems.add(`${path}.azure.keyVaultKeyId`, z.keyVaultKeyId, "must be a versioned Key Vault key ID (https://<vault>.vault.azure.net/keys/<name>/<version>)");
            if ((z.keyVaultKeyId === undefined) !== (z.keyVaultResourceId === undefined))
                problems.add(`${path}.azure.keyVaultResourceId`, z.keyVaultResourceId, "must be set together with keyVaultKeyId (both or neither)");
            checkUnique(z.adminGroupObjectIds ?? [], `${path}.azure.adminGroupObjectIds`, "group", problems,
                (id) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? undefined : "must be an Entra ID object ID (a GUID)"), (id) => id.toLowerCase());
            if (z.resourceGroupName !== undefined && !AZURE_RESOURCE_GROUP.test(z.resourceGroupName))
                problems.add(`${path}.azure.resourceGroupName`, z.resourceGroupName, "must be a resource group name: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'");
            const nodeAutoProvisioning = planAksNodeAutoProvisioning(z, pools, path, { machineType: CLUSTER_DEFAULTS.machineType.azure, diskSizeGb: CLUSTER_DEFAULTS.diskSizeGb }, problems);
            return {
                ...plan,
                azure: {
                    location: z.location,
                    resourceGroupName: z.resourceGroupName,
                    adminGroupObjectIds: [...(z.adminGroupObjectIds ?? [])],
                    keyVaultKeyId: z.keyVaultKeyId,
                    keyVaultResourceId: z.keyVaultResourceId,
                    vnetCidr,
                    nodeSubnetCidr,
                    podCidr,
                    serviceCidr,
                    dnsServiceIp,
                    nodeAutoProvisioning,
                },
            };
        }
        case "local":
            return { ...plan, local: { renderDirectory: args.local?.renderDirectory ?? CLUSTER_DEFAULTS.local.renderDirectory } };
        default: {
            const never: never = cloud;
            problems.add(`${path}.cloud`, never, `must be one of ${CLOUDS.join(", ")}`);
            return plan;
        }
    }
}

/** Each item valid (`problem` says why not) and listed once (after `normalize`: case-insensitive IDs). */
function checkUnique(items: readonly string[], path: string, what: string, problems: Problems, problem: (item: string) => string | undefined, normalize = (s: string) => s): void {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
        const p = problem(item);
        if (p) return problems.add(`${path}[${i}]`, item, p);
        const first = seen.get(normalize(item));
        if (first !== undefined) return problems.add(`${path}[${i}]`, item, `repeats the ${what} of ${path}[${first}]`);
        seen.set(normalize(item), i);
        return undefined;
    });
}

/**
 * Checks that every range of `ranges` is a CIDR block and that no two overlap, nor one of
 * `checked` (ranges already checked by the caller, listed first). Returns the parsed ranges.
 */
function checkDisjoint(problems: Problems, path: string, ranges: Record<string, string>, checked: Record<string, Cidr | undefined> = {}): Record<string, Cidr | undefined> {
    const out: Record<string, Cidr | undefined> = {};
    const parsed: [string, Cidr | undefined][] = Object.entries(checked);
    for (const [k, v] of Object.entries(ranges)) {
        const c = parseCidr(v);
        if (!c || formatCidr(c) !== v) problems.add(`${path}.${k}`, v, "must be an IPv4 CIDR block with no host bits set");
        out[k] = c && formatCidr(c) === v ? c : undefined;
        parsed.push([k, out[k]]);
    }
    for (let i = 0; i < parsed.length; i++)
        for (let j = i + 1; j < parsed.length; j++) {
            const [ka, a] = parsed[i];
            const [kb, b] = parsed[j];
            if (a && b && cidrsOverlap(a, b)) problems.add(`${path}.${kb}`, formatCidr(b), `must not overlap ${ka} (${formatCidr(a)})`);
        }
    return out;
}

/**
 * The cluster DNS Service IP must be a usable address of the service range: not the network
 * address, not the first host (the `kubernetes` Service takes it) and not the last.
 */
function checkDnsServiceIp(problems: Problems, path: string, ip: string, serviceCidr: string, range: Cidr): void {
    const addr = parseIpv4(ip);
    const usable = addr !== undefined && cidrContains(range, addr) && addr > range.base + 1 && addr < range.base + cidrSize(range) - 1;
    if (!usable) problems.add(path, ip, `must be an IPv4 address inside serviceCidr (${serviceCidr}), other than its network address, its first address (the kubernetes Service) and its last`);
}
