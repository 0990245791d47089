/**
 * Pulumi mock harness: runs the real program (or any component) against a mock engine and
 * records every registration with its type, name, inputs, parent and provider.
 */
import * as pulumi from "@pulumi/pulumi";

// Internal to the SDK (stripped from its typings): resolves once no RPC to the engine is pending.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Inputs as the program gave them, with secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Top-level input names that were marked secret. */
    readonly secretInputs: string[];
    /** URN of the parent resource ("" for the stack's direct children). */
    readonly parent: string;
    /** Provider reference (`urn::id`) of a custom resource, "" when the default provider is used. */
    readonly provider: string;
    readonly custom: boolean;
    /** Aliases the program gave (`opts.aliases`), as the engine receives them. */
    readonly aliases: readonly AliasSpec[];
    /** URNs of the resources it depends on (`opts.dependsOn`, and those its inputs came from). */
    readonly dependencies: readonly string[];
}

/** One alias of a registration: a spec (the engine fills in what is empty) or a full URN. */
export interface AliasSpec {
    readonly urn?: string;
    readonly name?: string;
    readonly type?: string;
    /** URN of the alias's parent ("" with `noParent`). */
    readonly parentUrn?: string;
    readonly noParent?: boolean;
}

export const FAKE = {
    accountId: "123456789012",
    region: "us-east-1",
    zones: ["us-east-1a", "us-east-1b", "us-east-1c"],
    eksIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF",
    eksClusterSecurityGroup: "sg-0a1b2c3d4e5f60718",
    gcpProject: "acme-prod",
    gcpProjectNumber: "987654321098",
    azureSubscription: "00000000-0000-0000-0000-000000000001",
    azureTenant: "00000000-0000-0000-0000-000000000002",
    aksIssuer: "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/",
    caData: Buffer.from("fake-ca").toString("base64"),
} as const;

/** Outputs a real provider would compute, per resource type; everything else echoes its inputs. */
function computed(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const physical = inputs.name ?? name;
    switch (type) {
        case "aws:eks/cluster:Cluster":
            return {
                name: physical,
                arn: `arn:aws:eks:${FAKE.region}:${FAKE.accountId}:cluster/${physical}`,
                endpoint: `https://${physical}.gr7.${FAKE.region}.eks.amazonaws.com`,
                certificateAuthority: { data: FAKE.caData },
                identities: [{ oidcs: [{ issuer: FAKE.eksIssuer }] }],
                vpcConfig: { ...inputs.vpcConfig, clusterSecurityGroupId: FAKE.eksClusterSecurityGroup },
            };
        case "aws:sqs/queue:Queue":
            return { name: physical, arn: `arn:aws:sqs:${FAKE.region}:${FAKE.accountId}:${physical}`, url: `https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/${physical}` };
        case "aws:cloudwatch/eventRule:EventRule":
            return { name: physical, arn: `arn:aws:events:${FAKE.region}:${FAKE.accountId}:rule/${physical}` };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { name: physical, arn: `arn:aws:iam::${FAKE.accountId}:instance-profile/${physical}` };
        case "aws:iam/role:Role":
            return { name: physical, arn: `arn:aws:iam::${FAKE.accountId}:role/${physical}` };
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            return { arn: `arn:aws:iam::${FAKE.accountId}:oidc-provider/${String(inputs.url).replace("https://", "")}` };
        case "aws:kms/key:Key":
            return { arn: `arn:aws:kms:${FAKE.region}:${FAKE.accountId}:key/${name}` };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { latestVersion: 1 };
        case "aws:iam/policy:Policy":
            return { arn: `arn:aws:iam::${FAKE.accountId}:policy/${physical}` };
        case "gcp:container/cluster:Cluster":
            return { name: physical, endpoint: "34.1.2.3", masterAuth: { ...inputs.masterAuth, clusterCaCertificate: FAKE.caData }, privateClusterConfig: { ...inputs.privateClusterConfig, privateEndpoint: "172.16.0.34" } };
        case "gcp:serviceaccount/account:Account":
            return { email: `${inputs.accountId}@${FAKE.gcpProject}.iam.gserviceaccount.com`, name: `projects/${FAKE.gcpProject}/serviceAccounts/${inputs.accountId}` };
        case "azure-native:containerservice:ManagedCluster":
            return { name: inputs.resourceName ?? name, oidcIssuerProfile: { enabled: true, issuerURL: FAKE.aksIssuer } };
        case "azure-native:managedidentity:UserAssignedIdentity":
            return { principalId: `${name}-principal`, clientId: `${name}-client`, tenantId: FAKE.azureTenant };
        case "azure-native:resources:ResourceGroup":
            return { name: inputs.resourceGroupName ?? name };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----\n`, publicKeyPem: `public ${name}` };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n` };
        default:
            return {};
    }
}

/** `<name>-id`, or for subnets an ID of AWS's shape (subnet- and 17 hex digits of the name), which Karpenter's schema requires. */
export function fakeId(type: string, name: string): string {
    if (type !== "aws:ec2/subnet:Subnet") return `${name}-id`;
    const hex = Buffer.from(name).toString("hex");
    return `subnet-${hex.slice(-17).padStart(17, "0")}`;
}

