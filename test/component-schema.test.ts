/**
 * The component package's schema, as `pulumi package get-schema ./components` serves it: the
 * SDK's component provider analyses the TypeScript source of `components/` (PulumiPlugin.yaml,
 * runtime nodejs) and every component must come out with typed inputs and outputs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { beforeAll, describe, expect, it } from "vitest";
import * as components from "../components";
import { ROOT } from "./harness/stacks";

const DIR = path.join(ROOT, "components");
let schema: any;

beforeAll(async () => {
    const provider = new ComponentProvider({ name: "paas", dirname: DIR, components: getPulumiComponents(components) });
    schema = JSON.parse(await provider.getSchema());
}, 120_000);

describe("component package schema", () => {
    it("is a nodejs plugin package named paas", () => {
        expect(fs.readFileSync(path.join(DIR, "PulumiPlugin.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
        expect(JSON.parse(fs.readFileSync(path.join(DIR, "package.json"), "utf8")).name).toBe("paas");
        expect(schema.name).toBe("paas");
    });

    it("lists every component as paas:index:*", () => {
        expect(Object.keys(schema.resources).sort()).toEqual([
            "paas:index:AccessControl", "paas:index:EtcdQuorum", "paas:index:Gateway", "paas:index:KubernetesAccess", "paas:index:KubernetesCluster",
            "paas:index:KubernetesPlatform", "paas:index:Platform", "paas:index:Service", "paas:index:WeightedRoute",
        ]);
        for (const r of Object.values<any>(schema.resources)) {
            expect(r.isComponent).toBe(true);
            expect(Object.keys(r.inputProperties ?? {}).length).toBeGreaterThan(0);
            expect(Object.keys(r.properties ?? {}).length).toBeGreaterThan(0);
        }
    });

    it("types the inputs, closed sets as enums, and carries the doc comments", () => {
        const cluster = schema.resources["paas:index:KubernetesCluster"];
        expect(cluster.requiredInputs).toEqual(["cloud"]);
        expect(cluster.inputProperties.cloud.$ref).toMatch(/#\/types\/paas:index:Cloud$/);
        expect(schema.types["paas:index:Cloud"].enum.map((e: any) => e.value)).toEqual(["aws", "gcp", "azure", "local"]);
        expect(cluster.inputProperties.nodePools.items.$ref).toMatch(/#\/types\/paas:index:NodePoolArgs$/);
        expect(schema.types["paas:index:NodePoolArgs"].properties.minNodes.type).toBe("number");
        expect(cluster.inputProperties.kubernetesVersion.description).toBe('Kubernetes minor version, e.g. "1.35".');
        const aws = schema.types["paas:index:AwsClusterArgs"].properties;
        expect(aws.nodeProvisioning.$ref).toMatch(/#\/types\/paas:index:EksNodeProvisioning$/);
        expect(schema.types["paas:index:EksNodeProvisioning"].enum.map((e: any) => e.value)).toEqual(["managedGroups", "karpenter"]);
        expect(aws.karpenter.$ref).toMatch(/#\/types\/paas:index:KarpenterArgs$/);
        expect(schema.types["paas:index:KarpenterArgs"].properties.controllerIdentity.$ref).toMatch(/#\/types\/paas:index:AwsWorkloadIdentity$/);
        expect(schema.types["paas:index:AwsWorkloadIdentity"].enum.map((e: any) => e.value)).toEqual(["irsa", "podIdentity"]);
        expect(schema.types["paas:index:GcpClusterArgs"].properties.nodeAutoProvisioning.type).toBe("boolean");
        expect(schema.types["paas:index:AzureClusterArgs"].properties.nodeAutoProvisioning.type).toBe("boolean");
        expect(aws.workloadIdentity.$ref).toMatch(/#\/types\/paas:index:AwsWorkloadIdentity$/);
        expect(schema.resources["paas:index:AccessControl"].inputProperties.awsWorkloadIdentity.$ref).toMatch(/#\/types\/paas:index:AwsWorkloadIdentity$/);
        const layer = schema.resources["paas:index:KubernetesPlatform"];
        expect(layer.inputProperties.services.items.$ref).toMatch(/#\/types\/paas:index:PlatformServiceArgs$/);
        expect(layer.inputProperties.access.$ref).toMatch(/#\/types\/paas:index:KubernetesPlatformAccessArgs$/);
        expect(schema.types["paas:index:KubernetesPlatformAccessArgs"].properties.identityServices.items.type).toBe("string");
        expect(schema.resources["paas:index:KubernetesAccess"].inputProperties.breakGlassClusterAdmins.items.$ref).toMatch(/#\/types\/paas:index:AclSubject$/);
        const service = schema.resources["paas:index:Service"];
        expect(service.requiredInputs.sort()).toEqual(["image", "namespace"]);
        expect(service.inputProperties.autoscaling.$ref).toMatch(/AutoscalingArgs$/);
    });

    it("types the outputs", () => {
        const cluster = schema.resources["paas:index:KubernetesCluster"].properties;
        expect(cluster.kubeconfig.type).toBe("string");
        expect(cluster.clusterName.type).toBe("string");
        expect(schema.resources["paas:index:WeightedRoute"].properties.weights).toMatchObject({ type: "array", items: { type: "number" } });
        expect(schema.resources["paas:index:EtcdQuorum"].properties.quorum.type).toBe("number");
    });
});
