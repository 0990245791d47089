/** Generated GCP service account IDs are valid for every cluster name, and stable where they already were. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLUSTER_NAME } from "../components/src/planners/cluster";
import { GCP_ACCOUNT_ID, gcpAccountId, gkeNodeAccountId, gsaAccountId, isGcpAccountId } from "../components/src/planners/iam";
import { DNS_1035 } from "../core/src/planners/workload";
import { runStack } from "./harness/stacks";

/** GCP's rule, written out again here: 6–30 characters of [a-z]([-a-z0-9]*[a-z0-9]). */
const valid = (id: string) => id.length >= 6 && id.length <= 30 && /^[a-z]([-a-z0-9]*[a-z0-9])$/.test(id);

const clusterNames = fc.oneof(fc.stringMatching(CLUSTER_NAME), fc.stringMatching(CLUSTER_NAME, { size: "max" }));
const serviceAccounts = fc.stringMatching(DNS_1035);
/** Names of 20 to 40 characters heavy in hyphens, where a cut most often lands on one. */
const hyphenated = fc.array(fc.constantFrom("a", "b", "1", "-", "-", "-"), { minLength: 18, maxLength: 38 }).map((cs) => `a${cs.join("")}z`);

describe("GCP service account IDs", () => {
    it("is valid for the GKE node account of any cluster name", () => {
        fc.assert(fc.property(fc.oneof(clusterNames, hyphenated), (name) => valid(gkeNodeAccountId(name))), { numRuns: 2000 });
    });

    it("is valid for the workload identity account of any cluster and service account name", () => {
        fc.assert(fc.property(fc.oneof(clusterNames, hyphenated), serviceAccounts, (c, sa) => valid(gsaAccountId(c, sa))), { numRuns: 2000 });
    });

    it("is valid for any input at all, and deterministic", () => {
        fc.assert(fc.property(fc.string({ maxLength: 80 }), (raw) => valid(gcpAccountId(raw)) && gcpAccountId(raw) === gcpAccountId(raw)), { numRuns: 2000 });
    });

    it("keeps an ID that is already valid, so existing accounts are not replaced", () => {
        fc.assert(fc.property(fc.stringMatching(GCP_ACCOUNT_ID).filter(isGcpAccountId), (id) => gcpAccountId(id) === id));
        // Node accounts of clusters whose old 30-character cut was valid keep that exact ID.
        fc.assert(fc.property(clusterNames, (name) => {
            const old = `${name}-nodes`.slice(0, 30);
            return !valid(old) || gkeNodeAccountId(name) === old;
        }), { numRuns: 2000 });
        expect(gkeNodeAccountId("paas-gcp-prod")).toBe("paas-gcp-prod-nodes");
        expect(gsaAccountId("paas-gcp-prod", "orders")).toBe("paas-gcp-prod-orders");
    });

    it("no longer ends in '-' when the cut lands on a hyphen, nor goes under 6 characters", () => {
        // 29 characters: the old cut of "<name>-nodes" at 30 kept the trailing "-".
        const name = "paymentsprodeuropewest1abcdef";
        expect(`${name}-nodes`.slice(0, 30)).toBe(`${name}-`);
        const id = gkeNodeAccountId(name);
        expect(id).toMatch(/^paymentsprodeuropewest1-[a-z0-9]{6}$/);
        expect(valid(id)).toBe(true);
        expect(gsaAccountId("ab", "c")).toMatch(/^ab-c-[a-z0-9]{6}$/);
        // Distinct long names stay distinct.
        expect(gsaAccountId("paymentsprodeuropewest1abcdef", "orders")).not.toBe(gsaAccountId("paymentsprodeuropewest1abcdef", "ledger"));
    });

    it("names the node account of a GKE cluster with such a name validly (mocks)", async () => {
        const run = await runStack("gcp-prod", (c) => ({ ...c, "paas:cluster": { ...(c["paas:cluster"] as object), clusterName: "paymentsprodeuropewest1abcdef" } }));
        const account = run.recorder.get("gcp:serviceaccount/account:Account", "paas-cluster-nodes").inputs.accountId;
        expect(account).toBe(gkeNodeAccountId("paymentsprodeuropewest1abcdef"));
        expect(valid(account)).toBe(true);
    });
});
