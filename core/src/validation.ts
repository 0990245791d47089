/**
 * A small, dependency-free reader for untrusted structured input (stack config, component args).
 *
 * Every check records a problem instead of throwing, so one pass reports everything that is wrong;
 * callers throw a single {@link ConfigError} at the end, before any resource is registered.
 */

export interface Problem {
    /** Full key path, e.g. `paas:cluster.nodePools[1].maxNodes`. */
    readonly path: string;
    /** What is allowed, phrased to follow the path: "must be an integer from 1 to 1000". */
    readonly message: string;
    /** The offending value (omitted from the text when it is secret). */
    readonly value?: unknown;
    readonly hideValue?: boolean;
}

export function formatProblem(p: Problem): string {
    if (p.hideValue) return `${p.path} ${p.message}`;
    return `${p.path} ${p.message}, got ${describe(p.value)}`;
}

function describe(v: unknown): string {
    if (v === undefined) return "nothing";
    const text = JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** All problems of one input, reported at once. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly Problem[], what = "configuration") {
        super(
            `invalid ${what} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export class Problems {
    readonly list: Problem[] = [];
    /** Records a problem; a second one on the same path is dropped (the first is the root cause). */
    add(path: string, value: unknown, message: string, hideValue = false): undefined {
        if (this.list.some((p) => p.path === path)) return undefined;
        this.list.push({ path, value, message, hideValue });
        return undefined;
    }
    get empty(): boolean {
        return this.list.length === 0;
    }
    throwIfAny(what?: string): void {
        if (!this.empty) throw new ConfigError(this.list, what);
    }
}

/** What `int()` and `number()` accept in a string: plain decimals, no hex, no exponent, no "Infinity". */
const DECIMAL_INTEGER = /^-?\d+$/;
const DECIMAL_NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** The hint for a string JavaScript would read as a number but the reader does not take. */
function notDecimal(v: unknown): string {
    return typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) && !DECIMAL_NUMBER.test(v.trim())
        ? " written in decimal digits (no hex, no exponent)" : "";
}

/** " from 1 to 10", " 1 or more", " at most 10", or "" when the range is unbounded both ways. */
function rangeText(min: number, max: number, lower: string, both: string): string {
    if (min === -Infinity) return max === Infinity ? "" : ` at most ${max}`;
    return max === Infinity ? ` ${lower}` : ` ${both}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

/** Edit distance, for "did you mean" hints on unknown keys. */
export function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

export function suggest(key: string, allowed: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of allowed) {
        const d = editDistance(key, k);
        if (d < bestD) {
            bestD = d;
            best = k;
        }
    }
    return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * A cursor on one value of the input. Accessors return the typed value, or `undefined` after
 * recording a problem (or when the value is absent and optional).
 */
export class Reader {
    constructor(
        readonly problems: Problems,
        readonly path: string,
        readonly value: unknown,
    ) {}

    get present(): boolean {
        return this.value !== undefined && this.value !== null;
    }

    /** A child cursor: `.key` for objects, `[i]` for arrays. */
    at(key: string | number): Reader {
        const v = isPlainObject(this.value) ? this.value[key as string] : Array.isArray(this.value) ? this.value[key as number] : undefined;
        const path = typeof key === "number" ? `${this.path}[${key}]` : `${this.path}.${key}`;
        return new Reader(this.problems, path, v);
    }

    /** Checks this is an object whose keys are all in `allowed` (typos are errors, with a hint). */
    object(allowed: readonly string[]): Record<string, unknown> | undefined {
        if (!this.present) return undefined;
        if (!isPlainObject(this.value)) return this.problems.add(this.path, this.value, "must be an object");
        for (const key of Object.keys(this.value)) {
            if (!allowed.includes(key)) {
                const hint = suggest(key, allowed);
                // The value of a misplaced key may be anything, a password included: never print it.
                this.problems.add(
                    `${this.path}.${key}`,
                    undefined,
                    `is not a known key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`,
                    true,
                );
            }
        }
        return this.value;
    }

    /** The entries of a map whose keys are data (variable names, labels), each with its cursor. */
    entries(): [string, Reader][] | undefined {
        if (!this.present) return undefined;
        if (!isPlainObject(this.value)) return this.problems.add(this.path, this.value, "must be a map");
        return Object.keys(this.value).map((k) => [k, this.at(k)]);
    }

    array(opts: { min?: number; max?: number } = {}): Reader[] | undefined {
        if (!this.present) return undefined;
        if (!Array.isArray(this.value)) return this.problems.add(this.path, this.value, "must be a list");
        const { min = 0, max = Infinity } = opts;
        if (this.value.length < min || this.value.length > max) {
            const range = max === Infinity ? `at least ${min}` : `${min} to ${max}`;
            return this.problems.add(this.path, this.value, `must have ${range} item${max === 1 ? "" : "s"}, has ${this.value.length}`);
        }
        return this.value.map((_, i) => this.at(i));
    }

    string(opts: { pattern?: RegExp; what?: string; maxLength?: number } = {}): string | undefined {
        if (!this.present) return undefined;
        if (typeof this.value !== "string") return this.problems.add(this.path, this.value, "must be a string");
        if (opts.maxLength !== undefined && this.value.length > opts.maxLength)
            return this.problems.add(this.path, this.value, `must be at most ${opts.maxLength} characters`);
        if (opts.pattern && !opts.pattern.test(this.value))
            return this.problems.add(this.path, this.value, `must be ${opts.what ?? `a string matching ${opts.pattern}`}`);
        return this.value;
    }

    oneOf<T extends string>(allowed: readonly T[]): T | undefined {
        if (!this.present) return undefined;
        if (typeof this.value !== "string" || !allowed.includes(this.value as T))
            return this.problems.add(this.path, this.value, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
        return this.value as T;
    }

    /**
     * An integer in [min, max] (a safe integer when unbounded). Strings of decimal digits are
     * accepted (CLI `pulumi config set` stores strings); hex (`0x10`) and exponent (`1e3`) strings
     * are not: they are a typo more often than a number.
     */
    int(opts: { min?: number; max?: number } = {}): number | undefined {
        if (!this.present) return undefined;
        const { min = -Infinity, max = Infinity } = opts;
        const n = typeof this.value === "string" && DECIMAL_INTEGER.test(this.value.trim()) ? Number(this.value) : this.value;
        const range = rangeText(min, max, `${min} or more`, `from ${min} to ${max}`);
        if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max)
            return this.problems.add(this.path, this.value, `must be an integer${range}${notDecimal(this.value)}`);
        return n;
    }

    /** A finite number in [min, max] (inclusive unless `exclusiveMin`); strings must be plain decimals. */
    number(opts: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
        if (!this.present) return undefined;
        const { min = -Infinity, max = Infinity, exclusiveMin = false } = opts;
        const n = typeof this.value === "string" && DECIMAL_NUMBER.test(this.value.trim()) ? Number(this.value) : this.value;
        const lo = exclusiveMin ? `greater than ${min}` : `at least ${min}`;
        const range = rangeText(min, max, lo, `${lo} and at most ${max}`);
        if (typeof n !== "number" || !Number.isFinite(n)) return this.problems.add(this.path, this.value, `must be a number${range}${notDecimal(this.value)}`);
        if ((exclusiveMin ? n <= min : n < min) || n > max) return this.problems.add(this.path, this.value, `must be a number${range}`);
        return n;
    }

    /**
     * A Kubernetes quantity, which must be a string. YAML turns `cpu: 0.5` and `memory: 512` into
     * numbers; they are refused with the quoted form to write instead (for memory a bare number
     * would mean bytes, almost never what was meant).
     */
    quantity(kind: "cpu" | "memory"): string | undefined {
        if (!this.present) return undefined;
        if (typeof this.value === "number") {
            const hint = kind === "cpu"
                ? `quote it: "${Number.isInteger(this.value) ? this.value : `${Math.round(this.value * 1000)}m`}"`
                : `quote it with a unit, e.g. "${this.value}Mi" (a bare number is bytes)`;
            return this.problems.add(this.path, this.value, `must be a quantity string: ${hint}`);
        }
        return this.string();
    }

    bool(): boolean | undefined {
        if (!this.present) return undefined;
        if (typeof this.value === "boolean") return this.value;
        if (this.value === "true" || this.value === "false") return this.value === "true";
        return this.problems.add(this.path, this.value, "must be true or false");
    }

    /**
     * A map of string to string (labels, annotations, tags, environment). With `secretValues`
     * (environment variables may hold credentials) no value is ever printed.
     */
    stringMap(keyPattern?: RegExp, keyWhat?: string, opts: { secretValues?: boolean } = {}): Record<string, string> | undefined {
        if (!this.present) return undefined;
        const hide = opts.secretValues ?? false;
        if (!isPlainObject(this.value)) return this.problems.add(this.path, hide ? undefined : this.value, "must be a map of strings", hide);
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(this.value)) {
            if (keyPattern && !keyPattern.test(k)) this.problems.add(`${this.path}.${k}`, k, `key must be ${keyWhat ?? `matching ${keyPattern}`}`);
            if (typeof v !== "string") this.problems.add(`${this.path}.${k}`, hide ? undefined : v, "must be a string", hide);
            else out[k] = v;
        }
        return out;
    }

    /** An IPv4 CIDR block such as `10.0.0.0/16`, with no host bits set. */
    cidr(opts: { minPrefix?: number; maxPrefix?: number } = {}): string | undefined {
        const s = this.string();
        if (s === undefined) return undefined;
        const parsed = parseCidr(s);
        if (!parsed) return this.problems.add(this.path, s, "must be an IPv4 CIDR block such as 10.0.0.0/16");
        const { minPrefix = 0, maxPrefix = 32 } = opts;
        if (parsed.prefix < minPrefix || parsed.prefix > maxPrefix)
            return this.problems.add(this.path, s, `must have a prefix length from /${minPrefix} to /${maxPrefix}`);
        if (formatCidr(parsed) !== s) return this.problems.add(this.path, s, `must not have host bits set (use ${formatCidr(parsed)})`);
        return s;
    }
}

// ---------------------------------------------------------------------------------------------
// IPv4 CIDR arithmetic (pure; used by the network planners too)

export interface Cidr {
    /** Network address as an unsigned 32-bit integer (host bits cleared). */
    readonly base: number;
    readonly prefix: number;
}

export function parseCidr(s: string): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    return { base: (addr & prefixMask(prefix)) >>> 0, prefix };
}

function prefixMask(prefix: number): number {
    return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function formatCidr(c: Cidr): string {
    const b = c.base;
    return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

/** The `index`-th sub-block of length `newPrefix` inside `parent`. */
export function subnet(parent: Cidr, newPrefix: number, index: number): Cidr {
    if (newPrefix < parent.prefix || newPrefix > 32) throw new RangeError(`cannot split /${parent.prefix} into /${newPrefix}`);
    const count = 2 ** (newPrefix - parent.prefix);
    if (index < 0 || index >= count) throw new RangeError(`/${parent.prefix} holds ${count} /${newPrefix} blocks, asked for #${index}`);
    return { base: (parent.base + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix };
}

/** A dotted-quad IPv4 address as an unsigned 32-bit integer, or undefined. */
export function parseIpv4(s: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function formatIpv4(addr: number): string {
    return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** Number of addresses in a block. */
export function cidrSize(c: Cidr): number {
    return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, addr: number): boolean {
    return addr >= c.base && addr < c.base + cidrSize(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + 2 ** (32 - a.prefix);
    const bEnd = b.base + 2 ** (32 - b.prefix);
    return a.base < bEnd && b.base < aEnd;
}
