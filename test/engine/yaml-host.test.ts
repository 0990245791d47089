/**
 * The YAML language host the toolchain builds runs a Pulumi YAML program on the real engine,
 * offline: a Kubernetes provider in render mode, a Namespace and a ConfigMap that refers to it,
 * written to files; then a second `up` changes nothing and `destroy` removes the files.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { engineEnv, runPulumi, scratchEnv } from "../harness/engine";
import { ROOT } from "../harness/stacks";

const PROGRAM = `name: yaml-render
runtime: yaml
description: A Pulumi YAML program rendering Kubernetes objects to files.
config:
  renderDir:
    type: string
resources:
  render:
    type: pulumi:providers:kubernetes
    properties:
      renderYamlToDirectory: \${renderDir}
  ns:
    type: kubernetes:core/v1:Namespace
    properties:
      metadata:
        name: yaml-demo
    options:
      provider: \${render}
  settings:
    type: kubernetes:core/v1:ConfigMap
    properties:
      metadata:
        name: settings
        namespace: \${ns.metadata.name}
      data:
        greeting: hello
    options:
      provider: \${render}
outputs:
  namespace: \${ns.metadata.name}
`;

let dir: string;
let out: string;
let env: NodeJS.ProcessEnv;

/** The output of a `pulumi` command in the program's folder, stdout then stderr. */
const pulumi = (args: string[]) => runPulumi(args, { cwd: dir, env, timeoutMs: 180_000 }).out;

beforeAll(() => {
    const host = path.join(ROOT, ".tools/bin/pulumi-language-yaml");
    const onPath = spawnSync("bash", ["-c", "command -v pulumi-language-yaml"], { env: engineEnv, encoding: "utf8" });
    if (!fs.existsSync(host) && onPath.status !== 0)
        throw new Error("pulumi-language-yaml is missing: run `npm run toolchain -- language-yaml` (builds it from the github.com/pulumi/pulumi-yaml Go module into .tools/bin)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-yaml-"));
    out = path.join(dir, "rendered");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), PROGRAM);
    env = scratchEnv(dir);
    pulumi(["stack", "init", "dev"]);
    pulumi(["config", "set", "renderDir", out]);
});
afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const rendered = () => (fs.existsSync(out) ? fs.readdirSync(out, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml")).sort() : []);

describe("a Pulumi YAML program on the toolchain's YAML host", () => {
    it("renders its objects on `pulumi up`, references resolved", () => {
        const text = pulumi(["up", "--yes"]);
        expect(text).toMatch(/\+ 4 created/); // stack, provider, Namespace, ConfigMap
        expect(rendered()).toEqual(["1-manifest/v1-configmap-yaml-demo-settings.yaml", "1-manifest/v1-namespace-default-yaml-demo.yaml"]);
        const cm = parse(fs.readFileSync(path.join(out, "1-manifest/v1-configmap-yaml-demo-settings.yaml"), "utf8"));
        expect([cm.kind, cm.metadata.namespace, cm.metadata.name, cm.data]).toEqual(["ConfigMap", "yaml-demo", "settings", { greeting: "hello" }]);
        expect(JSON.parse(pulumi(["stack", "output", "--json"]))).toEqual({ namespace: "yaml-demo" });
    });

    it("has no drift, and `destroy` removes what it rendered", () => {
        expect(pulumi(["preview", "--expect-no-changes"])).toMatch(/4 unchanged/);
        pulumi(["destroy", "--yes"]);
        expect(rendered()).toEqual([]);
    });
});
