/** Azure policies: AKS. */
import { coversInternet } from "../../core/src/planners/network";
import { cloudName, resourcePolicy } from "./policy";

const AKS = "azure-native:containerservice:ManagedCluster";

export const aksAadRbac = resourcePolicy({
    name: "azure-aks-aad-rbac",
    description: "AKS must authenticate with Entra ID and authorize with Azure RBAC.",
    enforcementLevel: "mandatory",
    types: [AKS],
    check: (r, _c, report) => {
        const a = r.props.aadProfile;
        if (r.props.enableRBAC === false) report(`${cloudName(r)}: enableRBAC is false; enable Kubernetes RBAC`);
        if (a?.managed !== true || a?.enableAzureRBAC !== true) report(`${cloudName(r)}: aadProfile is not managed Entra ID with enableAzureRBAC; set aadProfile { managed: true, enableAzureRBAC: true }`);
    },
});

export const aksLocalAccounts = resourcePolicy({
    name: "azure-aks-local-accounts",
    description: "AKS local accounts (static admin credentials) must be disabled.",
    enforcementLevel: "mandatory",
    types: [AKS],
    check: (r, _c, report) => {
        if (r.props.disableLocalAccounts !== true) report(`${cloudName(r)}: disableLocalAccounts is not true; disable local accounts`);
    },
});

export const aksApiAccess = resourcePolicy({
    name: "azure-aks-api-access",
    description: "The AKS API must be private or limited to authorized IP ranges (never 0.0.0.0/0, nor ranges that together cover the internet).",
    enforcementLevel: "mandatory",
    types: [AKS],
    check: (r, _c, report) => {
        const p = r.props.apiServerAccessProfile ?? {};
        const ranges: string[] = p.authorizedIPRanges ?? [];
        if (p.enablePrivateCluster === true) return;
        if (ranges.length === 0) report(`${cloudName(r)}: apiServerAccessProfile is neither private nor limited to authorizedIPRanges; set one`);
        else if (ranges.includes("0.0.0.0/0")) report(`${cloudName(r)}: apiServerAccessProfile.authorizedIPRanges contains 0.0.0.0/0; list your networks`);
        else if (coversInternet(ranges))
            report(`${cloudName(r)}: apiServerAccessProfile.authorizedIPRanges (${ranges.join(", ")}) together cover every public address, as 0.0.0.0/0 does; list your networks`);
    },
});

export const aksNetworkPolicy = resourcePolicy({
    name: "azure-aks-network-policy",
    description: "AKS must enforce NetworkPolicy (cilium, azure or calico).",
    enforcementLevel: "mandatory",
    types: [AKS],
    check: (r, _c, report) => {
        const np = r.props.networkProfile?.networkPolicy;
        if (!np || np === "none") report(`${cloudName(r)}: networkProfile.networkPolicy is ${np ?? "unset"}; set cilium (or azure/calico)`);
    },
});

export const aksWorkloadIdentity = resourcePolicy({
    name: "azure-aks-workload-identity",
    description: "AKS must expose an OIDC issuer and enable workload identity.",
    enforcementLevel: "mandatory",
    types: [AKS],
    check: (r, _c, report) => {
        if (r.props.oidcIssuerProfile?.enabled !== true) report(`${cloudName(r)}: oidcIssuerProfile.enabled is not true; enable the OIDC issuer`);
        if (r.props.securityProfile?.workloadIdentity?.enabled !== true) report(`${cloudName(r)}: securityProfile.workloadIdentity.enabled is not true; enable workload identity`);
    },
});
