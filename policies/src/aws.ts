/** AWS policies: EKS control plane and nodes, IAM documents. */
import { READ_ONLY_ACTION } from "../../components/src/planners/iam";
import { coversInternet } from "../../core/src/planners/network";
import { asArray, cloudName, jsonDoc, resourcePolicy } from "./policy";

const EKS = "aws:eks/cluster:Cluster";

export const eksPublicEndpoint = resourcePolicy({
    name: "aws-eks-public-endpoint",
    description: "An EKS public API endpoint must be restricted to listed CIDRs, never 0.0.0.0/0 nor blocks that together cover the internet.",
    enforcementLevel: "mandatory",
    types: [EKS],
    check: (r, _c, report) => {
        const v = r.props.vpcConfig ?? {};
        // EKS turns public access on, open to the world, when these are left unset.
        if (v.endpointPublicAccess === false) return;
        const cidrs: string[] = v.publicAccessCidrs ?? [];
        if (cidrs.length === 0 || cidrs.includes("0.0.0.0/0"))
            report(`${cloudName(r)}: vpcConfig.endpointPublicAccess is on and publicAccessCidrs is ${cidrs.length ? "0.0.0.0/0" : "unset (0.0.0.0/0)"}; set endpointPublicAccess: false or list your networks`);
        else if (coversInternet(cidrs))
            report(`${cloudName(r)}: vpcConfig.endpointPublicAccess is on and publicAccessCidrs (${cidrs.join(", ")}) together cover every public address, as 0.0.0.0/0 does; set endpointPublicAccess: false or list your networks`);
    },
});

export const eksSecretsEncryption = resourcePolicy({
    name: "aws-eks-secrets-encryption",
    description: "EKS clusters must envelope-encrypt Kubernetes secrets with a KMS key.",
    enforcementLevel: "mandatory",
    types: [EKS],
    check: (r, _c, report) => {
        const enc = asArray<any>(r.props.encryptionConfig);
        if (!enc.some((e) => (e.resources ?? []).includes("secrets") && e.provider?.keyArn))
            report(`${cloudName(r)}: encryptionConfig does not encrypt "secrets" with a KMS key; add encryptionConfig { provider.keyArn, resources: ["secrets"] }`);
    },
});

export const eksAuditLogs = resourcePolicy({
    name: "aws-eks-audit-logs",
    description: "EKS clusters must send the audit and authenticator logs to CloudWatch.",
    enforcementLevel: "mandatory",
    types: [EKS],
    check: (r, _c, report) => {
        const logs: string[] = r.props.enabledClusterLogTypes ?? [];
        const missing = ["audit", "authenticator"].filter((l) => !logs.includes(l));
        if (missing.length) report(`${cloudName(r)}: enabledClusterLogTypes lacks ${missing.join(", ")}; enable them`);
    },
});

const EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

export const eksImdsv2 = resourcePolicy({
    name: "aws-eks-imdsv2",
    description: "EKS nodes (managed node groups and Karpenter's EC2NodeClasses) must require IMDSv2 (session tokens) with a hop limit of 1, so pods cannot steal node credentials.",
    enforcementLevel: "mandatory",
    types: ["aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup", EC2_NODE_CLASS],
    check: (r, _c, report) => {
        if (r.type === "aws:eks/nodeGroup:NodeGroup") {
            if (!r.props.launchTemplate) report(`${cloudName(r)}: launchTemplate is unset, so IMDSv1 stays available; use a launch template with metadataOptions.httpTokens: required`);
            return;
        }
        if (r.type === EC2_NODE_CLASS) {
            // Karpenter v1 defaults an omitted field to required tokens and a hop limit of 1.
            const m = r.props.spec?.metadataOptions ?? {};
            const at = `${cloudName(r)}: spec.metadataOptions`;
            if ((m.httpTokens ?? "required") !== "required") report(`${at}.httpTokens is ${m.httpTokens}; set it to "required"`);
            else if ((m.httpPutResponseHopLimit ?? 1) > 1) report(`${at}.httpPutResponseHopLimit is ${m.httpPutResponseHopLimit}; set it to 1`);
            return;
        }
        const m = r.props.metadataOptions ?? {};
        if (m.httpTokens !== "required") report(`${cloudName(r)}: metadataOptions.httpTokens is ${m.httpTokens ?? "unset"}; set it to "required"`);
        else if ((m.httpPutResponseHopLimit ?? 1) > 1) report(`${cloudName(r)}: metadataOptions.httpPutResponseHopLimit is ${m.httpPutResponseHopLimit}; set it to 1`);
    },
});


/** Problems of a policy document's Allow statements. */
export function iamDocumentProblems(doc: any): string[] {
    const out: string[] = [];
    asArray<any>(doc?.Statement).forEach((s, i) => {
        if (s.Effect !== "Allow") return;
        const actions = asArray<string>(s.Action);
        const wild = actions.filter((a) => a === "*" || a.endsWith(":*"));
        if (wild.length) out.push(`Statement[${i}].Action has ${wild.join(", ")}; list the actions needed`);
        if (s.NotAction) out.push(`Statement[${i}] uses NotAction with Allow; list the allowed actions`);
        const resources = asArray<string>(s.Resource);
        const writes = actions.filter((a) => !READ_ONLY_ACTION.test(a) && !wild.includes(a));
        if (resources.includes("*") && writes.length) out.push(`Statement[${i}].Resource is "*" for write actions (${writes.join(", ")}); scope it to ARNs`);
    });
    return out;
}

export const iamNoWildcardActions = resourcePolicy({
    name: "aws-iam-no-wildcard-actions",
    description: "IAM policies must not allow '*' actions, nor write actions on '*' resources.",
    enforcementLevel: "mandatory",
    types: ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role"],
    check: (r, _c, report) => {
        const docs: [string, unknown][] = r.type === "aws:iam/role:Role"
            ? asArray<any>(r.props.inlinePolicies).map((p, i) => [`inlinePolicies[${i}].policy`, p.policy])
            : [["policy", r.props.policy]];
        for (const [field, raw] of docs) for (const p of iamDocumentProblems(jsonDoc(raw))) report(`${cloudName(r)}: ${field} ${p}`);
    },
});

export const iamTrustNoWildcardPrincipal = resourcePolicy({
    name: "aws-iam-trust-no-wildcard-principal",
    description: "Role trust policies must name their principals: no '*' principal.",
    enforcementLevel: "mandatory",
    types: ["aws:iam/role:Role"],
    check: (r, _c, report) => {
        asArray<any>(jsonDoc(r.props.assumeRolePolicy)?.Statement).forEach((s, i) => {
            const p = s.Principal;
            const values = p === "*" ? ["*"] : p && typeof p === "object" ? Object.values(p).flatMap((v) => asArray(v as string | string[])) : [];
            if (s.Effect === "Allow" && values.includes("*"))
                report(`${cloudName(r)}: assumeRolePolicy Statement[${i}].Principal is "*"; name the account, service or OIDC provider`);
        });
    },
});
