/**
 * Access as ACL(U, R) = P, by the real RBAC authorizer: every subject × namespace × resource × verb
 * the `accessMatrix` output lists is allowed by a SubjectAccessReview on the API server, and every
 * one it does not list is denied.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SUBRESOURCES, RESOURCES } from "../../core/src/planners/acl";
import { localStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { startTestCluster, type TestCluster } from "../harness/cluster";

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const NAMESPACES = ["apps", "default"]; // the one the rules name, and one they do not

/** How the API server sees a subject of the model. */
function identity(subject: string): { user: string; groups: string[] } {
    const [kind, name] = [subject.slice(0, subject.indexOf(":")), subject.slice(subject.indexOf(":") + 1)];
    if (kind === "User") return { user: name, groups: ["system:authenticated"] };
    if (kind === "Group") return { user: `someone-in-${name}`, groups: [name, "system:authenticated"] };
    const [ns, sa] = name.split("/");
    return { user: `system:serviceaccount:${ns}:${sa}`, groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"] };
}

describe("access, by the RBAC authorizer", () => {
    let cluster: TestCluster;
    let p: ScratchProject;
    let matrix: Record<string, Record<string, string[]>>;
    const review = async (subject: string, attrs: { namespace?: string; verb: string; group: string; resource: string; subresource?: string; name?: string }) => {
        const r = await cluster.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { ...identity(subject), resourceAttributes: attrs },
        });
        if (r.status !== 201) throw new Error(`SubjectAccessReview: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body.status.allowed === true;
    };

    beforeAll(async () => {
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 50);
        // The local stack's access model, on its own (no workloads needed to ask the authorizer).
        p = scratchProject(localStackYaml((c) => {
            for (const k of ["paas:services", "paas:routes", "paas:etcd"]) delete c[k];
            c["paas:cluster"] = { local: { kubeconfigFile: cluster.info.kubeconfig } };
        }), { timeoutMs: 300_000 });
        p.run(["stack", "init", "local"]);
        p.run(["up", "--yes", "--stack", "local"]);
        matrix = JSON.parse(p.run(["stack", "output", "accessMatrix", "--stack", "local", "--json"]).out);
    });
    afterAll(async () => {
        p?.remove();
        await cluster?.down();
    });

    it("agrees with the matrix on every subject × namespace × resource × verb, listed or not", async () => {
        const subjects = Object.keys(matrix).sort();
        expect(subjects).toEqual(["Group:developers", "Group:sre", "ServiceAccount:cicd/deployer", "User:alice@example.com"]);
        const everything = [...Object.keys(RESOURCES), ...ALL_SUBRESOURCES];
        const questions: { subject: string; scope: string; verb: string; expected: boolean; attrs: Parameters<typeof review>[1] }[] = [];
        for (const subject of subjects) for (const full of everything) {
            const [resource, subresource] = full.split("/");
            const { group, namespaced } = RESOURCES[resource];
            for (const ns of namespaced ? NAMESPACES : [undefined]) {
                const listed = new Set([...(matrix[subject][`${ns ?? "cluster"}/${full}`] ?? []), ...(matrix[subject][`cluster/${full}`] ?? [])]);
                for (const verb of VERBS)
                    questions.push({ subject, scope: `${ns ?? "cluster"}/${full}`, verb, expected: listed.has(verb), attrs: { namespace: ns, verb, group, resource, subresource } });
            }
        }
        const wrong: string[] = [];
        for (let i = 0; i < questions.length; i += 25) {
            const batch = questions.slice(i, i + 25);
            const answers = await Promise.all(batch.map((q) => review(q.subject, q.attrs)));
            batch.forEach((q, j) => answers[j] !== q.expected && wrong.push(`${q.subject} ${q.verb} ${q.scope}: server says ${answers[j]}, matrix says ${q.expected}`));
        }
        expect(wrong).toEqual([]);
        // Not vacuous: the server allowed something for every subject.
        for (const subject of subjects) expect([subject, questions.some((q) => q.subject === subject && q.expected)]).toEqual([subject, true]);
        expect(questions.length).toBeGreaterThan(1500);
    });

    it("write allows `kubectl scale`; admin allows the evictions `kubectl drain` makes", async () => {
        expect(await review("ServiceAccount:cicd/deployer", { namespace: "apps", verb: "patch", group: "apps", resource: "deployments", subresource: "scale", name: "orders" })).toBe(true);
        expect(await review("Group:sre", { namespace: "apps", verb: "create", group: "", resource: "pods", subresource: "eviction", name: "etcd-0" })).toBe(true);
        // read does not: a developer cannot scale or evict.
        expect(await review("Group:developers", { namespace: "apps", verb: "patch", group: "apps", resource: "deployments", subresource: "scale" })).toBe(false);
        expect(await review("Group:developers", { namespace: "apps", verb: "create", group: "", resource: "pods", subresource: "eviction" })).toBe(false);
    });

    it("no level reads Secrets it was not given, and none can escalate, bind or impersonate", async () => {
        for (const subject of Object.keys(matrix)) {
            for (const ns of NAMESPACES) expect([subject, ns, await review(subject, { namespace: ns, verb: "get", group: "", resource: "secrets" })]).toEqual([subject, ns, false]);
            for (const [verb, resource] of [["escalate", "roles"], ["escalate", "clusterroles"], ["bind", "roles"], ["bind", "clusterroles"]])
                expect([subject, verb, resource, await review(subject, { namespace: "apps", verb, group: "rbac.authorization.k8s.io", resource })]).toEqual([subject, verb, resource, false]);
            for (const [group, resource] of [["", "users"], ["", "groups"], ["", "serviceaccounts"], ["authentication.k8s.io", "uids"]])
                expect([subject, resource, await review(subject, { verb: "impersonate", group, resource })]).toEqual([subject, resource, false]);
            expect(await review(subject, { namespace: "apps", verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings" })).toBe(false);
        }
        // The same questions can be answered yes: the cluster's admin may do all of it.
        const admin = await cluster.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
            spec: { user: "paas-admin", groups: ["system:masters"], resourceAttributes: { namespace: "apps", verb: "get", group: "", resource: "secrets" } },
        });
        expect(admin.body.status.allowed).toBe(true);
    });
});
