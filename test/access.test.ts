import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    ALL_SUBRESOURCES, type AclRule, type BindingSpec, GUARD_RESOURCES, PERMISSIONS, POD_ACCESS_KINDS, RESOURCES, type RoleSpec, SUBJECT_KINDS, VERBS,
    checkAcl, compileAcl, runAsExposure, scopeKey, subjectKey,
} from "../core/src/planners/acl";
import { checkAccess } from "../components/src/planners/access";
import { Problems } from "../core/src/validation";
import { evaluate } from "../policies/src/run";
import { problemsOf } from "./harness/config";
import { FAKE } from "./harness/mocks";
import { runStack } from "./harness/stacks";

/**
 * An independent RBAC evaluator, written from the Kubernetes authorization rules: a subject may
 * do `verb` on `resource` in `namespace` when a RoleBinding in that namespace or any
 * ClusterRoleBinding names it and the bound role has a rule whose apiGroups, resources and verbs
 * all contain the request's.
 */
function allowedVerbs(roles: RoleSpec[], bindings: BindingSpec[], subject: string, namespace: string | undefined, resource: string): string[] {
    const group = RESOURCES[resource.split("/")[0]].group; // a subresource is in its resource's group
    const verbs = new Set<string>();
    for (const b of bindings) {
        if (b.kind === "RoleBinding" && b.namespace !== namespace) continue;
        const names = b.subjects.map((s) => (s.kind === "ServiceAccount" ? `ServiceAccount:${s.namespace}/${s.name}` : `${s.kind}:${s.name}`));
        if (!names.includes(subject)) continue;
        const role = roles.find((r) => r.kind === b.roleRef.kind && r.name === b.roleRef.name && (r.kind === "ClusterRole" || r.namespace === b.namespace));
        for (const rule of role?.rules ?? []) {
            if (rule.apiGroups.includes(group) && rule.resources.includes(resource)) for (const v of rule.verbs) verbs.add(v);
        }
    }
    return [...verbs].sort();
}

/** Effective verbs according to the matrix: the namespace's row plus cluster-wide grants. */
function matrixVerbs(matrix: Record<string, Record<string, string[]>>, subject: string, namespace: string | undefined, resource: string): string[] {
    const row = matrix[subject] ?? {};
    const own = namespace === undefined ? [] : row[scopeKey(namespace, resource)] ?? [];
    return [...new Set([...own, ...(row[scopeKey(undefined, resource)] ?? [])])].sort();
}

const rule = (over: Partial<AclRule>): AclRule => ({ name: "r", subjects: [{ kind: "Group", name: "devs" }], resources: ["deployments"], namespace: "apps", permission: "read", ...over });

