/** Semantic checks of WeightedRoute args, shared by the config parser and the component. Pure. */
import type { WeightedRouteArgs } from "../weightedRoute";
import { Problems } from "../validation";
import { MAX_GATEWAY_WEIGHT } from "./weights";
import { DNS_1035 } from "./workload";

const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

export function checkRoute(name: string, args: Pick<WeightedRouteArgs, "backends" | "hostnames" | "matches" | "weightTotal" | "requestTimeout">, path: string, problems = new Problems()): Problems {
    if (!DNS_1035.test(name)) problems.add(`${path}.name`, name, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter");
    if (args.backends.length === 0 || args.backends.length > 16) problems.add(`${path}.backends`, args.backends, "must list 1 to 16 backends");
    const given = args.backends.filter((b) => b.capacity !== undefined).length;
    if (given !== 0 && given !== args.backends.length)
        problems.add(`${path}.backends`, args.backends.map((b) => b.capacity), "must give a capacity to every backend or to none (round-robin)");
    args.backends.forEach((b, i) => {
        if (b.capacity !== undefined && (!Number.isFinite(b.capacity) || b.capacity < 0))
            problems.add(`${path}.backends[${i}].capacity`, b.capacity, "must be >= 0");
        if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) problems.add(`${path}.backends[${i}].port`, b.port, "must be a port from 1 to 65535");
    });
    if (given === args.backends.length && given > 0 && args.backends.every((b) => b.capacity === 0))
        problems.add(`${path}.backends`, args.backends.map((b) => b.capacity), "must have at least one backend with capacity > 0: otherwise the route serves nothing");
    const total = args.weightTotal ?? 100;
    if (!Number.isInteger(total) || total < 1 || total > MAX_GATEWAY_WEIGHT) problems.add(`${path}.weightTotal`, total, `must be an integer from 1 to ${MAX_GATEWAY_WEIGHT}`);
    (args.hostnames ?? []).forEach((h, i) => {
        if (!HOSTNAME.test(h)) problems.add(`${path}.hostnames[${i}]`, h, "must be a DNS hostname (optionally starting with *.)");
    });
    (args.matches ?? []).forEach((m, i) => {
        if (m.path !== undefined && !m.path.startsWith("/")) problems.add(`${path}.matches[${i}].path`, m.path, 'must start with "/"');
        (m.headers ?? []).forEach((h, j) => {
            if (!HEADER.test(h.name)) problems.add(`${path}.matches[${i}].headers[${j}].name`, h.name, "must be an HTTP header name");
        });
    });
    if (args.requestTimeout !== undefined && !DURATION.test(args.requestTimeout))
        problems.add(`${path}.requestTimeout`, args.requestTimeout, 'must be a Gateway API duration such as "10s" or "1m30s"');
    return problems;
}
