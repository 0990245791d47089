/** "Covers the internet" and the cloud metadata endpoint: one planner, used by the config checks and the pack. */
import { describe, expect, it } from "vitest";
import { coversInternet, metadataAddressIn, parseIpBlock } from "../core/src/planners/network";
import { problemsOf } from "./harness/config";
import * as aws from "../policies/src/aws";
import * as azure from "../policies/src/azure";
import * as gcp from "../policies/src/gcp";
import * as k8s from "../policies/src/kubernetes";
import type { Subject } from "../policies/src/policy";
import { runResourcePolicy } from "../policies/src/run";

const aws_ = (apiAccess: object) => ({ "aws:region": "us-east-1", "paas:cloud": "aws", "paas:cluster": { apiAccess } });
const egress = (rules: object[]) => ({ "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080, egress: rules }] });
const E = "paas:services[0].egress";

/** Every public IPv4 address, spelled as the 37 blocks between the private and reserved ranges. */
const ALL_PUBLIC = ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/3", "96.0.0.0/4",
    "112.0.0.0/5", "120.0.0.0/6", "124.0.0.0/7", "126.0.0.0/8", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.0.0.0/12", "172.32.0.0/11", "172.64.0.0/10",
    "172.128.0.0/9", "173.0.0.0/8", "174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/9", "192.128.0.0/11", "192.160.0.0/13", "192.169.0.0/16", "192.170.0.0/15",
    "192.172.0.0/14", "192.176.0.0/12", "192.192.0.0/10", "193.0.0.0/8", "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4"];

describe("coversInternet", () => {
    it("sees the internet however it is spelled", () => {
        expect(coversInternet(["0.0.0.0/0"])).toBe(true);
        expect(coversInternet(["0.0.0.0/1", "128.0.0.0/1"])).toBe(true);
        expect(coversInternet(ALL_PUBLIC)).toBe(true);
        expect(coversInternet(["::/0"])).toBe(true);
        expect(coversInternet(["2000::/3"])).toBe(true);
        expect(coversInternet([{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "192.168.0.0/16"] }])).toBe(true);
    });

    it("and not where a public block is missing", () => {
        expect(coversInternet(["0.0.0.0/1"])).toBe(false);
        expect(coversInternet(ALL_PUBLIC.slice(1))).toBe(false);
        expect(coversInternet(["2000::/4"])).toBe(false);
        expect(coversInternet([{ cidr: "0.0.0.0/0", except: ["8.8.8.0/24"] }])).toBe(false);
        expect(coversInternet(["10.0.0.0/8", "not a cidr"])).toBe(false);
    });

    it("parses IPv6 and finds the metadata endpoints", () => {
        expect(parseIpBlock("fd00:ec2::254/128")).toEqual({ family: 6, base: 0xfd000ec2000000000000000000000254n, prefix: 128, hostBits: false });
        expect(parseIpBlock("1::2::3")).toBeUndefined();
        expect(metadataAddressIn("169.254.0.0/16")).toBe("169.254.169.254");
        expect(metadataAddressIn("fd00::/8")).toBe("fd00:ec2::254");
        expect(metadataAddressIn("10.0.0.0/8")).toBeUndefined();
    });
});

