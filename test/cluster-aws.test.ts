import { describe, expect, it } from "vitest";
import { EKS_LOG_TYPES } from "../components/src/cluster/aws";
import { SUPPORTED_KUBERNETES_MINORS } from "../components/src/planners/cluster";
import { CLUSTER_AUTOSCALER, clusterAutoscalerTag } from "../components/src/planners/clusterAutoscaler";
import { READ_ONLY_ACTION, irsaTrustPolicy, podIdentityTrustPolicy, serviceTrustPolicy } from "../components/src/planners/iam";
import { KARPENTER } from "../components/src/planners/karpenter";
import { FAKE, fakeId } from "./harness/mocks";
import { schemaErrors } from "./harness/schema";
import { type ProgramRun, runStack } from "./harness/stacks";

const CLUSTER = "paas:index:KubernetesCluster";
const privateSubnets = [0, 1, 2].map((i) => fakeId("aws:ec2/subnet:Subnet", `paas-cluster-private-${i}`));

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
        expect(eks.vpcConfig.subnetIds).toEqual(privateSubnets);
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

    it("keeps the system pool a managed node group with IMDSv2 (hop limit 1) and encrypted disks; Karpenter nodes get the same", () => {
        const lt = get("aws:ec2/launchTemplate:LaunchTemplate", "paas-cluster-system");
        expect(lt.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(lt.blockDeviceMappings[0].ebs).toEqual({ volumeSize: 100, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" });
        expect(run.recorder.ofType("aws:eks/nodeGroup:NodeGroup").map((r) => r.name)).toEqual(["paas-cluster-system"]);
        const system = get("aws:eks/nodeGroup:NodeGroup", "paas-cluster-system");
        expect(system.scalingConfig).toEqual({ minSize: 3, maxSize: 6, desiredSize: 3 });
        expect(system.capacityType).toBe("ON_DEMAND");
        expect(system.instanceTypes).toEqual(["m6i.large"]);
        expect(system.launchTemplate).toEqual({ id: "paas-cluster-system-id", version: "1" });
        const nodeClass = get("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "paas-cluster-karpenter-apps-class");
        expect(nodeClass.spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" });
        expect(nodeClass.spec.blockDeviceMappings).toEqual([{ deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "100Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true } }]);
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

    it("makes every Kubernetes object wait for the system node group and the core add-ons (DNS, kube-proxy, the Pod Identity agent)", () => {
        const urn = (type: string, name: string) => run.recorder.get(type, name).urn;
        expect([...run.recorder.get("pulumi:providers:kubernetes", "paas-cluster-k8s").dependencies].sort()).toEqual([
            urn("aws:eks/addon:Addon", "paas-cluster-coredns"),
            urn("aws:eks/addon:Addon", "paas-cluster-eks-pod-identity-agent"),
            urn("aws:eks/addon:Addon", "paas-cluster-kube-proxy"),
            // The kubeconfig comes from the cluster's outputs.
            urn("aws:eks/cluster:Cluster", "paas-cluster-eks"),
            urn("aws:eks/nodeGroup:NodeGroup", "paas-cluster-system"),
        ].sort());
        // Karpenter's controller starts once its Pod Identity association and its role's policy exist.
        const controller = run.recorder.get("kubernetes:helm.sh/v3:Release", "paas-cluster-karpenter").dependencies;
        expect(controller).toContain(urn("aws:eks/podIdentityAssociation:PodIdentityAssociation", "paas-cluster-karpenter-controller"));
        expect(controller).toContain(urn("aws:iam/rolePolicy:RolePolicy", "paas-cluster-karpenter-controller"));
        expect(controller).toContain(urn("kubernetes:helm.sh/v3:Release", "paas-cluster-karpenter-crd"));
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
        const spot = run.recorder.get("kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-karpenter-spot").inputs;
        expect(spot.spec.template.spec.requirements).toEqual([
            { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m6i.xlarge"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
            { key: "topology.kubernetes.io/zone", operator: "In", values: FAKE.zones },
        ]);
        expect(spot.spec.limits).toEqual({ cpu: "40", memory: "160Gi" });
    });

    it("keeps every pool a managed node group with nodeProvisioning managedGroups (the default), scaled by the cluster autoscaler", async () => {
        const run = await runStack("dev", (c) => {
            const cluster = c["paas:cluster"] as any;
            return { ...c, "paas:cluster": { ...cluster, aws: undefined, nodePools: [cluster.nodePools[0], { ...cluster.nodePools[1], minNodes: 1 }] } };
        });
        const spot = run.recorder.get("aws:eks/nodeGroup:NodeGroup", "paas-cluster-spot").inputs;
        expect(spot.capacityType).toBe("SPOT");
        expect(spot.scalingConfig).toEqual({ minSize: 1, maxSize: 10, desiredSize: 1 });
        expect(run.recorder.resources.filter((r) => r.name.includes("karpenter"))).toEqual([]);

        const release = run.recorder.get("kubernetes:helm.sh/v3:Release", "paas-cluster-cluster-autoscaler");
        expect(release.inputs).toEqual({
            name: "cluster-autoscaler", chart: "cluster-autoscaler", version: CLUSTER_AUTOSCALER.version, repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" },
            namespace: "kube-system", createNamespace: false, atomic: true, cleanupOnFail: true, compat: "true",
            values: {
                cloudProvider: "aws",
                awsRegion: FAKE.region,
                autoDiscovery: { clusterName: "paas-dev" },
                // The autoscaler release of the cluster's minor, 1.35.
                image: { repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.35.0" },
                replicaCount: 1,
                priorityClassName: "system-cluster-critical",
                rbac: { serviceAccount: { create: true, name: "cluster-autoscaler" } },
                nodeSelector: { "paas.dev/node-pool": "system" },
                resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { cpu: "500m", memory: "600Mi" } },
                extraArgs: { "balance-similar-node-groups": true, expander: "least-waste" },
            },
        });
        expect(release.provider).toContain("pulumi:providers:kubernetes::paas-cluster-k8s");
        expect(CLUSTER_AUTOSCALER.version).toBe("9.54.0");

        const tags = { environment: "dev", "paas:cluster": "paas-dev" };
        expect(JSON.parse(run.recorder.get("aws:iam/role:Role", "paas-cluster-cluster-autoscaler").inputs.assumeRolePolicy)).toEqual(podIdentityTrustPolicy());
        expect(run.recorder.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "paas-cluster-cluster-autoscaler").inputs).toEqual({
            clusterName: "paas-dev", namespace: "kube-system", serviceAccount: "cluster-autoscaler", roleArn: `arn:aws:iam::${FAKE.accountId}:role/paas-cluster-cluster-autoscaler`, tags,
        });
        const doc = JSON.parse(run.recorder.get("aws:iam/rolePolicy:RolePolicy", "paas-cluster-cluster-autoscaler").inputs.policy);
        expect(doc).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ScaleOwnNodeGroups", Effect: "Allow", Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    Resource: `arn:aws:autoscaling:${FAKE.region}:${FAKE.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
                    Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/paas-dev": "owned" } },
                },
                {
                    Sid: "DiscoverGroupsAndInstanceTypes", Effect: "Allow",
                    Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements"],
                    Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": FAKE.region } },
                },
                { Sid: "ReadOwnNodeGroups", Effect: "Allow", Action: "eks:DescribeNodegroup", Resource: `arn:aws:eks:${FAKE.region}:${FAKE.accountId}:nodegroup/paas-dev/*/*` },
            ],
        });
        const actions = doc.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat());
        expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
        for (const st of doc.Statement.filter((x: { Resource: unknown }) => [x.Resource].flat().includes("*")))
            expect([st.Action].flat().every((a: string) => READ_ONLY_ACTION.test(a))).toBe(true);
    });

    it("pins an autoscaler release for every supported Kubernetes minor", () => {
        for (let minor = SUPPORTED_KUBERNETES_MINORS.min; minor <= SUPPORTED_KUBERNETES_MINORS.max; minor++)
            expect(clusterAutoscalerTag(`1.${minor}`)).toMatch(new RegExp(`^v1\\.${minor}\\.\\d+$`));
        expect(() => clusterAutoscalerTag("1.36")).toThrow("no cluster autoscaler release is pinned for Kubernetes 1.36 (supported: 1.33 to 1.35)");
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

describe("Karpenter (aws-prod stack: Pod Identity; dev stack: IRSA)", () => {
    let run: ProgramRun;
    const get = (type: string, name: string) => run.recorder.get(type, name).inputs;
    const tags = { environment: "prod", "paas:cluster": "paas-aws-prod" };
    const arn = (service: string, resource: string, region: string = FAKE.region) => `arn:aws:${service}:${region}:${FAKE.accountId}:${resource}`;
    const queueArn = arn("sqs", "paas-aws-prod-karpenter");

    it("runs", async () => {
        run = await runStack("aws-prod");
    });

    it("installs the pinned CRD chart, then the controller chart on the system pool without its own CRDs", () => {
        expect(get("kubernetes:helm.sh/v3:Release", "paas-cluster-karpenter-crd")).toEqual({
            name: "karpenter-crd", chart: "oci://public.ecr.aws/karpenter/karpenter-crd", version: KARPENTER.version, namespace: "kube-system",
            createNamespace: false, atomic: true, cleanupOnFail: true, compat: "true",
        });
        expect(get("kubernetes:helm.sh/v3:Release", "paas-cluster-karpenter")).toEqual({
            name: "karpenter", chart: "oci://public.ecr.aws/karpenter/karpenter", version: KARPENTER.version, namespace: "kube-system",
            createNamespace: false, skipCrds: true, atomic: true, cleanupOnFail: true, compat: "true",
            values: {
                replicas: 2,
                priorityClassName: "system-cluster-critical",
                settings: { clusterName: "paas-aws-prod", interruptionQueue: "paas-aws-prod-karpenter" },
                serviceAccount: { name: "karpenter" },
                nodeSelector: { "paas.dev/node-pool": "system" },
                controller: { resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } } },
            },
        });
        expect(KARPENTER.version).toBe("1.15.2");
        const k8sProvider = (name: string) => run.recorder.get("kubernetes:helm.sh/v3:Release", name).provider;
        expect(k8sProvider("paas-cluster-karpenter")).toContain("pulumi:providers:kubernetes::paas-cluster-k8s");
    });

    it("derives the NodePool from the apps pool: one machine type, on-demand, the VPC's zones, limits of 30 nodes, a 10 % budget", () => {
        expect(get("kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-karpenter-apps")).toEqual({
            apiVersion: "karpenter.sh/v1",
            kind: "NodePool",
            metadata: { name: "apps" },
            spec: {
                template: {
                    metadata: { labels: { "paas.dev/node-pool": "apps" } },
                    spec: {
                        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "apps" },
                        requirements: [
                            { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m6i.2xlarge"] },
                            { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
                            { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] },
                        ],
                        expireAfter: "720h",
                    },
                },
                disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "10m", budgets: [{ nodes: "10%" }] },
                // 30 × m6i.2xlarge (8 vCPU, 32 GiB)
                limits: { cpu: "240", memory: "960Gi" },
            },
        });
    });

    it("derives the EC2NodeClass: AL2023, the node instance profile, the private subnets and the cluster security group by ID", () => {
        expect(get("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "paas-cluster-karpenter-apps-class")).toEqual({
            apiVersion: "karpenter.k8s.aws/v1",
            kind: "EC2NodeClass",
            metadata: { name: "apps" },
            spec: {
                amiSelectorTerms: [{ alias: "al2023@latest" }],
                instanceProfile: "paas-cluster-karpenter-node",
                subnetSelectorTerms: privateSubnets.map((id) => ({ id })),
                securityGroupSelectorTerms: [{ id: FAKE.eksClusterSecurityGroup }],
                metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
                blockDeviceMappings: [{ deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "100Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true } }],
                tags: { ...tags, "paas:node-pool": "apps" },
            },
        });
    });

    it("validates the NodePool and EC2NodeClass against the published Karpenter v1 schemas", async () => {
        for (const [type, name] of [["kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-karpenter-apps"], ["kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "paas-cluster-karpenter-apps-class"]])
            expect(await schemaErrors(get(type, name) as { apiVersion: string; kind: string })).toBe("");
    });

    it("gives Karpenter's nodes a role of their own with the node policies, an instance profile and an EC2_LINUX access entry", () => {
        expect(JSON.parse(get("aws:iam/role:Role", "paas-cluster-karpenter-node").assumeRolePolicy)).toEqual(serviceTrustPolicy("ec2.amazonaws.com"));
        expect(run.recorder.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((r) => r.name.startsWith("paas-cluster-karpenter-node-")).map((r) => r.inputs))
            .toEqual([
                { role: "paas-cluster-karpenter-node", policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" },
                { role: "paas-cluster-karpenter-node", policyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" },
            ]);
        expect(get("aws:iam/instanceProfile:InstanceProfile", "paas-cluster-karpenter-node")).toEqual({ role: "paas-cluster-karpenter-node", tags });
        expect(get("aws:eks/accessEntry:AccessEntry", "paas-cluster-karpenter-node")).toEqual({
            clusterName: "paas-aws-prod", principalArn: `arn:aws:iam::${FAKE.accountId}:role/paas-cluster-karpenter-node`, type: "EC2_LINUX", tags,
        });
    });

    it("routes the four interruption events to an encrypted queue only those rules may send to, over TLS", () => {
        expect(get("aws:sqs/queue:Queue", "paas-cluster-karpenter")).toEqual({ name: "paas-aws-prod-karpenter", messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags });
        const rules = {
            "spot-interruption": ["aws.ec2", "EC2 Spot Instance Interruption Warning"],
            "rebalance": ["aws.ec2", "EC2 Instance Rebalance Recommendation"],
            "instance-state": ["aws.ec2", "EC2 Instance State-change Notification"],
            "scheduled-change": ["aws.health", "AWS Health Event"],
        };
        expect(run.recorder.ofType("aws:cloudwatch/eventRule:EventRule").map((r) => r.name)).toEqual(Object.keys(rules).map((k) => `paas-cluster-karpenter-${k}`));
        for (const [suffix, [source, detailType]] of Object.entries(rules)) {
            const rule = get("aws:cloudwatch/eventRule:EventRule", `paas-cluster-karpenter-${suffix}`);
            expect(rule.name).toBe(`paas-aws-prod-${suffix}`);
            expect(JSON.parse(rule.eventPattern)).toEqual({ source: [source], "detail-type": [detailType] });
            expect(get("aws:cloudwatch/eventTarget:EventTarget", `paas-cluster-karpenter-${suffix}`)).toEqual({ rule: `paas-aws-prod-${suffix}`, targetId: "karpenter-interruption-queue", arn: queueArn });
        }
        const policy = get("aws:sqs/queuePolicy:QueuePolicy", "paas-cluster-karpenter");
        expect(policy.queueUrl).toBe(`https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/paas-aws-prod-karpenter`);
        expect(JSON.parse(policy.policy).Statement).toEqual([
            {
                Sid: "EventBridgeInterruptionRules", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": Object.keys(rules).map((k) => arn("events", `rule/paas-aws-prod-${k}`)) } },
            },
            {
                Sid: "DenyPlainHttp", Effect: "Deny", Principal: { AWS: "*" }, Action: ["sqs:SendMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
    });

    it("gives the controller its policy through EKS Pod Identity", () => {
        expect(JSON.parse(get("aws:iam/role:Role", "paas-cluster-karpenter-controller").assumeRolePolicy)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
        });
        expect(get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "paas-cluster-karpenter-controller")).toEqual({
            clusterName: "paas-aws-prod", namespace: "kube-system", serviceAccount: "karpenter", roleArn: `arn:aws:iam::${FAKE.accountId}:role/paas-cluster-karpenter-controller`, tags,
        });
    });

    it("scopes the controller policy to the cluster's own resources: named actions only, writes by ARN or by the cluster's tags", () => {
        const doc = JSON.parse(get("aws:iam/rolePolicy:RolePolicy", "paas-cluster-karpenter-controller").policy);
        const ec2 = (r: string) => arn("ec2", r);
        const launched = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
        const owned = { "aws:ResourceTag/kubernetes.io/cluster/paas-aws-prod": "owned" };
        const requestOwned = { "aws:RequestTag/kubernetes.io/cluster/paas-aws-prod": "owned", "aws:RequestTag/eks:eks-cluster-name": "paas-aws-prod" };
        const nodepool = { "aws:ResourceTag/karpenter.sh/nodepool": "*" };
        expect(doc).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "LaunchFromClusterNetworkAndPublicImages", Effect: "Allow", Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                    Resource: [`arn:aws:ec2:${FAKE.region}::image/*`, `arn:aws:ec2:${FAKE.region}::snapshot/*`,
                        ...privateSubnets.map((id) => ec2(`subnet/${id}`)),
                        ec2(`security-group/${FAKE.eksClusterSecurityGroup}`)],
                },
                { Sid: "LaunchWithOwnLaunchTemplates", Effect: "Allow", Action: ["ec2:RunInstances", "ec2:CreateFleet"], Resource: ec2("launch-template/*"), Condition: { StringEquals: owned, StringLike: nodepool } },
                {
                    Sid: "CreateClusterTaggedResources", Effect: "Allow", Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], Resource: launched,
                    Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
                },
                {
                    Sid: "TagOnCreate", Effect: "Allow", Action: "ec2:CreateTags", Resource: launched,
                    Condition: { StringEquals: { ...requestOwned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] }, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
                },
                {
                    Sid: "TagOwnInstances", Effect: "Allow", Action: "ec2:CreateTags", Resource: ec2("instance/*"),
                    Condition: {
                        StringEquals: owned, StringLike: nodepool, StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": "paas-aws-prod" },
                        "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
                    },
                },
                {
                    Sid: "DeleteOwnInstancesAndLaunchTemplates", Effect: "Allow", Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                    Resource: [ec2("instance/*"), ec2("launch-template/*")], Condition: { StringEquals: owned, StringLike: nodepool },
                },
                {
                    Sid: "PassNodeRoleToEc2", Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${FAKE.accountId}:role/paas-cluster-karpenter-node`,
                    Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
                },
                { Sid: "ReadNodeInstanceProfile", Effect: "Allow", Action: "iam:GetInstanceProfile", Resource: `arn:aws:iam::${FAKE.accountId}:instance-profile/paas-cluster-karpenter-node` },
                { Sid: "ListInstanceProfiles", Effect: "Allow", Action: "iam:ListInstanceProfiles", Resource: "*" },
                {
                    Sid: "DiscoverRegionalEc2", Effect: "Allow",
                    Action: ["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
                        "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"],
                    Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": FAKE.region } },
                },
                { Sid: "ReadPublicAmiParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: `arn:aws:ssm:${FAKE.region}::parameter/aws/service/*` },
                { Sid: "ReadPrices", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
                { Sid: "ConsumeInterruptionQueue", Effect: "Allow", Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], Resource: queueArn },
                { Sid: "DiscoverClusterEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: arn("eks", "cluster/paas-aws-prod") },
            ],
        });
        const actions = doc.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat());
        expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
        expect(new Set(actions).size).toBe(26);
        // "*" only where every action of the statement is read-only.
        for (const st of doc.Statement.filter((x: { Resource: unknown }) => [x.Resource].flat().includes("*")))
            expect([st.Action].flat().every((a: string) => READ_ONLY_ACTION.test(a))).toBe(true);
    });

    it("uses IRSA for the controller when the stack says so (dev)", async () => {
        const dev = await runStack("dev");
        const trust = JSON.parse(dev.recorder.get("aws:iam/role:Role", "paas-cluster-karpenter-controller").inputs.assumeRolePolicy);
        const issuer = FAKE.eksIssuer.replace("https://", "");
        expect(trust).toEqual(irsaTrustPolicy(`arn:aws:iam::${FAKE.accountId}:oidc-provider/${issuer}`, FAKE.eksIssuer, "kube-system", "karpenter"));
        expect(dev.recorder.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation")).toEqual([]);
        expect(dev.recorder.get("kubernetes:helm.sh/v3:Release", "paas-cluster-karpenter").inputs.values.serviceAccount).toEqual({
            name: "karpenter", annotations: { "eks.amazonaws.com/role-arn": `arn:aws:iam::${FAKE.accountId}:role/paas-cluster-karpenter-controller` },
        });
    });

    it("selects given subnets by ID and leaves the zones to them", async () => {
        const given = await runStack("aws-prod", (c) => ({
            ...c,
            "paas:cluster": { ...(c["paas:cluster"] as object), aws: { subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-9f8e7d6c"], nodeProvisioning: "karpenter" } },
        }));
        expect(given.recorder.get("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "paas-cluster-karpenter-apps-class").inputs.spec.subnetSelectorTerms)
            .toEqual([{ id: "subnet-0a1b2c3d4e5f60718" }, { id: "subnet-9f8e7d6c" }]);
        const pool = given.recorder.get("kubernetes:karpenter.sh/v1:NodePool", "paas-cluster-karpenter-apps").inputs.spec;
        expect(pool.template.spec.requirements.map((r: { key: string }) => r.key)).toEqual(["node.kubernetes.io/instance-type", "karpenter.sh/capacity-type"]);
        expect(pool.disruption.consolidateAfter).toBe("5m");
    });
});
