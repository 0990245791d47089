import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { main } from "../app/main";
import { parseConfig } from "../app/config";
import { ConfigError } from "../core/src/validation";
import { settle, useMocks } from "./harness/mocks";
import { STACKS, stackConfig } from "./harness/stacks";

const enc = (c: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));

function problemsOf(config: Record<string, unknown>, stack = "test"): string[] {
    try {
        parseConfig(enc(config), stack);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems.map((p) => `${p.path} ${p.message}`);
    }
    return [];
}

const aws = (cluster: Record<string, unknown>) => ({ "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": cluster });
const pool = (over: Record<string, unknown> = {}) => ({ name: "system", minNodes: 1, maxNodes: 3, ...over });

describe("stack config validation", () => {
    it("accepts every example stack", () => {
        for (const s of STACKS) expect(problemsOf(stackConfig(s), s)).toEqual([]);
    });

    it("defaults to the local cloud with nothing configured", () => {
        const cfg = parseConfig({}, "scratch");
        expect(cfg.cloud).toBe("local");
        expect(cfg.cluster.clusterName).toBe("paas-scratch");
        expect(cfg.namespace).toBe("apps");
    });

    const cases: [string, Record<string, unknown>, string][] = [
        ["unknown cloud", { "paas:cloud": "digitalocean" }, 'paas:cloud must be one of "aws", "gcp", "azure", "local"'],
        ["typo in a top-level key", { "paas:clustr": {} }, 'paas:clustr is not a known key (did you mean "cluster"?); allowed: cloud, cluster, kubeconfig, namespace, services, routes, gateway, addons, etcd, access, capacity'],
        ["typo in a cluster key", aws({ nodepools: [] }), 'paas:cluster.nodepools is not a known key (did you mean "nodePools"?); allowed: clusterName, kubernetesVersion, nodePools, apiAccess, tags, aws, gcp, azure, local'],
        ["min > max", aws({ nodePools: [pool(), pool({ name: "apps", minNodes: 5, maxNodes: 2 })] }), "paas:cluster.nodePools[1].maxNodes must be >= minNodes (5)"],
        ["wrong type", aws({ nodePools: [pool({ maxNodes: "many" })] }), "paas:cluster.nodePools[0].maxNodes must be an integer from 1 to 1000"],
        ["missing required field", aws({ nodePools: [{ name: "system", minNodes: 1 }] }), "paas:cluster.nodePools[0].maxNodes is required"],
        ["spot system pool", aws({ nodePools: [pool({ spot: true })] }), "paas:cluster.nodePools[0].spot must be false: the first pool hosts system workloads and may not be evicted"],
        ["duplicate pool", aws({ nodePools: [pool(), pool()] }), "paas:cluster.nodePools[1].name must be unique among the node pools"],
        ["bad pool name", aws({ nodePools: [pool({ name: "System_Pool" })] }), "paas:cluster.nodePools[0].name must be 1 to 12 lowercase letters or digits, starting with a letter"],
        ["bad CIDR", aws({ apiAccess: { authorizedNetworks: ["10.0.0.300/24"] } }), "paas:cluster.apiAccess.authorizedNetworks[0] must be an IPv4 CIDR block with no host bits set, such as 203.0.113.0/24"],
        ["host bits set", aws({ aws: { vpcCidr: "10.0.0.1/16" } }), "paas:cluster.aws.vpcCidr must be an IPv4 CIDR block from /16 to /20 with no host bits set"],
        ["API open to the internet", aws({ apiAccess: { authorizedNetworks: ["0.0.0.0/0"] } }), "paas:cluster.apiAccess.authorizedNetworks[0] opens the Kubernetes API to the whole internet; list your networks, or set apiAccess.allowAnyAddress: true to insist"],
        ["unreachable API", aws({ apiAccess: { privateEndpoint: false } }), "paas:cluster.apiAccess must keep privateEndpoint or list authorizedNetworks: otherwise the API is unreachable"],
        ["options of another cloud", aws({ gcp: { releaseChannel: "STABLE" } }), 'paas:cluster.gcp is only allowed when the cloud is "gcp" (the cloud is "aws")'],
        ["missing region", { "paas:cloud": "aws" }, 'aws:region must be set for cloud "aws" (pulumi config set aws:region us-east-1)'],
        ["GKE ranges overlap", { "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:cluster": { gcp: { podsCidr: "10.8.0.0/14" } } }, "paas:cluster.gcp.podsCidr must not overlap nodesCidr (10.10.0.0/20)"],
        ["bad release channel", { "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:cluster": { gcp: { releaseChannel: "NIGHTLY" } } }, 'paas:cluster.gcp.releaseChannel must be one of "RAPID", "REGULAR", "STABLE"'],
        ["KMS key without vault", { "azure-native:location": "westeurope", "paas:cloud": "azure", "paas:cluster": { azure: { keyVaultKeyId: "https://kv.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef" } } }, "paas:cluster.azure.keyVaultResourceId must be set together with keyVaultKeyId (both or neither)"],
        ["kubeconfig on a cloud", { ...aws({}), "paas:kubeconfig": "apiVersion: v1" }, 'paas:kubeconfig is only used with cloud "local" (the cloud is "aws"); remove it'],
        ["bad Kubernetes version", aws({ kubernetesVersion: "1.5" }), 'paas:cluster.kubernetesVersion must be a supported minor version from "1.33" to "1.35", e.g. "1.35"'],
        ["image tag latest", { "paas:services": [{ name: "web", image: "nginx:latest" }] }, 'paas:services[0].image must not use the tag "latest": pin a version tag or a digest (@sha256:…)'],
        ["unpinned image", { "paas:services": [{ name: "web", image: "nginx" }] }, "paas:services[0].image must be pinned: add a tag other than latest, or better a digest (@sha256:…)"],
        ["band inverted", { "paas:services": [{ name: "web", image: "nginx:1.27", autoscaling: { scaleUpAbove: 30, scaleDownBelow: 80 } }] }, "paas:services[0].autoscaling.scaleDownBelow must be an integer percent with 0 < scaleDownBelow < scaleUpAbove (30)"],
        ["band above 100", { "paas:services": [{ name: "web", image: "nginx:1.27", autoscaling: { scaleUpAbove: 120 } }] }, "paas:services[0].autoscaling.scaleUpAbove must be an integer percent from 2 to 100"],
        ["min > max replicas", { "paas:services": [{ name: "web", image: "nginx:1.27", autoscaling: { minReplicas: 5, maxReplicas: 3 } }] }, "paas:services[0].autoscaling.maxReplicas must be an integer from minReplicas (5) to 1000"],
        ["zero min replicas", { "paas:services": [{ name: "web", image: "nginx:1.27", autoscaling: { minReplicas: 0 } }] }, "paas:services[0].autoscaling.minReplicas must be an integer >= 1"],
        ["privileged port", { "paas:services": [{ name: "web", image: "nginx:1.27", port: 80 }] }, "paas:services[0].port must be an integer from 1024 to 65535 (non-root containers cannot bind below 1024)"],
        ["limit below request", { "paas:services": [{ name: "web", image: "nginx:1.27", memory: "1Gi", memoryLimit: "512Mi" }] }, "paas:services[0].memoryLimit must be >= memory (1Gi)"],
        ["unknown callee", { "paas:services": [{ name: "web", image: "nginx:1.27", calls: ["db"] }] }, "paas:services[0].calls[0] must name a service of paas:services"],
        ["negative capacity", { "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080 }], "paas:routes": [{ name: "r", backends: [{ service: "web", capacity: -5 }] }] }, "paas:routes[0].backends[0].capacity must be a number at least 0"],
        ["all-zero capacities", { "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080 }], "paas:routes": [{ name: "r", backends: [{ service: "web", capacity: 0 }] }] }, "paas:routes[0].backends must have at least one backend with capacity > 0: otherwise the route serves nothing"],
        ["unknown backend", { "paas:routes": [{ name: "r", backends: [{ service: "ghost", capacity: 1 }] }] }, "paas:routes[0].backends[0].service must name a service of paas:services"],
        ["backend without a port", { "paas:services": [{ name: "w", image: "nginx:1.27" }], "paas:routes": [{ name: "r", backends: [{ service: "w" }] }] }, "paas:routes[0].backends[0].service names a service without a port"],
        ["some capacities missing", { "paas:services": [{ name: "a", image: "nginx:1.27", port: 8080 }, { name: "b", image: "nginx:1.27", port: 8080 }], "paas:routes": [{ name: "r", backends: [{ service: "a", capacity: 2 }, { service: "b" }] }] }, "paas:routes[0].backends must give a capacity to every backend or to none (round-robin)"],
        ["bad path", { "paas:services": [{ name: "a", image: "nginx:1.27", port: 8080 }], "paas:routes": [{ name: "r", matches: [{ path: "api" }], backends: [{ service: "a" }] }] }, 'paas:routes[0].matches[0].path must start with "/"'],
        ["issuer without cert-manager", { "paas:gateway": { certManagerClusterIssuer: "letsencrypt" } }, "paas:gateway.certManagerClusterIssuer needs cert-manager: set paas:addons.certManager: true"],
        ["unknown gateway controller", { "paas:addons": { gatewayController: "nginx" } }, 'paas:addons.gatewayController must be one of "envoy", "gke", "none"'],
        ["even etcd", { "paas:etcd": { members: 4 } }, "paas:etcd.members must be an odd number from 3 to 7 (2f+1 members tolerate f failures)"],
        ["single etcd member", { "paas:etcd": { members: 1 } }, "paas:etcd.members must be 3 to 7; a single member has no fault tolerance (set allowSingleMember: true for development)"],
        ["etcd too large", { "paas:etcd": { members: 9 } }, "paas:etcd.members must be an odd number from 3 to 7 (2f+1 members tolerate f failures)"],
        ["unknown RBAC resource", { "paas:access": { rules: [{ name: "r", subjects: [{ kind: "Group", name: "g" }], resources: ["widgets"], permission: "read" }] } }, "paas:access.rules[0].resources[0] must be one of " + "pods, services, configmaps, secrets, serviceaccounts, persistentvolumeclaims, events, endpoints, namespaces, nodes, persistentvolumes, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs, horizontalpodautoscalers, poddisruptionbudgets, networkpolicies, ingresses, httproutes, gateways, leases, roles, rolebindings"],
        ["unknown permission", { "paas:access": { rules: [{ name: "r", subjects: [{ kind: "Group", name: "g" }], resources: ["pods"], permission: "owner" }] } }, 'paas:access.rules[0].permission must be one of "read", "write", "admin"'],
        ["ServiceAccount without namespace", { "paas:access": { rules: [{ name: "r", subjects: [{ kind: "ServiceAccount", name: "ci" }], resources: ["pods"], permission: "read" }] } }, "paas:access.rules[0].subjects[0].namespace is required for a ServiceAccount"],
        ["wildcard IAM action", { ...aws({}), "paas:services": [{ name: "web", image: "nginx:1.27" }], "paas:access": { workloadIdentities: [{ service: "web", aws: { actions: ["s3:*"], resources: ["arn:aws:s3:::b/*"] } }] } }, "paas:access.workloadIdentities[0].aws.actions[0] must name one action (no wildcards), e.g. s3:GetObject"],
        ["write on every resource", { ...aws({}), "paas:services": [{ name: "web", image: "nginx:1.27" }], "paas:access": { workloadIdentities: [{ service: "web", aws: { actions: ["s3:PutObject"], resources: ["*"] } }] } }, 'paas:access.workloadIdentities[0].aws.resources[0] must be an ARN: "*" is only allowed when every action is read-only'],
        ["grant for another cloud", { ...aws({}), "paas:services": [{ name: "web", image: "nginx:1.27" }], "paas:access": { workloadIdentities: [{ service: "web", gcp: { roles: ["roles/storage.objectViewer"] } }] } }, 'paas:access.workloadIdentities[0].gcp is only allowed when the cloud is "gcp" (the cloud is "aws")'],
        ["GCP owner role", { "gcp:project": "p", "gcp:region": "r", "paas:cloud": "gcp", "paas:services": [{ name: "web", image: "nginx:1.27" }], "paas:access": { workloadIdentities: [{ service: "web", gcp: { roles: ["roles/owner"] } }] } }, "paas:access.workloadIdentities[0].gcp.roles[0] is far broader than a workload needs; grant a predefined or custom role"],
        ["identity of an unknown service", { ...aws({}), "paas:access": { workloadIdentities: [{ service: "ghost", aws: { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] } }] } }, "paas:access.workloadIdentities[0].service must name a service of paas:services"],
        ["bad namespace", { "paas:namespace": "Apps!" }, "paas:namespace must be a DNS label (lowercase letters, digits, '-'; at most 63)"],
    ];

    it.each(cases)("rejects %s with the key path", (_, config, expected) => {
        expect(problemsOf(config)).toContain(expected);
    });

    it("reports every problem at once, with the value", () => {
        try {
            parseConfig(enc(aws({ nodePools: [pool({ minNodes: 4, maxNodes: 2 })], apiAccess: { authorizedNetworks: ["nope"] } })), "x");
            expect.unreachable();
        } catch (e) {
            expect((e as Error).message).toBe(
                "invalid stack configuration (2 problems):\n" +
                    "  - paas:cluster.nodePools[0].maxNodes must be >= minNodes (4), got 2\n" +
                    '  - paas:cluster.apiAccess.authorizedNetworks[0] must be an IPv4 CIDR block with no host bits set, such as 203.0.113.0/24, got "nope"',
            );
        }
    });

    it("never prints the kubeconfig", () => {
        const msg = problemsOf({ ...aws({}), "paas:kubeconfig": "SECRET-TOKEN" }).join("\n");
        expect(msg).not.toContain("SECRET-TOKEN");
    });

    it.each(cases)("registers nothing when the program gets %s", async (_, config) => {
        const rec = await useMocks("test", config);
        expect(() => main()).toThrow(pulumi.RunError);
        await settle();
        expect(rec.resources).toEqual([]);
    });
});