describe("ACL → RBAC", () => {
    it("compiles each permission level to exact verbs", () => {
        const read = compileAcl([rule({ permission: "read", resources: ["deployments", "pods"] })]);
        expect(read.roles).toEqual([{ kind: "Role", name: "paas-r", namespace: "apps", rules: [
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
        ] }]);
        expect(read.bindings).toEqual([{
            kind: "RoleBinding", name: "paas-r", namespace: "apps",
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "paas-r" },
            subjects: [{ kind: "Group", name: "devs", apiGroup: "rbac.authorization.k8s.io" }],
        }]);
        // write: `kubectl scale` works (the scale subresource).
        expect(compileAcl([rule({ permission: "write" })]).roles[0].rules).toEqual([
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
            { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "patch", "update"] },
        ]);
        // admin: also logs and eviction, each with only the verbs it takes; never exec or port-forward.
        expect(compileAcl([rule({ permission: "admin", resources: ["deployments", "pods"] })]).roles[0].rules).toEqual([
            { apiGroups: [""], resources: ["pods"], verbs: [...VERBS.admin] },
            { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
            { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: [...VERBS.admin] },
            { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "patch", "update"] },
        ]);
        const cluster = compileAcl([rule({ namespace: undefined, resources: ["nodes"], subjects: [{ kind: "ServiceAccount", name: "ci", namespace: "cicd" }] })]);
        expect(cluster.roles[0].kind).toBe("ClusterRole");
        expect(cluster.bindings[0]).toMatchObject({ kind: "ClusterRoleBinding", subjects: [{ kind: "ServiceAccount", name: "ci", namespace: "cicd" }] });
        expect(cluster.matrix).toEqual({ "ServiceAccount:cicd/ci": { "cluster/nodes": ["get", "list", "watch"] } });
    });

    const subject = fc.record({ kind: fc.constantFrom(...SUBJECT_KINDS), name: fc.constantFrom("a", "b", "c") })
        .map((s) => (s.kind === "ServiceAccount" ? { ...s, namespace: "ns1" } : s));
    const namespaced = Object.keys(RESOURCES).filter((r) => RESOURCES[r].namespaced);
    const acl = fc.array(fc.record({
        subjects: fc.array(subject, { minLength: 1, maxLength: 3 }),
        namespace: fc.constantFrom<string | undefined>("ns1", "ns2", undefined),
        permission: fc.constantFrom(...PERMISSIONS),
        n: fc.integer({ min: 1, max: 5 }),
        seed: fc.integer({ min: 0, max: 1000 }),
        podAccess: fc.subarray([...POD_ACCESS_KINDS]),
    }), { maxLength: 8 }).map((rs) => rs.map((r, i): AclRule => {
        const pool = r.namespace === undefined ? Object.keys(RESOURCES) : namespaced;
        const resources = Array.from({ length: r.n }, (_, j) => pool[(r.seed + j * 7) % pool.length]);
        return { name: `rule${i}`, subjects: r.subjects, namespace: r.namespace, permission: r.permission, resources,
            podAccess: resources.includes("pods") ? r.podAccess : undefined, allowPolicyChanges: true };
    }));

    it("never emits a wildcard verb, resource or API group (any ACL)", () => {
        fc.assert(fc.property(acl, (rules) => {
            const { roles } = compileAcl(rules);
            return roles.every((r) => r.rules.every((x) => ![...x.verbs, ...x.resources, ...x.apiGroups].includes("*")));
        }), { numRuns: 300 });
    });

    it("publishes a matrix equal to an independent evaluation of the generated RBAC (any ACL)", () => {
        fc.assert(fc.property(acl, (rules) => {
            const { roles, bindings, matrix } = compileAcl(rules);
            const subjects = [...new Set(rules.flatMap((r) => r.subjects.map(subjectKey)))];
            const everything = [...Object.keys(RESOURCES), ...ALL_SUBRESOURCES];
            for (const s of subjects) for (const ns of ["ns1", "ns2", undefined]) for (const res of everything) {
                if (ns !== undefined && !RESOURCES[res.split("/")[0]].namespaced) continue;
                const expected = ns === undefined
                    ? allowedVerbs(roles, bindings.filter((b) => b.kind === "ClusterRoleBinding"), s, undefined, res)
                    : allowedVerbs(roles, bindings, s, ns, res);
                const got = matrixVerbs(matrix, s, ns, res);
                if (JSON.stringify(expected) !== JSON.stringify(got)) throw new Error(`${s} ${ns}/${res}: RBAC allows ${expected}, matrix says ${got}`);
            }
            return true;
        }), { numRuns: 200 });
    });
});