/** The wire form of a secret value in mock inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecretValue = (v: any) => v !== null && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(v: any): any {
    if (isSecretValue(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    return v;
}

export class Recorder implements pulumi.runtime.Mocks {
    readonly resources: Registered[] = [];
    readonly calls: { token: string; inputs: any }[] = [];
    /** Parent and provider of each registration, captured at the monitor (keyed by type::name). */
    readonly pending = new Map<string, { parent: string; provider: string; custom: boolean; aliases: AliasSpec[]; dependencies: string[] }>();

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const meta = this.pending.get(`${args.type}::${args.name}`) ?? { parent: "", provider: args.provider ?? "", custom: !!args.custom, aliases: [], dependencies: [] };
        // The URN the mock monitor gives the resource: it prefixes the parent's own type only.
        const urn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${meta.parent ? `${meta.parent.split("::")[2].split("$").pop()}$` : ""}${args.type}::${args.name}`;
        const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
        const secretInputs = Object.keys(args.inputs ?? {}).filter((k) => isSecretValue(args.inputs[k]));
        this.resources.push({ type: args.type, name: args.name, urn, inputs, secretInputs, ...meta });
        const state = { ...inputs, ...computed(args.type, args.name, inputs) };
        return { id: args.custom ? fakeId(args.type, args.name) : undefined, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        this.calls.push({ token: args.token, inputs: args.inputs });
        switch (args.token) {
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: [...FAKE.zones], zoneIds: FAKE.zones.map((_, i) => `use1-az${i + 1}`), id: FAKE.region };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: FAKE.accountId, arn: `arn:aws:iam::${FAKE.accountId}:user/test`, userId: "test" };
            case "gcp:organizations/getProject:getProject":
                return { projectId: args.inputs.projectId ?? FAKE.gcpProject, number: FAKE.gcpProjectNumber };
            case "azure-native:authorization:getClientConfig":
                return { subscriptionId: FAKE.azureSubscription, tenantId: FAKE.azureTenant, clientId: "client", objectId: "object" };
            case "azure-native:containerservice:listManagedClusterUserCredentials":
                return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from("apiVersion: v1\nkind: Config\n").toString("base64") }] };
            default:
                throw new Error(`mock: no answer for invoke ${args.token}`);
        }
    }

    /** All registrations of a type. */
    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one registration of `type` named `name`; throws with the candidates when absent. */
    get(type: string, name: string): Registered {
        const hit = this.resources.find((r) => r.type === type && r.name === name);
        if (!hit) {
            const names = this.ofType(type).map((r) => r.name);
            throw new Error(`no ${type} named "${name}" was registered; registered: ${names.join(", ") || "none"}`);
        }
        return hit;
    }

    /** What the policy pack sees of the run: every custom resource but providers, inputs as props. */
    policySubjects(): { type: string; name: string; urn: string; props: Record<string, any> }[] {
        return this.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:")).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
    }

    /** URNs registered more than once: two resources the engine would refuse as one. */
    duplicateUrns(): string[] {
        const seen = new Set<string>();
        const dup = new Set<string>();
        for (const r of this.resources) (seen.has(r.urn) ? dup : seen).add(r.urn);
        return [...dup];
    }

    /** Direct children of the resource (type, name). */
    childrenOf(type: string, name: string): Registered[] {
        const parent = this.get(type, name);
        return this.resources.filter((r) => r.parent === parent.urn);
    }
}

/** Installs a fresh recorder as the mock engine for `stack` with `config` (values JSON-encoded like the engine does). */
export async function useMocks(stack: string, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Recorder> {
    const recorder = new Recorder();
    await pulumi.runtime.setMocks(recorder, "paas", stack, false);
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        recorder.pending.set(`${req.getType()}::${req.getName()}`, {
            parent: req.getParent(),
            provider: req.getProvider(),
            custom: req.getCustom(),
            dependencies: req.getDependenciesList() as string[],
            aliases: (req.getAliasesList() as any[]).map((a): AliasSpec => {
                if (a.hasUrn()) return { urn: a.getUrn() };
                const spec = a.getSpec();
                return { name: spec.getName() || undefined, type: spec.getType() || undefined, parentUrn: spec.getParenturn() || undefined, noParent: spec.getNoparent() || undefined };
            }),
        });
        return register(req, cb);
    };
    const encoded = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    pulumi.runtime.setAllConfig(encoded, secretKeys);
    return recorder;
}

/** Resolves an Output (or plain value) to its value, and tells whether it is secret. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
    const out = pulumi.output(value);
    const [v, secret] = await Promise.all([new Promise<T>((res) => out.apply((x) => res(x as T))), pulumi.isSecret(out)]);
    return { value: v, secret };
}

/** Waits until every registration the program started has reached the mock engine. */
export async function settle(): Promise<void> {
    await waitForRPCs();
}
