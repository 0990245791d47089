/** Cloud fields by each cloud's rules: instance types, tags and labels, IDs, ARNs, grants, generated names, versions. */
import { describe, expect, it } from "vitest";
import { SUPPORTED_KUBERNETES_MINORS } from "../components/src/planners/cluster";
import { checkService } from "../core/src/planners/service";
import { problemsOf } from "./harness/config";

const pool = (over: object = {}) => ({ name: "system", minNodes: 1, maxNodes: 3, ...over });
const aws = (cluster: object = {}, extra: object = {}) => ({ "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": cluster, ...extra });
const gcp = (cluster: object = {}, extra: object = {}) => ({ "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:cluster": cluster, ...extra });
const azure = (cluster: object = {}, extra: object = {}) => ({ "azure-native:location": "westeurope", "paas:cloud": "azure", "paas:cluster": cluster, ...extra });
const web = { "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080 }] };
const identity = (grant: object) => ({ ...web, "paas:access": { workloadIdentities: [{ service: "web", ...grant }] } });
const P = "paas:cluster.nodePools";
const W = "paas:access.workloadIdentities[0]";

describe("instance types", () => {
    it("refuses empty ones and those of another cloud", () => {
        expect(problemsOf(gcp({ nodePools: [pool({ machineType: "m6i.large" }), pool({ name: "b", machineType: "Standard_D4s_v5" }), pool({ name: "c", machineType: "" })] }))).toEqual([
            `${P}[0].machineType is an EC2 instance type (cloud aws), not of cloud gcp: use a Compute Engine machine type such as e2-standard-4`,
            `${P}[1].machineType is an Azure VM size (cloud azure), not of cloud gcp: use a Compute Engine machine type such as e2-standard-4`,
            `${P}[2].machineType must be a Compute Engine machine type such as e2-standard-4`,
        ]);
        expect(problemsOf(aws({ nodePools: [pool({ machineType: "e2-standard-4" })] }))).toEqual([
            `${P}[0].machineType is a Compute Engine machine type (cloud gcp), not of cloud aws: use an EC2 instance type such as m6i.large`]);
        expect(problemsOf(azure({ nodePools: [pool({ machineType: "m6i.large" }), pool({ name: "apps", machineType: "standard_d4s_v5" })] }))).toEqual([
            `${P}[0].machineType is an EC2 instance type (cloud aws), not of cloud azure: use an Azure VM size such as Standard_D4s_v5`,
            `${P}[1].machineType must be an Azure VM size such as Standard_D4s_v5`,
        ]);
    });

    it("accepts each cloud's real shapes", () => {
        expect(problemsOf(aws({ nodePools: [pool({ machineType: "m7i-flex.large" }), pool({ name: "b", machineType: "u-6tb1.metal" })] }))).toEqual([]);
        expect(problemsOf(gcp({ nodePools: [pool({ machineType: "n2-custom-4-16384" }), pool({ name: "b", machineType: "c3-standard-4-lssd" })] }))).toEqual([]);
        expect(problemsOf(azure({ nodePools: [pool({ machineType: "Standard_E16-8ds_v5" }), pool({ name: "apps", machineType: "Standard_NC24ads_A100_v4" })] }))).toEqual([]);
    });
});

describe("tags, labels and IDs", () => {
    it("checks tags by the cloud they land on", () => {
        expect(problemsOf(aws({ tags: { "aws:owner": "x", [`${"k".repeat(129)}`]: "v", env: "v".repeat(257), "Team Name": "a b", "bad#": "x" } }))).toEqual([
            'paas:cluster.tags["aws:owner"] must not start with "aws:" (AWS reserves it)',
            `paas:cluster.tags["${"k".repeat(129)}"] must be an AWS tag key: 1 to 128 letters, digits, spaces or _ . : / = + - @`,
            'paas:cluster.tags["env"] must be an AWS tag value: at most 256 letters, digits, spaces or _ . : / = + - @',
            'paas:cluster.tags["bad#"] must be an AWS tag key: 1 to 128 letters, digits, spaces or _ . : / = + - @',
        ]);
        expect(problemsOf(gcp({ tags: { Environment: "prod", env: "Prod", "cost-center": "a_b-1" } }))).toEqual([
            'paas:cluster.tags["Environment"] must be a GCP label key: 1 to 63 lowercase letters, digits, \'_\' or \'-\', starting with a lowercase letter',
            'paas:cluster.tags["env"] must be a GCP label value: at most 63 lowercase letters, digits, \'_\' or \'-\'',
        ]);
        expect(problemsOf(azure({ tags: { "a/b": "x", big: "v".repeat(257), "Cost Center": "R&D <1>" } }))).toEqual([
            'paas:cluster.tags["a/b"] must be an Azure tag name: 1 to 512 characters, none of < > % & \\ ? /',
            'paas:cluster.tags["big"] must be an Azure tag value of at most 256 characters',
        ]);
        expect(problemsOf(aws({ tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`t${i}`, "v"])) }))).toEqual([
            "paas:cluster.tags must have at most 48 entries on cloud aws (the platform adds its own to every resource)"]);
    });

    it("checks node and pod labels by the Kubernetes rules, reserved prefixes included", () => {
        const reserved = (k: string, prefix: string) =>
            `${P}[0].labels["${k}"] uses the prefix ${prefix}/, which Kubernetes reserves for its own components (kubernetes.io/, k8s.io/ and their subdomains); pick a prefix of your own`;
        expect(problemsOf(aws({ nodePools: [pool({ labels: { "kubernetes.io/role": "x", "node.k8s.io/a": "b", team: "a b", "-bad": "x", "example.com/tier": "gold" } })] }))).toEqual([
            reserved("kubernetes.io/role", "kubernetes.io"),
            reserved("node.k8s.io/a", "node.k8s.io"),
            `${P}[0].labels["team"] must be a label value: empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
            `${P}[0].labels["-bad"] must be a label key: an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
        ]);
        // Pods may carry Kubernetes' recommended app.kubernetes.io labels.
        const problems = checkService("web", { image: "nginx:1.27", podLabels: { "app.kubernetes.io/version": "1.2", "kubernetes.io/x": "y", team: "a/b" } }, "args");
        expect(problems.list.map((p) => `${p.path} ${p.message}`)).toEqual([
            'args.podLabels["kubernetes.io/x"] uses the prefix kubernetes.io/, which Kubernetes reserves for its own components (kubernetes.io/, k8s.io/ and their subdomains); pick a prefix of your own',
            'args.podLabels["team"] must be a label value: empty, or 1 to 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
        ]);
    });

    it("checks subnet IDs, role ARNs, Entra IDs and resource group names, and refuses repeats", () => {
        expect(problemsOf(aws({ aws: { subnetIds: ["subnet-12345678", "subnet-abc", "subnet-12345678", "subnet-0123456789abcdef0"] } }))).toEqual([
            "paas:cluster.aws.subnetIds[1] must be a subnet ID: subnet- and 8 or 17 hexadecimal digits",
            "paas:cluster.aws.subnetIds[2] repeats the subnet of paas:cluster.aws.subnetIds[0]",
        ]);
        const arn = "must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name of at most 64>)";
        expect(problemsOf(aws({ aws: { adminRoleArns: ["arn:aws:iam::123456789012:role/admins", "arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::123456789012:role/admins", `arn:aws:iam::123456789012:role/${"r".repeat(65)}`, "arn:aws:iam::123456789012:role/team/ops"] } }))).toEqual([
            `paas:cluster.aws.adminRoleArns[1] ${arn}`,
            `paas:cluster.aws.adminRoleArns[2] ${arn}`,
            "paas:cluster.aws.adminRoleArns[3] repeats the role of paas:cluster.aws.adminRoleArns[0]",
            `paas:cluster.aws.adminRoleArns[4] ${arn}`,
        ]);
        expect(problemsOf(azure({ azure: { resourceGroupName: "my-rg.", adminGroupObjectIds: ["6f1c2b3a-1111-4222-8333-944445555666", "6F1C2B3A-1111-4222-8333-944445555666"] } }))).toEqual([
            "paas:cluster.azure.adminGroupObjectIds[1] repeats the group of paas:cluster.azure.adminGroupObjectIds[0]",
            "paas:cluster.azure.resourceGroupName must be a resource group name: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
        ]);
        expect(problemsOf(azure({ azure: { resourceGroupName: "a".repeat(91) } }))).toEqual([
            "paas:cluster.azure.resourceGroupName must be a resource group name: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'"]);
        expect(problemsOf(azure({ azure: { resourceGroupName: "rg-prod_(west).1" } }))).toEqual([]);
    });
});

