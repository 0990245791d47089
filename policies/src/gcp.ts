/** GCP policies: GKE clusters and node pools. */
import { coversInternet } from "../../core/src/planners/network";
import { cloudName, resourcePolicy } from "./policy";

const GKE = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";

export const gkePrivateNodes = resourcePolicy({
    name: "gcp-gke-private-nodes",
    description: "GKE nodes must have no public IP addresses (private nodes).",
    enforcementLevel: "mandatory",
    types: [GKE],
    check: (r, _c, report) => {
        if (r.props.privateClusterConfig?.enablePrivateNodes !== true)
            report(`${cloudName(r)}: privateClusterConfig.enablePrivateNodes is not true; enable private nodes (egress through Cloud NAT)`);
    },
});

export const gkeMasterAuthorizedNetworks = resourcePolicy({
    name: "gcp-gke-master-authorized-networks",
    description: "The GKE control plane must only be reachable from authorized networks, never 0.0.0.0/0 (nor blocks that together cover the internet) or all Google Cloud addresses.",
    enforcementLevel: "mandatory",
    types: [GKE],
    check: (r, _c, report) => {
        const m = r.props.masterAuthorizedNetworksConfig;
        if (!m) return report(`${cloudName(r)}: masterAuthorizedNetworksConfig is unset, so any address may reach the API; set it (an empty list means the private endpoint only)`);
        const blocks: string[] = (m.cidrBlocks ?? []).map((b: any) => b.cidrBlock).filter((c: unknown): c is string => typeof c === "string");
        if (blocks.includes("0.0.0.0/0")) report(`${cloudName(r)}: masterAuthorizedNetworksConfig.cidrBlocks contains 0.0.0.0/0; list your networks`);
        else if (coversInternet(blocks))
            report(`${cloudName(r)}: masterAuthorizedNetworksConfig.cidrBlocks (${blocks.join(", ")}) together cover every public address, as 0.0.0.0/0 does; list your networks`);
        if (m.gcpPublicCidrsAccessEnabled === true) report(`${cloudName(r)}: masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true; set it to false`);
    },
});

export const gkeWorkloadIdentity = resourcePolicy({
    name: "gcp-gke-workload-identity",
    description: "GKE must use workload identity (pods never see node credentials).",
    enforcementLevel: "mandatory",
    types: [GKE, POOL],
    check: (r, _c, report) => {
        if (r.type === GKE) {
            if (!r.props.workloadIdentityConfig?.workloadPool) report(`${cloudName(r)}: workloadIdentityConfig.workloadPool is unset; set it to <project>.svc.id.goog`);
            return;
        }
        if (r.props.nodeConfig?.workloadMetadataConfig?.mode !== "GKE_METADATA")
            report(`${cloudName(r)}: nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA; set it`);
    },
});

export const gkeShieldedNodes = resourcePolicy({
    name: "gcp-gke-shielded-nodes",
    description: "GKE nodes must be shielded VMs with secure boot.",
    enforcementLevel: "mandatory",
    types: [GKE, POOL],
    check: (r, _c, report) => {
        if (r.type === GKE && r.props.enableShieldedNodes === false) report(`${cloudName(r)}: enableShieldedNodes is false; remove it or set true`);
        if (r.type === POOL && r.props.nodeConfig?.shieldedInstanceConfig?.enableSecureBoot !== true)
            report(`${cloudName(r)}: nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true; enable secure boot`);
    },
});

export const gkeLegacyAuth = resourcePolicy({
    name: "gcp-gke-legacy-auth",
    description: "GKE must not use legacy ABAC nor issue client certificates.",
    enforcementLevel: "mandatory",
    types: [GKE],
    check: (r, _c, report) => {
        if (r.props.enableLegacyAbac === true) report(`${cloudName(r)}: enableLegacyAbac is true; use RBAC`);
        if (r.props.masterAuth?.clientCertificateConfig?.issueClientCertificate === true)
            report(`${cloudName(r)}: masterAuth.clientCertificateConfig.issueClientCertificate is true; set it to false`);
    },
});

export const gkeNetworkPolicy = resourcePolicy({
    name: "gcp-gke-network-policy",
    description: "GKE must enforce NetworkPolicy (Dataplane V2 or the network policy add-on).",
    enforcementLevel: "mandatory",
    types: [GKE],
    check: (r, _c, report) => {
        if (r.props.datapathProvider !== "ADVANCED_DATAPATH" && r.props.networkPolicy?.enabled !== true)
            report(`${cloudName(r)}: neither datapathProvider ADVANCED_DATAPATH nor networkPolicy.enabled is set; NetworkPolicies would not be enforced`);
    },
});

export const gkeSecretsEncryption = resourcePolicy({
    name: "gcp-gke-secrets-encryption",
    description: "GKE must encrypt Kubernetes secrets at the application layer with a Cloud KMS key.",
    enforcementLevel: "mandatory",
    types: [GKE],
    check: (r, _c, report) => {
        const d = r.props.databaseEncryption;
        if (d?.state !== "ENCRYPTED" || !d.keyName) report(`${cloudName(r)}: databaseEncryption is not ENCRYPTED with a keyName; set a Cloud KMS key`);
    },
});

export const gkeNodeServiceAccount = resourcePolicy({
    name: "gcp-gke-node-service-account",
    description: "GKE nodes must run as a dedicated service account, not the Compute Engine default one.",
    enforcementLevel: "mandatory",
    types: [GKE, POOL],
    check: (r, _c, report) => {
        // The cluster's nodeConfig only matters while it defines the default pool.
        if (r.type === GKE && r.props.nodeConfig === undefined) return;
        const sa: string | undefined = r.props.nodeConfig?.serviceAccount;
        if (!sa || sa === "default" || sa.endsWith("-compute@developer.gserviceaccount.com"))
            report(`${cloudName(r)}: nodeConfig.serviceAccount is ${sa ?? "unset"} (the Compute Engine default); use a dedicated least-privilege service account`);
    },
});