describe("stack config", () => {
    it("refuses authorized networks that together cover the internet, unless allowAnyAddress", () => {
        expect(problemsOf(aws_({ authorizedNetworks: ["0.0.0.0/1", "128.0.0.0/1"] }))).toEqual([
            "paas:cluster.apiAccess.authorizedNetworks together cover every public address, which opens the Kubernetes API to the whole internet as 0.0.0.0/0 does; list your networks, or set apiAccess.allowAnyAddress: true to insist"]);
        expect(problemsOf(aws_({ authorizedNetworks: ["0.0.0.0/1", "128.0.0.0/1"], allowAnyAddress: true }))).toEqual([]);
        expect(problemsOf(aws_({ authorizedNetworks: ["203.0.113.0/24", "198.51.100.0/24"] }))).toEqual([]);
    });

    it("refuses egress to the whole internet, in one block or several", () => {
        expect(problemsOf(egress([{ cidr: "0.0.0.0/0", port: 443 }]))).toEqual([`${E}[0].cidr must not be 0.0.0.0/0, nor cover every public address: list the destinations`]);
        expect(problemsOf(egress([{ cidr: "::/0", port: 443 }]))).toEqual([`${E}[0].cidr must not be ::/0, nor cover every public address: list the destinations`]);
        // 168.0.0.0/6 also holds 169.254.169.254.
        expect(problemsOf(egress(ALL_PUBLIC.map((cidr) => ({ cidr, port: 443 }))))).toEqual([
            `${E}[${ALL_PUBLIC.indexOf("168.0.0.0/6")}].cidr contains the cloud metadata endpoint 169.254.169.254, which hands out the node's credentials; narrow the block, or set allowCloudMetadata: true on this rule`,
            `${E} must not open egress to the whole internet: together these blocks cover every public address, as 0.0.0.0/0 does; list the destinations`]);
    });

    it("refuses egress to the cloud metadata endpoint unless allowCloudMetadata is set on the rule", () => {
        const metadata = (i: number, addr: string) =>
            `${E}[${i}].cidr contains the cloud metadata endpoint ${addr}, which hands out the node's credentials; narrow the block, or set allowCloudMetadata: true on this rule`;
        expect(problemsOf(egress([
            { cidr: "169.254.169.254/32", port: 80 },
            { cidr: "169.254.0.0/16", port: 80, allowCloudMetadata: true },
            { cidr: "fd00:ec2::254/128", port: 80 },
            { cidr: "2001:db8::1/32", port: 443 },
            { cidr: "10.0.0.0", port: 443 },
            { cidr: "2001:db8::/32", port: 443 },
        ]))).toEqual([
            metadata(0, "169.254.169.254"),
            metadata(2, "fd00:ec2::254"),
            `${E}[3].cidr must not have host bits set`,
            `${E}[4].cidr must be an IPv4 or IPv6 CIDR block such as 203.0.113.0/24`,
        ]);
    });
});

describe("the policy pack uses the same function", () => {
    const subject = (type: string, props: Record<string, any>, name = "res"): Subject => ({ type, name, urn: `urn:pulumi:t::paas::${type}::${name}`, props });
    const halves = ["0.0.0.0/1", "128.0.0.0/1"];

    it("on every cloud's API access", () => {
        expect(runResourcePolicy(aws.eksPublicEndpoint, subject("aws:eks/cluster:Cluster", { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ALL_PUBLIC } }, "eks"))).toEqual([
            `Cluster "eks": vpcConfig.endpointPublicAccess is on and publicAccessCidrs (${ALL_PUBLIC.join(", ")}) together cover every public address, as 0.0.0.0/0 does; set endpointPublicAccess: false or list your networks`]);
        expect(runResourcePolicy(gcp.gkeMasterAuthorizedNetworks, subject("gcp:container/cluster:Cluster", { masterAuthorizedNetworksConfig: { cidrBlocks: halves.map((cidrBlock) => ({ cidrBlock })) } }, "gke"))).toEqual([
            'Cluster "gke": masterAuthorizedNetworksConfig.cidrBlocks (0.0.0.0/1, 128.0.0.0/1) together cover every public address, as 0.0.0.0/0 does; list your networks']);
        expect(runResourcePolicy(azure.aksApiAccess, subject("azure-native:containerservice:ManagedCluster", { apiServerAccessProfile: { authorizedIPRanges: halves } }, "aks"))).toEqual([
            'ManagedCluster "aks": apiServerAccessProfile.authorizedIPRanges (0.0.0.0/1, 128.0.0.0/1) together cover every public address, as 0.0.0.0/0 does; list your networks']);
        expect(runResourcePolicy(azure.aksApiAccess, subject("azure-native:containerservice:ManagedCluster", { apiServerAccessProfile: { authorizedIPRanges: ["0.0.0.0/1", "203.0.113.7"] } }, "aks"))).toEqual([]);
    });

    it("on NetworkPolicy egress", () => {
        const netpol = (to: object[]) => subject("kubernetes:networking.k8s.io/v1:NetworkPolicy", { kind: "NetworkPolicy", metadata: { name: "web", namespace: "apps" }, spec: { egress: [{ to }] } });
        expect(runResourcePolicy(k8s.networkPolicyEgressInternet, netpol([{ ipBlock: { cidr: "0.0.0.0/0", except: ["8.8.8.8/32"] } }]))).toEqual([]);
        expect(runResourcePolicy(k8s.networkPolicyEgressInternet, netpol([{ ipBlock: { cidr: "::/0" } }, { podSelector: {} }]))).toEqual([
            'NetworkPolicy "apps/web": spec.egress[0].to ipBlocks (::/0) cover every public address; list the destinations']);
    });
});