describe("AccessControl in the example stacks", () => {
    it("declares the dev stack's RBAC and publishes the matrix", async () => {
        const run = await runStack("dev");
        const role = run.recorder.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "paas-access-paas-deployer").inputs;
        expect(role.metadata).toMatchObject({ name: "paas-deployer", namespace: "apps" });
        expect(role.rules).toEqual([
            { apiGroups: [""], resources: ["services"], verbs: [...VERBS.write] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: [...VERBS.write] },
            { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "patch", "update"] },
            { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: [...VERBS.write] },
            { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: [...VERBS.write] },
            { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: [...VERBS.write] },
        ]);
        expect(run.recorder.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "paas-access-paas-node-viewers-binding").inputs.subjects).toEqual([
            { kind: "Group", name: "sre", apiGroup: "rbac.authorization.k8s.io" },
            { kind: "User", name: "alice@example.com", apiGroup: "rbac.authorization.k8s.io" },
        ]);
        const matrix = run.outputs.accessMatrix.value as Record<string, Record<string, string[]>>;
        expect(matrix["Group:sre"]).toEqual({
            "apps/deployments": [...VERBS.admin].sort(), "apps/statefulsets": [...VERBS.admin].sort(), "apps/pods": [...VERBS.admin].sort(),
            "apps/deployments/scale": ["get", "patch", "update"], "apps/statefulsets/scale": ["get", "patch", "update"],
            "apps/pods/log": ["get"], "apps/pods/exec": ["create", "get"], "apps/pods/portforward": ["create", "get"], "apps/pods/eviction": ["create"],
            // dev opts into exec and port-forward by name; prod stacks do not.
            "cluster/nodes": ["get", "list", "watch"], "cluster/namespaces": ["get", "list", "watch"],
        });
        expect(matrix["ServiceAccount:cicd/deployer"]["apps/deployments"]).toEqual(["create", "delete", "get", "list", "patch", "update", "watch"]);
    });

    it("gives the orders service an IRSA role only its own service account can assume (dev)", async () => {
        const run = await runStack("dev");
        const role = run.recorder.get("aws:iam/role:Role", "paas-access-apps-orders").inputs;
        const issuer = FAKE.eksIssuer.replace("https://", "");
        expect(JSON.parse(role.assumeRolePolicy).Statement).toEqual([{
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${FAKE.accountId}:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:apps:orders", [`${issuer}:aud`]: "sts.amazonaws.com" } },
        }]);
        expect(JSON.parse(role.inlinePolicies[0].policy)).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::acme-dev-orders/*"] }] });
        expect(run.recorder.get("kubernetes:core/v1:ServiceAccount", "paas-orders-sa").inputs.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": `arn:aws:iam::${FAKE.accountId}:role/paas-access-apps-orders` });
        expect(run.recorder.get("kubernetes:core/v1:ServiceAccount", "paas-checkout-a-sa").inputs.metadata.annotations).toBeUndefined();
    });

    it("gives the orders service its role through an EKS Pod Identity association, with no annotation (aws-prod)", async () => {
        const run = await runStack("aws-prod");
        const role = run.recorder.get("aws:iam/role:Role", "paas-access-apps-orders").inputs;
        expect(JSON.parse(role.assumeRolePolicy)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
        });
        expect(JSON.parse(role.inlinePolicies[0].policy)).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::acme-prod-orders/*"] }] });
        const tags = { "paas:cluster": "paas-aws-prod", "paas:service-account": "apps/orders" };
        expect(role.tags).toEqual(tags);
        expect(run.recorder.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "paas-access-apps-orders").inputs).toEqual({
            clusterName: "paas-aws-prod", namespace: "apps", serviceAccount: "orders", roleArn: `arn:aws:iam::${FAKE.accountId}:role/paas-access-apps-orders`, tags,
        });
        expect(run.recorder.get("kubernetes:core/v1:ServiceAccount", "paas-orders-sa").inputs.metadata.annotations).toEqual({});
        // The dev stack keeps IRSA: no association for its services.
        const dev = await runStack("dev");
        expect(dev.recorder.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation")).toEqual([]);
    });

    it("refuses a workload identity mode that is not one, and one set on another cloud", () => {
        expect(problemsOf({ "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": { aws: { workloadIdentity: "kiam" } } })).toEqual(['paas:cluster.aws.workloadIdentity must be one of "irsa", "podIdentity"']);
        const problems = new Problems();
        checkAccess({ cloud: "gcp", awsWorkloadIdentity: "podIdentity" }, "args", problems);
        checkAccess({ cloud: "aws", awsWorkloadIdentity: "pods" as never }, "other", problems);
        expect(problems.list.map((p) => `${p.path} ${p.message}, got ${String(p.value)}`)).toEqual([
            'args.awsWorkloadIdentity is only used with cloud "aws" (the cloud is "gcp"), got podIdentity',
            'other.awsWorkloadIdentity must be one of "irsa", "podIdentity", got pods',
        ]);
    });

    it("binds a Google service account to exactly apps/orders (gcp-prod)", async () => {
        const run = await runStack("gcp-prod");
        const gsa = run.recorder.get("gcp:serviceaccount/account:Account", "paas-access-apps-orders").inputs;
        expect(gsa.accountId).toBe("paas-gcp-prod-orders");
        expect(run.recorder.get("gcp:serviceaccount/iAMMember:IAMMember", "paas-access-apps-orders-wi").inputs).toMatchObject({
            role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${FAKE.gcpProject}.svc.id.goog[apps/orders]`,
        });
        expect(run.recorder.get("gcp:projects/iAMMember:IAMMember", "paas-access-apps-orders-storage.objectUser").inputs).toMatchObject({
            role: "roles/storage.objectUser", member: `serviceAccount:paas-gcp-prod-orders@${FAKE.gcpProject}.iam.gserviceaccount.com`,
        });
        expect(run.recorder.get("kubernetes:core/v1:ServiceAccount", "paas-orders-sa").inputs.metadata.annotations).toEqual({ "iam.gke.io/gcp-service-account": `paas-gcp-prod-orders@${FAKE.gcpProject}.iam.gserviceaccount.com` });
    });

    it("federates an Azure identity with exactly apps/orders and labels its pods (azure-prod)", async () => {
        const run = await runStack("azure-prod");
        expect(run.recorder.get("azure-native:managedidentity:FederatedIdentityCredential", "paas-access-apps-orders-federation").inputs).toMatchObject({
            issuer: FAKE.aksIssuer, subject: "system:serviceaccount:apps:orders", audiences: ["api://AzureADTokenExchange"],
        });
        expect(run.recorder.get("azure-native:authorization:RoleAssignment", "paas-access-apps-orders-role-0").inputs.roleDefinitionId)
            .toBe(`/subscriptions/${FAKE.azureSubscription}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`);
        expect(run.recorder.get("kubernetes:core/v1:ServiceAccount", "paas-orders-sa").inputs.metadata.annotations).toEqual({ "azure.workload.identity/client-id": "paas-access-apps-orders-client" });
        expect(run.recorder.get("kubernetes:apps/v1:Deployment", "paas-orders-deployment").inputs.spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    });

    it("declares a loudly named break-glass binding that the policy pack flags", async () => {
        const run = await runStack("local", (c) => ({ ...c, "paas:access": { ...(c["paas:access"] as object), breakGlassClusterAdmins: [{ kind: "Group", name: "sre-oncall" }] } }));
        const b = run.recorder.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "paas-access-break-glass-cluster-admin").inputs;
        expect(b.metadata.name).toBe("paas-break-glass-cluster-admin");
        expect(b.roleRef.name).toBe("cluster-admin");
        // The sre admin role's exec is acknowledged as the repository's configs do; the binding is not.
        expect(evaluate(run.recorder.policySubjects(), { all: "mandatory", "k8s-rbac-pod-access": { allowedRoles: ["apps/paas-sre"] } }).map((v) => v.message)).toEqual([
            'ClusterRoleBinding "paas-break-glass-cluster-admin": roleRef.name is cluster-admin; bind a least-privilege role from the access model instead']);
    });
});

describe("levels that stay within their names", () => {
    const problemsOf = (rules: AclRule[]) => { const p = new Problems(); checkAcl(rules, "paas:access.rules", p); return p.list.map((x) => `${x.path}: ${x.message}`); };

    it("grants exec, attach and port-forward only when a rule asks for them, with their own verbs", () => {
        const asked = compileAcl([rule({ permission: "read", resources: ["pods"], podAccess: ["portforward", "exec"] })]);
        expect(asked.roles[0].rules).toEqual([
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["create", "get"] },
        ]);
        expect(asked.matrix["Group:devs"]).toEqual({ "apps/pods": ["get", "list", "watch"], "apps/pods/exec": ["create", "get"], "apps/pods/portforward": ["create", "get"] });
        for (const permission of PERMISSIONS) {
            const rules = compileAcl([rule({ permission, resources: ["pods"] })]).roles[0].rules;
            expect(rules.flatMap((r) => r.resources).filter((r) => ["pods/exec", "pods/attach", "pods/portforward"].includes(r))).toEqual([]);
        }
        expect(problemsOf([rule({ resources: ["deployments"], podAccess: ["exec"] })])).toEqual(['paas:access.rules[0].podAccess: needs "pods" among the rule\'s resources']);
        expect(problemsOf([rule({ resources: ["pods"], podAccess: ["ssh" as never] })])).toEqual(['paas:access.rules[0].podAccess[0]: must be one of "exec", "attach", "portforward"']);
    });

    it("refuses write on what guards a namespace unless the rule says allowPolicyChanges", () => {
        for (const res of Object.keys(GUARD_RESOURCES)) {
            expect(problemsOf([rule({ permission: "read", resources: [res] })])).toEqual([]);
            for (const permission of ["write", "admin"] as const) {
                expect(problemsOf([rule({ permission, resources: ["deployments", res] })])).toEqual([
                    `paas:access.rules[0].resources[1]: with permission "${permission}": whoever holds it ${GUARD_RESOURCES[res]}; leave it to the stack, or set allowPolicyChanges: true on the rule to grant it on purpose`,
                ]);
                expect(problemsOf([rule({ permission, resources: [res], allowPolicyChanges: true })])).toEqual([]);
            }
        }
        expect(compileAcl([rule({ permission: "write", resources: ["rolebindings"], allowPolicyChanges: true })]).roles[0].rules).toEqual([
            { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: [...VERBS.write] },
        ]);
    });

    it("says who can run pods as a ServiceAccount with a cloud identity, and refuses it on request", () => {
        const rules = [
            rule({ name: "readers", permission: "read", resources: ["deployments", "pods"] }),
            rule({ name: "deployers", subjects: [{ kind: "Group", name: "ci" }], permission: "write", resources: ["deployments"] }),
            rule({ name: "elsewhere", subjects: [{ kind: "Group", name: "batch" }], namespace: "jobs", permission: "write", resources: ["jobs"] }),
            rule({ name: "everywhere", subjects: [{ kind: "User", name: "ops" }], namespace: undefined, permission: "write", resources: ["cronjobs"] }),
        ];
        expect(runAsExposure(compileAcl(rules).matrix, ["apps/orders", "apps/billing"])).toEqual({ "Group:ci": ["apps/billing", "apps/orders"], "User:ops": ["apps/billing", "apps/orders"] });
        const identities = [{ namespace: "apps", serviceAccount: "orders", aws: { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] } }];
        const check = (protect: boolean) => { const p = new Problems(); checkAccess({ cloud: "aws", rules, workloadIdentities: identities, protectWorkloadIdentities: protect }, "paas:access", p); return p.list.map((x) => `${x.path}: ${x.message}`); };
        expect(check(false)).toEqual([]);
        expect(check(true)).toEqual([
            "paas:access.rules[1]: lets its subjects run pods as apps/orders, which hold cloud identities (protectWorkloadIdentities is on); grant write in a namespace without such ServiceAccounts, or read only",
            "paas:access.rules[3]: lets its subjects run pods as apps/orders, which hold cloud identities (protectWorkloadIdentities is on); grant write in a namespace without such ServiceAccounts, or read only",
        ]);
    });

    it("publishes the dev stack's run-as exposure: the deployer and the SREs can act as orders", async () => {
        const run = await runStack("dev");
        expect(run.outputs.accessRunAs.value).toEqual({ "Group:sre": ["apps/orders"], "ServiceAccount:cicd/deployer": ["apps/orders"] });
    });
});

describe("ACL namespaces", () => {
    it("are DNS-1123 labels: a leading digit is fine, uppercase is not", async () => {
        const { checkAcl } = await import("../core/src/planners/acl");
        const { Problems } = await import("../core/src/validation");
        const problemsOf = (namespace: string) => {
            const p = new Problems();
            checkAcl([rule({ namespace })], "paas:access.rules", p);
            return p.list.map((x) => `${x.path} ${x.message}`);
        };
        expect(problemsOf("2fa-apps")).toEqual([]);
        expect(problemsOf("Apps")).toEqual(["paas:access.rules[0].namespace must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)"]);
    });
});
