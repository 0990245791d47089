/** Gateway API v1.5 rules, checked at parse time: HTTPRoute paths, headers, limits, hostnames, the Gateway's fields. */
import { describe, expect, it } from "vitest";
import { checkGateway, hostnamesIntersect } from "../core/src/planners/gateway";
import { objectNameRule } from "../core/src/planners/workload";
import { Problems } from "../core/src/validation";
import { checkRoute, pathProblem } from "../core/src/planners/route";
import { problemsOf } from "./harness/config";


const web = { "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080 }] };
const route = (over: object, extra: object = {}) => ({ ...web, "paas:routes": [{ name: "r", backends: [{ service: "web" }], ...over }], ...extra });
const path = (p: string, pathType?: string) => route({ matches: [{ path: p, pathType }] });
const M = "paas:routes[0].matches[0]";
const HOSTNAME_RULE = "must be a DNS hostname of at most 253 characters: lowercase labels of at most 63 letters, digits or '-', optionally starting with *. (not an IP address)";

describe("HTTPRoute path matches", () => {
    it.each([
        ["a space", path("/a b"), `${M}.path must not contain spaces: percent-encode them (%20)`],
        ["a query string", path("/search?q=1"), `${M}.path must not contain "?": a path match never sees the query string`],
        ["a fragment", path("/a#top", "Exact"), `${M}.path must not contain "#": the fragment never reaches the server`],
        ["a double slash", path("/a//b"), `${M}.path must not contain "//"`],
        ["a /../ segment", path("/a/../b", "Exact"), `${M}.path must not contain the dot segments /./ or /../, nor end with /. or /..`],
        ["a trailing /.", path("/a/."), `${M}.path must not contain the dot segments /./ or /../, nor end with /. or /..`],
        ["a relative path", path("api", "Exact"), `${M}.path must start with "/"`],
        ["an encoded slash", path("/a%2fb"), `${M}.path must not contain an encoded "/" (%2F)`],
        ["a non-ASCII character", path("/ü"), `${M}.path must contain only URL path characters: letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : @ / and %XX escapes`],
        ["a path of 1025 characters", path(`/${"a".repeat(1024)}`), `${M}.path must be at most 1024 characters`],
        ["an invalid regular expression", path("/(a", "RegularExpression"), `${M}.path must be a valid regular expression`],
        ["a look-ahead (not RE2)", path("/(?!admin).*", "RegularExpression"), `${M}.path must be an RE2 regular expression: no look-around (?=, (?!, (?<=, (?<!) and no backreferences (\\1)`],
    ])("refuses %s", (_what, config, message) => {
        expect(problemsOf(config)).toEqual([message]);
    });

    it("accepts what the API accepts", () => {
        expect(problemsOf(route({ matches: [{ path: "/" }, { path: "/api/v1.2/~user/a%20b" }, { path: "^/v[0-9]+/", pathType: "RegularExpression" }, { path: "/x..y/" }] }))).toEqual([]);
        // A regular expression need not be an absolute path.
        expect(pathProblem("RegularExpression", ".*\\.png$")).toBeUndefined();
    });
});

describe("HTTPRoute headers, counts and hostnames", () => {
    it("refuses bad header names and values, and a header repeated in one match (names are case-insensitive)", () => {
        expect(problemsOf(route({ matches: [{ headers: [{ name: "X Api", value: "1" }, { name: "X-Api", value: "a\nb" }, { name: "x-api", value: "2" }, { name: "X-Empty", value: "" }] }] }))).toEqual([
            `${M}.headers[0].name must be an HTTP header name: 1 to 256 token characters (letters, digits and !#$%&'*+-.^_\`|~)`,
            `${M}.headers[1].value must not contain control characters`,
            `${M}.headers[2].name repeats the header of ${M}.headers[1] (names are case-insensitive); a match takes each header once`,
            `${M}.headers[3].value must be 1 to 4096 characters`,
        ]);
    });

    it("holds the API's maximum counts", () => {
        expect(problemsOf(route({ hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`) }))).toEqual(["paas:routes[0].hostnames must list at most 16 hostnames"]);
        expect(problemsOf(route({ matches: Array.from({ length: 65 }, () => ({ path: "/" })) }))).toEqual(["paas:routes[0].matches must list at most 64 matches (one HTTPRoute rule)"]);
        expect(problemsOf(route({ matches: [{ headers: Array.from({ length: 17 }, (_, i) => ({ name: `x-h${i}`, value: "1" })) }] }))).toEqual([`${M}.headers must list at most 16 headers`]);
        expect(problemsOf(route({ backends: Array.from({ length: 17 }, () => ({ service: "web" })) }))).toEqual(["paas:routes[0].backends must list 1 to 16 backends"]);
        expect(problemsOf(route({ hostnames: Array.from({ length: 16 }, (_, i) => `h${i}.example.com`), matches: Array.from({ length: 64 }, () => ({ path: "/" })) }))).toEqual([]);
    });

    it("refuses hostnames that are not DNS names, and repeats", () => {
        expect(problemsOf(route({ hostnames: ["Shop.example.com", "10.1.2.3", `${"a".repeat(64)}.example.com`, "*.*.example.com", `${"a.".repeat(126)}io`, "localhost", "shop.example.com", "shop.example.com"] }))).toEqual([
            `paas:routes[0].hostnames[0] ${HOSTNAME_RULE}`,
            `paas:routes[0].hostnames[1] ${HOSTNAME_RULE}`,
            `paas:routes[0].hostnames[2] ${HOSTNAME_RULE}`,
            `paas:routes[0].hostnames[3] ${HOSTNAME_RULE}`,
            `paas:routes[0].hostnames[4] ${HOSTNAME_RULE}`,
            "paas:routes[0].hostnames[7] repeats paas:routes[0].hostnames[6]",
        ]);
    });

    it("refuses route hostnames that can never attach to the gateway listener's hostname", () => {
        const never = (i: number, listener: string) =>
            `paas:routes[0].hostnames[${i}] can never match the gateway listener's hostname ${listener}, so no request for it reaches this route; use a hostname under it`;
        expect(problemsOf(route({ hostnames: ["shop.other.org", "example.com", "a.b.example.com", "*.example.com", "*.com", "*.other.org"] }, { "paas:gateway": { hostname: "*.example.com" } })))
            .toEqual([never(0, "*.example.com"), never(1, "*.example.com"), never(5, "*.example.com")]);
        expect(problemsOf(route({ hostnames: ["*.example.com", "shop.example.com", "api.example.com"] }, { "paas:gateway": { hostname: "shop.example.com" } })))
            .toEqual([never(2, "shop.example.com")]);
        // Without a listener hostname every route hostname attaches.
        expect(hostnamesIntersect(undefined, "anything.example")).toBe(true);
    });
});

describe("paas:gateway", () => {
    it("refuses every field the API server would", () => {
        expect(problemsOf(route({}, {
            "paas:gateway": { className: "Envoy_GW", tlsSecretName: "TLS", hostname: "10.0.0.1", certManagerClusterIssuer: "Lets Encrypt", namespace: "kube-system" },
            "paas:addons": { certManager: true },
        }))).toEqual([
            "paas:gateway.namespace is a system namespace (default, kube-system, kube-public, kube-node-lease and every kube-*, gke-*, gmp-* belong to the cluster); use a namespace of the platform's own",
            "paas:gateway.certManagerClusterIssuer must be a ClusterIssuer name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)",
            "paas:gateway.className must be a GatewayClass name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)",
            "paas:gateway.tlsSecretName must be a Secret name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)",
            `paas:gateway.hostname ${HOSTNAME_RULE}`,
        ]);
        expect(problemsOf(route({}, { "paas:gateway": { hostname: "*.example.com", className: "eg.gateway.envoyproxy.io", tlsSecretName: "shop-tls" } }))).toEqual([]);
    });
});

describe("the WeightedRoute component checks the same", () => {
    it("with its own key paths", () => {
        const problems = checkRoute("r", { backends: [{ service: "web", port: 8080 }], hostnames: ["1.2.3.4"], matches: [{ path: "/a?b" }] }, "args");
        expect(problems.list.map((p) => `${p.path} ${p.message}`)).toEqual([
            `args.hostnames[0] ${HOSTNAME_RULE}`,
            'args.matches[0].path must not contain "?": a path match never sees the query string',
        ]);
    });
});

describe("the Gateway component's own arguments", () => {
    const check = (name: string, args: Parameters<typeof checkGateway>[1]) => {
        const p = new Problems();
        checkGateway(name, args, "args", p);
        return p.list.map((x) => `${x.path}: ${x.message}`);
    };
    const ok = { namespace: "gateway", gatewayClassName: "envoy", hostname: "*.example.com", tlsSecretName: "gw-tls", certManagerClusterIssuer: "letsencrypt", routeNamespaces: ["apps", "shop"] };

    it("accepts what the API accepts, a namespace not known yet included", () => {
        expect(check("gw", ok)).toEqual([]);
        expect(check("gw", { ...ok, namespace: undefined as never })).toEqual([]);
    });

    it("refuses each bad field with its key, the value and the rule", () => {
        expect(check("Gw", { ...ok, namespace: "Gateway", gatewayClassName: "", hostname: "10.0.0.1", tlsSecretName: "gw_tls", certManagerClusterIssuer: "Lets Encrypt", routeNamespaces: ["apps", "Shop", "apps"] })).toEqual([
            `args.name: ${objectNameRule("Gateway")} (with "-https-redirect" appended for its redirect route)`,
            "args.namespace: must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)",
            "args.gatewayClassName: is required: the GatewayClass that implements the Gateway",
            `args.certManagerClusterIssuer: ${objectNameRule("ClusterIssuer")}`,
            `args.tlsSecretName: ${objectNameRule("Secret")}`,
            `args.hostname: ${HOSTNAME_RULE}`,
            "args.routeNamespaces[1]: must be a namespace name (a DNS label: lowercase letters, digits, '-'; at most 63)",
            "args.routeNamespaces[2]: is listed twice",
        ]);
    });
});
