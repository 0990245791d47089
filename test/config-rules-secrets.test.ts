/** Secrets: never printed, the kubeconfig never in plain text, credentials read from Secrets. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { main } from "../app/main";
import { engineSecretKeys, parseConfig } from "../app/config";
import { literalCredentialReason } from "../core/src/planners/workload";
import { ConfigError } from "../core/src/validation";
import { settle, useMocks } from "./harness/mocks";
import { runProgram } from "./harness/stacks";

const enc = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
/** The whole error text, as `pulumi up` prints it. */
function errorText(config: Record<string, unknown>, secretKeys: readonly string[] | null = []): string {
    try {
        parseConfig(enc(config), "test", secretKeys);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
    }
    return "";
}
const svc = (over: object = {}) => ({ name: "web", image: "nginx:1.27", port: 8080, ...over });
const PLAIN = 'paas:kubeconfig is stored in plain text, and it holds the cluster\'s credentials: set it as a secret (pulumi config set --secret paas:kubeconfig "$(cat ~/.kube/config)"), or name the file with paas:cluster.local.kubeconfigFile';

describe("values that may be secrets are never printed", () => {
    it("not for unknown keys, at any depth", () => {
        expect(errorText({ "paas:services": [svc({ password: "hunter2" })], "paas:passwrd": "hunter3", "paas:cluster": { locl: { token: "hunter4" } } })).toBe(
            "invalid stack configuration (3 problems):\n" +
            "  - paas:passwrd is not a known key; allowed: cloud, cluster, kubeconfig, namespace, services, routes, gateway, addons, etcd, access, capacity\n" +
            '  - paas:cluster.locl is not a known key (did you mean "local"?); allowed: clusterName, kubernetesVersion, nodePools, apiAccess, tags, aws, gcp, azure, local\n' +
            "  - paas:services[0].password is not a known key; allowed: name, image, port, healthPath, cpu, memory, cpuLimit, memoryLimit, env, secretEnv, args, runAsUser, automountServiceAccountToken, autoscaling, calls, egress, metrics");
    });

    it("not for environment values, nor for a literal credential", () => {
        expect(errorText({ "paas:services": [svc({ env: { DB_PASSWORD: "hunter2", KEY_ID: "AKIAIOSFODNN7EXAMPLE", PORT: 5, LOG: "info" } })] })).toBe(
            "invalid stack configuration (3 problems):\n" +
            "  - paas:services[0].env.PORT must be a string\n" +
            "  - paas:services[0].env.DB_PASSWORD must not be a literal credential (its name says it holds a credential): keep it in a Kubernetes Secret and read it with secretEnv.DB_PASSWORD: {name, key}\n" +
            "  - paas:services[0].env.KEY_ID must not be a literal credential (its value looks like an AWS access key ID): keep it in a Kubernetes Secret and read it with secretEnv.KEY_ID: {name, key}");
    });

    it("not for the kubeconfig", () => {
        const text = errorText({ "paas:cloud": "local", "paas:kubeconfig": "users: [{user: {token: SECRET-TOKEN}}]" });
        expect(text).toBe(`invalid stack configuration (1 problem):\n  - ${PLAIN}`);
    });
});

describe("paas:kubeconfig in plain text", () => {
    it("is refused when the engine says it is not a secret, and accepted when it is", () => {
        const config = { "paas:cloud": "local", "paas:kubeconfig": "apiVersion: v1" };
        expect(errorText(config, [])).toBe(`invalid stack configuration (1 problem):\n  - ${PLAIN}`);
        expect(errorText(config, ["paas:kubeconfig"])).toBe("");
        // Without word from the engine (an old CLI) the check cannot be made.
        expect(errorText(config, null)).toBe("");
    });

    it("reads the secret keys the engine passes (under mocks, setAllConfig's list)", async () => {
        await useMocks("test", {}, ["paas:kubeconfig", "aws:secretKey"]);
        expect(engineSecretKeys()).toEqual(["paas:kubeconfig", "aws:secretKey"]);
    });

    it("stops the program before anything is registered", async () => {
        const rec = await useMocks("test", { "paas:cloud": "local", "paas:kubeconfig": "apiVersion: v1" }, []);
        expect(() => main()).toThrow(new pulumi.RunError(`invalid stack configuration (1 problem):\n  - ${PLAIN}`));
        await settle();
        expect(rec.resources).toEqual([]);
    });
});

describe("environment values from Secrets", () => {
    it("renders secretEnv as valueFrom.secretKeyRef next to the literal env", async () => {
        const run = await runProgram("test", {
            "paas:cloud": "local",
            "paas:cluster": { local: { renderDirectory: "rendered" } },
            "paas:services": [svc({ env: { LOG_LEVEL: "info" }, secretEnv: { DB_PASSWORD: { name: "orders-db", key: "password" } } })],
        });
        const deployment = run.recorder.get("kubernetes:apps/v1:Deployment", "paas-web-deployment").inputs;
        expect(deployment.spec.template.spec.containers[0].env).toEqual([
            { name: "LOG_LEVEL", value: "info" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "orders-db", key: "password" } } },
        ]);
    });

    it("checks the references", () => {
        expect(errorText({ "paas:services": [svc({ env: { A: "1" }, secretEnv: { A: { name: "db", key: "k" }, B: { name: "DB Secret", key: "bad key" }, C: { name: "db" }, D: "hunter2" } })] })).toBe(
            "invalid stack configuration (5 problems):\n" +
            "  - paas:services[0].secretEnv.D must be {name, key} of a Kubernetes Secret, not a value\n" +
            "  - paas:services[0].secretEnv.C.key is required, got nothing\n" +
            "  - paas:services[0].secretEnv.A is also set in env; set it in one of the two\n" +
            "  - paas:services[0].secretEnv.B.name must be a Secret name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253), got \"DB Secret\"\n" +
            "  - paas:services[0].secretEnv.B.key must be a Secret key: 1 to 253 letters, digits, '-', '_' or '.', got \"bad key\"");
    });

    it("tells credentials from ordinary values", () => {
        expect(literalCredentialReason("GITHUB_TOKEN", "x")).toBe("its name says it holds a credential");
        expect(literalCredentialReason("api_key", "x")).toBe("its name says it holds a credential");
        expect(literalCredentialReason("NOTE", "-----BEGIN OPENSSH PRIVATE KEY-----")).toBe("its value looks like a private key");
        expect(literalCredentialReason("LOG_LEVEL", "debug")).toBeUndefined();
        // Names that point at a credential, or only contain the letters of one, are not credentials.
        expect(literalCredentialReason("JWT_SECRET_FILE", "/var/run/secrets/jwt")).toBeUndefined();
        expect(literalCredentialReason("TOKEN_URL", "https://auth.example.com/token")).toBeUndefined();
        expect(literalCredentialReason("TOKENIZER", "bpe")).toBeUndefined();
        expect(literalCredentialReason("AWS_SECRET_ACCESS_KEY", "x")).toBe("its name says it holds a credential");
        expect(literalCredentialReason("DB_PASSWORD", "")).toBeUndefined();
    });
});