describe("workload identity grants", () => {
    it("refuses repeated grants", () => {
        expect(problemsOf(gcp({}, identity({ gcp: { roles: ["roles/storage.objectViewer", "projects/p/roles/storage.objectViewer"] } })))).toEqual([
            `${W}.gcp.roles[1] repeats the role ID storage.objectViewer of ${W}.gcp.roles[0]; grant each role once`]);
        const scope = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/data";
        expect(problemsOf(azure({}, identity({ azure: { roles: [
            { roleDefinitionId: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", scope },
            { roleDefinitionId: "BA92F5B4-2d11-453d-a403-e96b0029c9fe", scope: scope.toUpperCase() },
            { roleDefinitionId: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", scope: "/subscriptions/nope" },
        ] } })))).toEqual([
            `${W}.azure.roles[1] repeats ${W}.azure.roles[0] (the same role at the same scope); grant it once`,
            `${W}.azure.roles[2].scope must be an Azure resource ID (/subscriptions/<GUID>/…)`,
        ]);
        expect(problemsOf(aws({}, identity({ aws: { actions: ["s3:GetObject", "s3:getobject"], resources: ["arn:aws:s3:::b/*", "arn:aws:s3:::b/*", "arn:s3:::b"] } })))).toEqual([
            `${W}.aws.actions[1] repeats actions[0]; list it once`,
            `${W}.aws.resources[1] repeats resources[0]; list it once`,
            `${W}.aws.resources[2] must be an ARN (arn:aws:<service>:<region>:<account>:<resource>)`,
        ]);
    });

    it("refuses a generated role name over the cloud's limit", () => {
        const long = { "paas:namespace": "applications-production", "paas:services": [{ name: "order-fulfilment-worker", image: "nginx:1.27" }] };
        const grant = { service: "order-fulfilment-worker", aws: { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] } };
        expect(problemsOf(aws({}, { ...long, "paas:access": { workloadIdentities: [grant] } }))).toEqual([
            `${W}.service makes the IAM role name (at most 64 characters, with the 8 Pulumi adds) too long: "paas-access-applications-production-order-fulfilment-worker" has 59 characters, at most 56 fit; use a shorter name`]);
        expect(problemsOf(aws({}, { ...long, "paas:namespace": "apps", "paas:access": { workloadIdentities: [grant] } }))).toEqual([]);
    });
});

describe("Kubernetes versions", () => {
    it(`accepts 1.${SUPPORTED_KUBERNETES_MINORS.min} to 1.${SUPPORTED_KUBERNETES_MINORS.max} only, on the cluster and on a Service`, () => {
        const rule = 'must be a supported minor version from "1.33" to "1.35", e.g. "1.35"';
        expect(problemsOf(aws({ kubernetesVersion: "1.32" }))).toEqual([`paas:cluster.kubernetesVersion ${rule}`]);
        expect(problemsOf(aws({ kubernetesVersion: "1.36" }))).toEqual([`paas:cluster.kubernetesVersion ${rule}`]);
        expect(problemsOf(aws({ kubernetesVersion: "1.33" }))).toEqual([]);
        expect(checkService("web", { image: "nginx:1.27", kubernetesVersion: "1.29" }, "args").list.map((p) => `${p.path} ${p.message}`)).toEqual([`args.kubernetesVersion ${rule}`]);
    });
});
