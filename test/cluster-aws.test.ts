import { describe, expect, it } from "vitest";
import { EKS_LOG_TYPES } from "../components/src/cluster/aws";
import { FAKE } from "./harness/mocks";
import { type ProgramRun, runStack } from "./harness/stacks";

const CLUSTER = "paas:index:KubernetesCluster";

describe("EKS (aws-prod stack)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;

    it("runs", async () => {
        run = await runStack("aws-prod");
        expect(run.recorder.resources.length).toBeGreaterThan(40);
    });

    it("builds a VPC over three AZs with private subnets from the planner", () => {
        expect(get("aws:ec2/vpc:Vpc", "paas-cluster-vpc")).toMatchObject({ cidrBlock: "10.40.0.0/16", enableDnsHostnames: true });
        const privs = [0, 1, 2].map((i) => get("aws:ec2/subnet:Subnet", `paas-cluster-private-${i}`));
        expect(privs.map((s) => s.cidrBlock)).toEqual(["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"]);
        expect(privs.map((s) => s.availabilityZone)).toEqual(FAKE.zones);
        const pubs = [0, 1, 2].map((i) => get("aws:ec2/subnet:Subnet", `paas-cluster-public-${i}`));
        expect(pubs.map((s) => s.cidrBlock)).toEqual(["10.40.192.0/22", "10.40.196.0/22", "10.40.200.0/22"]);
        expect(pubs.every((s) => s.mapPublicIpOnLaunch === false)).toBe(true);
        expect(run.recorder.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(3);
    });

    it("keeps the API private, encrypts secrets with a rotating KMS key and logs audit", () => {
        const eks = get("aws:eks/cluster:Cluster", "paas-cluster-eks");
        expect(eks.name).toBe("paas-aws-prod");
        expect(eks.version).toBe("1.35");
        expect(eks.vpcConfig.endpointPrivateAccess).toBe(true);
        expect(eks.vpcConfig.endpointPublicAccess).toBe(false);
        expect(eks.vpcConfig.publicAccessCidrs).toBeUndefined();
        expect(eks.vpcConfig.subnetIds).toEqual(["paas-cluster-private-0-id", "paas-cluster-private-1-id", "paas-cluster-private-2-id"]);
        expect(eks.encryptionConfig).toEqual({
            provider: { keyArn: `arn:aws:kms:${FAKE.region}:${FAKE.accountId}:key/paas-cluster-secrets` },
            resources: ["secrets"],
        });
        expect(eks.enabledClusterLogTypes).toEqual(EKS_LOG_TYPES);
        expect(eks.enabledClusterLogTypes).toContain("audit");
        expect(eks.accessConfig.authenticationMode).toBe("API");
        expect(get("aws:kms/key:Key", "paas-cluster-secrets")).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    });

    it("gives roles only the minimum managed policies; the CNI policy goes to aws-node through IRSA", () => {
        const attached = (prefix: string) =>
            run.recorder.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .filter((r) => r.name.startsWith(prefix)).map((r) => r.inputs.policyArn).sort();
        expect(attached("paas-cluster-cluster-")).toEqual(["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
        expect(attached("paas-cluster-node-")).toEqual([
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        ]);
        const trust = JSON.parse(get("aws:iam/role:Role", "paas-cluster-vpc-cni").assumeRolePolicy);
        const issuer = FAKE.eksIssuer.replace("https://", "");
        expect(trust.Statement).toEqual([{
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${FAKE.accountId}:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:kube-system:aws-node", [`${issuer}:aud`]: "sts.amazonaws.com" } },
        }]);
        const cni = get("aws:eks/addon:Addon", "paas-cluster-vpc-cni");
        expect(JSON.parse(cni.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
        expect(cni.serviceAccountRoleArn).toBe(`arn:aws:iam::${FAKE.accountId}:role/${"paas-cluster-vpc-cni"}`);
    });

    it("registers an OIDC provider for IRSA", () => {
        expect(get("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "paas-cluster-oidc")).toMatchObject({
            url: FAKE.eksIssuer,
            clientIdLists: ["sts.amazonaws.com"],
        });
        expect(run.outputs.oidcIssuerUrl.value).toBe(FAKE.eksIssuer);
    });

    it("requires IMDSv2 with hop limit 1 and encrypted disks on every node group", () => {
        for (const pool of ["system", "apps"]) {
            const lt = get("aws:ec2/launchTemplate:LaunchTemplate", `paas-cluster-${pool}`);
            expect(lt.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            expect(lt.blockDeviceMappings[0].ebs.encrypted).toBe("true");
        }
        const apps = get("aws:eks/nodeGroup:NodeGroup", "paas-cluster-apps");
        expect(apps.scalingConfig).toEqual({ minSize: 3, maxSize: 30, desiredSize: 3 });
        expect(apps.capacityType).toBe("ON_DEMAND");
        expect(apps.instanceTypes).toEqual(["m6i.2xlarge"]);
        expect(apps.launchTemplate).toEqual({ id: "paas-cluster-apps-id", version: "1" });
    });

    it("grants the configured admin role through an access entry", () => {
        expect(get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "paas-cluster-admin-0")).toMatchObject({
            principalArn: "arn:aws:iam::123456789012:role/platform-admins",
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        });
    });

    it("parents every cloud resource to the cluster component and uses the explicit provider for Kubernetes", () => {
        const cluster = run.recorder.get(CLUSTER, "paas-cluster");
        const cloud = run.recorder.resources.filter((r) => r.type.startsWith("aws:") && r.name.startsWith("paas-cluster-"));
        expect(cloud.length).toBeGreaterThan(40);
        expect(cloud.every((r) => r.parent === cluster.urn)).toBe(true);
        const k8s = run.recorder.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
        expect(k8s.length).toBeGreaterThan(0);
        expect(k8s.every((r) => r.provider.includes("pulumi:providers:kubernetes::paas-cluster-k8s"))).toBe(true);
    });

    it("exports the kubeconfig as a secret that authenticates through aws eks get-token", () => {
        expect(run.outputs.kubeconfig.secret).toBe(true);
        const kc = JSON.parse(run.outputs.kubeconfig.value as string);
        expect(kc.users[0].user.exec.command).toBe("aws");
        expect(kc.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", "paas-aws-prod", "--output", "json"]);
        expect(kc.clusters[0].cluster.server).toBe("https://paas-aws-prod.gr7.us-east-1.eks.amazonaws.com");
    });
});

describe("EKS overrides", () => {
    it("opens a public endpoint only to the listed networks (dev stack), with spot capacity on the spot pool", async () => {
        const run = await runStack("dev");
        const eks = run.recorder.get("aws:eks/cluster:Cluster", "paas-cluster-eks").inputs;
        expect(eks.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
        expect(run.recorder.get("aws:eks/nodeGroup:NodeGroup", "paas-cluster-spot").inputs.capacityType).toBe("SPOT");
    });

    it("uses given subnets instead of creating a VPC", async () => {
        const run = await runStack("aws-prod", (c) => ({
            ...c,
            "paas:cluster": { ...(c["paas:cluster"] as object), aws: { subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-9f8e7d6c"] } },
        }));
        expect(run.recorder.ofType("aws:ec2/vpc:Vpc")).toHaveLength(0);
        expect(run.recorder.get("aws:eks/cluster:Cluster", "paas-cluster-eks").inputs.vpcConfig.subnetIds).toEqual(["subnet-0a1b2c3d4e5f60718", "subnet-9f8e7d6c"]);
    });
});
