/**
 * Address-range rules shared by the config checks and the policy pack: does a set of CIDR blocks
 * open something to the whole internet, and does it reach a cloud metadata endpoint. Pure.
 *
 * Blocks are compared as address intervals (bigint, so IPv4 and IPv6 use the same code), which
 * is what makes `0.0.0.0/1` + `128.0.0.0/1` as open as `0.0.0.0/0`.
 */

export interface IpBlock {
    readonly family: 4 | 6;
    /** First address of the block (host bits cleared). */
    readonly base: bigint;
    readonly prefix: number;
    /** True when the text had host bits set (`10.0.0.1/16`). */
    readonly hostBits: boolean;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseV4(s: string): bigint | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

function parseV6(s: string): bigint | undefined {
    if (!/^[0-9A-Fa-f:]+$/.test(s)) return undefined;
    const halves = s.split("::");
    if (halves.length > 2) return undefined;
    const head = halves[0] === "" ? [] : halves[0].split(":");
    const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
    const missing = 8 - head.length - tail.length;
    if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
    const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => "0"), ...tail];
    if (groups.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
    return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An IPv4 or IPv6 CIDR block; a bare address is its own /32 or /128 (as Azure's authorized ranges allow). */
export function parseIpBlock(text: string): IpBlock | undefined {
    const [addr, len, extra] = text.trim().split("/");
    if (extra !== undefined) return undefined;
    const v4 = parseV4(addr);
    const family: 4 | 6 | undefined = v4 !== undefined ? 4 : parseV6(addr) !== undefined ? 6 : undefined;
    if (family === undefined) return undefined;
    const value = (v4 ?? parseV6(addr))!;
    const bits = BITS[family];
    if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
    const prefix = len === undefined ? bits : Number(len);
    if (prefix > bits) return undefined;
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    return { family, base: value & ~hostMask, prefix, hostBits: (value & hostMask) !== 0n };
}

const end = (b: IpBlock) => b.base + (1n << BigInt(BITS[b.family] - b.prefix));

/**
 * Ranges that are not reachable on the public internet (IANA special-purpose registries):
 * what is left of the address space is what "the internet" means below.
 */
export const NON_PUBLIC_RANGES: Readonly<Record<4 | 6, readonly string[]>> = {
    4: [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ],
    // Only global unicast (2000::/3) is routed on the internet; its documentation block is not.
    6: ["::/3", "4000::/2", "8000::/1", "2001:db8::/32"],
};

type Interval = readonly [bigint, bigint];

function merged(blocks: readonly IpBlock[]): Interval[] {
    return mergedIntervals(blocks.map((b): Interval => [b.base, end(b)]));
}

function mergedIntervals(intervals: readonly Interval[]): Interval[] {
    const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out: [bigint, bigint][] = [];
    for (const [a, b] of sorted) {
        const last = out[out.length - 1];
        if (last && a <= last[1]) last[1] = b > last[1] ? b : last[1];
        else out.push([a, b]);
    }
    return out;
}

/** The public part of one family's address space, as sorted disjoint intervals. */
function publicSpace(family: 4 | 6): Interval[] {
    const holes = merged(NON_PUBLIC_RANGES[family].map((c) => parseIpBlock(c)!));
    const out: Interval[] = [];
    let at = 0n;
    for (const [a, b] of holes) {
        if (a > at) out.push([at, a]);
        at = b > at ? b : at;
    }
    const top = 1n << BigInt(BITS[family]);
    if (at < top) out.push([at, top]);
    return out;
}

const PUBLIC = { 4: publicSpace(4), 6: publicSpace(6) };

/** `from` minus the (merged, sorted) `holes`. */
function minus(from: Interval, holes: readonly Interval[]): Interval[] {
    const out: Interval[] = [];
    let at = from[0];
    for (const [a, b] of holes) {
        if (b <= at || a >= from[1]) continue;
        if (a > at) out.push([at, a]);
        at = b > at ? b : at;
    }
    if (at < from[1]) out.push([at, from[1]]);
    return out;
}

/** A block of a NetworkPolicy ipBlock: a CIDR and the CIDRs carved out of it. */
export interface IpBlockRange {
    readonly cidr: string;
    readonly except?: readonly string[];
}

/**
 * True when the blocks together contain every public IPv4 address, or every public IPv6 address:
 * such a list is as open as 0.0.0.0/0 (or ::/0), however it is spelled. Unparsable entries are
 * ignored (the callers report them on their own); `except` blocks are taken out of their block.
 */
export function coversInternet(ranges: readonly (string | IpBlockRange)[]): boolean {
    const parse = (c: string) => parseIpBlock(c);
    const pieces: { family: 4 | 6; interval: Interval }[] = [];
    for (const r of ranges) {
        const { cidr, except = [] } = typeof r === "string" ? { cidr: r } : r;
        const b = parse(cidr);
        if (!b) continue;
        const holes = merged(except.map(parse).filter((h): h is IpBlock => h !== undefined && h.family === b.family));
        for (const interval of minus([b.base, end(b)], holes)) pieces.push({ family: b.family, interval });
    }
    return ([4, 6] as const).some((family) => {
        const union = mergedIntervals(pieces.filter((p) => p.family === family).map((p) => p.interval));
        return PUBLIC[family].every(([a, b]) => union.some(([u, v]) => u <= a && b <= v));
    });
}

/** Cloud instance metadata endpoints (AWS, GCP and Azure use the IPv4 one; AWS Nitro also the IPv6 one). */
export const METADATA_ADDRESSES = ["169.254.169.254", "fd00:ec2::254"] as const;

/** The metadata address a block contains, if any. */
export function metadataAddressIn(cidr: string): string | undefined {
    const block = parseIpBlock(cidr);
    if (!block) return undefined;
    return METADATA_ADDRESSES.find((a) => {
        const m = parseIpBlock(a)!;
        return m.family === block.family && block.base <= m.base && m.base < end(block);
    });
}
