/**
 * Offline audit: runs the policy pack over a `pulumi stack export` file, with no Pulumi CLI or
 * service. Usage: npm run audit -- <export.json> [--config <policy-config.json>] [--json]
 * Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 unusable input (one line on
 * stderr, nothing on stdout).
 *
 * The export is read in chunks and each resource parsed on its own, so exports larger than a
 * JavaScript string can hold (~512 MB; a million resources is several GB) are fine; only the
 * resources' inputs are kept. Resource policies run only on the types they declare.
 */
import * as fs from "node:fs";
import { allPolicies } from "./src/all";
import type { PaasResourcePolicy, PaasStackPolicy, Subject } from "./src/policy";
import { type PolicyConfigFile, type Violation, enforcementLevel, jsonKind, policyConfig, policyConfigProblems } from "./src/run";

const USAGE = "usage: npm run audit -- <stack-export.json> [--config <policy-config.json>] [--json]";
const FROM_EXPORT = "expected an object with deployment.resources[] (from `pulumi stack export`)";

export class AuditInputError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** A value from the input, for a message: JSON, control characters escaped, long ones cut. */
const shown = (v: unknown) => {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

// ---- resources

/** One resource of the export as a policy subject (its inputs, as the engine gives them); undefined for what policies never see. */
function subjectOf(r: unknown, at: string, i: number, label: string): Subject | undefined {
    const fail = (field: string, v: unknown, expected: string, urn?: unknown) => new AuditInputError(
        `${label}: ${at}[${i}]${field} is ${v === "" ? "an empty string" : jsonKind(v)}; expected ${expected}${urn === undefined ? "" : ` (resource ${shown(urn)})`}`);
    if (!isObject(r)) throw fail("", r, "a resource object");
    const { urn, type, custom, inputs, outputs } = r;
    if (typeof urn !== "string" || urn === "") throw fail(".urn", urn, "a resource URN string");
    if (typeof type !== "string" || type === "") throw fail(".type", type, "a type token string such as \"kubernetes:apps/v1:Deployment\"", urn);
    if (custom !== undefined && typeof custom !== "boolean") throw fail(".custom", custom, "true or false", urn);
    if (inputs !== undefined && !isObject(inputs)) throw fail(".inputs", inputs, "an object", urn);
    if (outputs !== undefined && !isObject(outputs)) throw fail(".outputs", outputs, "an object", urn);
    if (custom === false || type.startsWith("pulumi:")) return undefined;
    const cut = urn.lastIndexOf("::");
    return { type, urn, name: cut < 0 ? urn : urn.slice(cut + 2), props: inputs ?? {} };
}

function versionProblem(version: unknown, label: string): AuditInputError | undefined {
    if (version === undefined || version === 3) return undefined;
    return new AuditInputError(`${label}: unsupported deployment version ${shown(version)}${typeof version === "number" ? "" : ` (${jsonKind(version)})`}: expected 3`);
}

/** Reads a parsed deployment (format version 3) into policy subjects: inputs for resource policies, as the engine does. */
export function subjectsOf(exported: unknown, label = "stack export"): Subject[] {
    if (!isObject(exported)) throw new AuditInputError(`${label}: the document is ${jsonKind(exported)}; ${FROM_EXPORT}`);
    const v = versionProblem(exported.version, label);
    if (v) throw v;
    // A bare deployment (the value of "deployment") is read too.
    const bare = exported.deployment === undefined && exported.resources !== undefined;
    const deployment = bare ? exported : exported.deployment;
    const at = bare ? "resources" : "deployment.resources";
    if (!isObject(deployment)) throw new AuditInputError(`${label}: deployment is ${jsonKind(deployment)}; ${FROM_EXPORT}`);
    if (!Array.isArray(deployment.resources)) throw new AuditInputError(`${label}: ${at} is ${jsonKind(deployment.resources)}; expected an array of resources`);
    const out: Subject[] = [];
    deployment.resources.forEach((r, i) => {
        const s = subjectOf(r, at, i, label);
        if (s) out.push(s);
    });
    return out;
}

// ---- JSON syntax errors, located (only run once JSON.parse has failed, so speed does not matter)

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;

function describeByte(c: number | undefined): string {
    if (c === undefined) return "end of file";
    if (c === 0) return "a NUL byte";
    if (c >= 0x21 && c <= 0x7e) return `'${String.fromCharCode(c)}'`;
    return c >= 0x80 ? "a non-ASCII character" : `the control character 0x${c.toString(16).padStart(2, "0")}`;
}

/** The first syntax error in b[start, end) read as one JSON document: its offset and what is wrong; undefined when there is none. */
export function jsonSyntaxError(b: Uint8Array, start = 0, end = b.length): { at: number; problem: string } | undefined {
    const r = scanJson(b, start, end);
    if (r.problem !== undefined) return { at: r.at, problem: r.problem };
    let i = r.at;
    while (i < end && WS(b[i])) i++;
    return i < end ? { at: i, problem: `unexpected ${describeByte(b[i])}, expected the end of the value` } : undefined;
}

/** Reads one JSON value from b[start, end): where it ends, or where and what its first syntax error is. */
function scanJson(b: Uint8Array, start: number, end: number): { at: number; problem?: string } {
    let i = start;
    const at = () => (i < end ? b[i] : undefined);
    const err = (expected: string) => ({ at: i, problem: `unexpected ${describeByte(at())}, expected ${expected}` });
    const ws = () => { while (i < end && WS(b[i])) i++; };
    const string = () => {
        i++;
        while (i < end) {
            const c = b[i];
            if (c === 0x22) { i++; return undefined; }
            if (c < 0x20) return { at: i, problem: `${describeByte(c)} inside a string (escape it)` };
            if (c !== 0x5c) { i++; continue; }
            const e = i + 1 < end ? b[i + 1] : undefined;
            if (e === 0x75) {
                for (let k = 2; k < 6; k++) if (!(i + k < end && /[0-9a-fA-F]/.test(String.fromCharCode(b[i + k])))) return { at: i, problem: "a bad \\u escape in a string" };
                i += 6;
            } else if (e !== undefined && '"\\/bfnrt'.includes(String.fromCharCode(e))) i += 2;
            else return { at: i, problem: "a bad escape sequence in a string" };
        }
        return { at: i, problem: "unexpected end of file inside a string" };
    };
    const scalar = () => {
        for (const lit of ["true", "false", "null"]) {
            if (b[i] !== lit.charCodeAt(0)) continue;
            for (let k = 0; k < lit.length; k++) if (i + k >= end || b[i + k] !== lit.charCodeAt(k)) { i += k; return err(`"${lit}"`); }
            i += lit.length;
            return undefined;
        }
        if (at() === 0x2d) i++;
        if (at() === 0x30) i++;
        else if (at() !== undefined && DIGIT(b[i])) while (i < end && DIGIT(b[i])) i++;
        else return err("a value");
        if (at() === 0x2e) {
            i++;
            if (!(i < end && DIGIT(b[i]))) return err("a digit");
            while (i < end && DIGIT(b[i])) i++;
        }
        if (at() === 0x65 || at() === 0x45) {
            i++;
            if (at() === 0x2b || at() === 0x2d) i++;
            if (!(i < end && DIGIT(b[i]))) return err("a digit");
            while (i < end && DIGIT(b[i])) i++;
        }
        return undefined;
    };
    const member = () => {
        ws();
        if (at() !== 0x22) return err("a property name in double quotes");
        const e = string();
        if (e) return e;
        ws();
        if (at() !== 0x3a) return err("':'");
        i++;
        return undefined;
    };
    const stack: number[] = [];
    for (;;) {
        ws();
        const c = at();
        if (c === undefined) return err("a value");
        if (c === 0x7b || c === 0x5b) {
            i++;
            ws();
            if (at() === (c === 0x7b ? 0x7d : 0x5d)) i++;
            else {
                stack.push(c);
                if (c === 0x7b) {
                    const e = member();
                    if (e) return e;
                }
                continue;
            }
        } else {
            const e = c === 0x22 ? string() : scalar();
            if (e) return e;
        }
        for (;;) {
            ws();
            if (stack.length === 0) return { at: i };
            const top = stack[stack.length - 1];
            if (at() === 0x2c) {
                i++;
                if (top === 0x7b) {
                    const e = member();
                    if (e) return e;
                }
                break;
            }
            if (at() !== (top === 0x7b ? 0x7d : 0x5d)) return err(top === 0x7b ? "',' or '}'" : "',' or ']'");
            i++;
            stack.pop();
        }
    }
}

/** 1-based line and column (in characters) of a byte offset, counted from `from` (after a byte order mark). */
function lineColumn(bytes: (visit: (chunk: Uint8Array) => boolean) => void, offset: number, from: number): string {
    let line = 1;
    let col = 1;
    let pos = 0;
    bytes((chunk) => {
        for (let k = 0; k < chunk.length && pos < offset; k++, pos++) {
            if (pos < from) continue;
            const c = chunk[k];
            if (c === 0x0a) { line++; col = 1; } else if ((c & 0xc0) !== 0x80) col++;
        }
        return pos < offset;
    });
    return `line ${line}, column ${col}`;
}

const fileBytes = (fd: number) => (visit: (chunk: Uint8Array) => boolean) => {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ;) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n === 0 || !visit(buf.subarray(0, n))) return;
        pos += n;
    }
};

// ---- reading files

const READ_ERRORS: Record<string, string> = { EISDIR: "it is a directory", EACCES: "permission denied", ENAMETOOLONG: "the name is too long" };

function cannotRead(what: string, path: string, e: unknown): AuditInputError {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return new AuditInputError(`cannot read ${what} ${path}: ${code}${READ_ERRORS[code] ? ` (${READ_ERRORS[code]})` : ""}`);
}

/** Offset of the content after a UTF-8 byte order mark; throws on UTF-16 or UTF-32 (BOM, or ASCII with NULs between). */
function encodingStart(head: Uint8Array, label: string, hint: string): number {
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 3;
    const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)
        || (head.length >= 2 && (head[0] === 0) !== (head[1] === 0));
    if (utf16) throw new AuditInputError(`${label} is UTF-16 encoded; re-save it as UTF-8 (PowerShell's \`>\` writes UTF-16: ${hint})`);
    return 0;
}

/** A small JSON file (the policy config), whole. */
function readSmallJson(path: string, what: string): unknown {
    let buf: Buffer;
    try {
        buf = fs.readFileSync(path);
    } catch (e) {
        throw cannotRead(what, path, e);
    }
    const label = `${what} ${path}`;
    const from = encodingStart(buf, label, "use `| Out-File -Encoding utf8`");
    let i = from;
    while (i < buf.length && WS(buf[i])) i++;
    if (i === buf.length) throw new AuditInputError(`${label} is empty; expected a JSON object`);
    try {
        return JSON.parse(buf.toString("utf8", from));
    } catch {
        const e = jsonSyntaxError(buf, from) ?? { at: from, problem: "not parseable" };
        throw new AuditInputError(`${label} is not valid JSON: ${e.problem} at ${lineColumn((visit) => void visit(buf), e.at, from)}`);
    }
}

/** A policy config file, checked against the pack (unknown policies, levels and settings are errors). */
export function readPolicyConfig(path: string): PolicyConfigFile {
    const doc = readSmallJson(path, "policy config");
    const problems = policyConfigProblems(doc);
    if (problems.length) {
        const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
        throw new AuditInputError(`policy config ${path}: ${problems[0]}${more}`);
    }
    return doc as PolicyConfigFile;
}

/** A problem at a byte offset of the file: a syntax error, or (`syntax` false) a value too large to read. */
class JsonSyntax extends Error {
    constructor(readonly at: number, readonly problem: string, readonly syntax = true) {
        super(problem);
    }
}

/**
 * The bytes of a file, read in chunks. `pos` is the read position in `buf`; bytes from `mark` on
 * (the value being read) are kept when the next chunk is read, so one value may span chunks.
 */
class Chunked {
    buf: Buffer = Buffer.alloc(0);
    /** File offset of buf[0]. */
    base = 0;
    pos = 0;
    mark = -1;
    private mem: Buffer | undefined;
    private spare: Buffer | undefined;
    /** The closing bytes of the objects and arrays being read, innermost last. */
    private readonly closers: number[] = [];
    private ended = false;

    constructor(private readonly fd: number, private readonly chunkSize: number) {}

    /**
     * Reads the next chunk; false at the end of the file. Moves `buf`, `pos` and `mark`. Two
     * buffers take turns: allocating one a chunk makes V8 run a full GC each time (external memory).
     */
    more(): boolean {
        if (this.ended) return false;
        const from = this.mark >= 0 ? this.mark : Math.min(this.pos, this.buf.length);
        const kept = this.buf.length - from;
        const next = this.spare && this.spare.length >= kept + this.chunkSize ? this.spare : Buffer.allocUnsafe(kept + this.chunkSize);
        this.buf.copy(next, 0, from);
        const n = fs.readSync(this.fd, next, kept, this.chunkSize, null);
        if (n === 0) {
            this.ended = true;
            return false;
        }
        this.spare = this.mem;
        this.mem = next;
        this.buf = next.subarray(0, kept + n);
        this.base += from;
        this.pos -= from;
        if (this.mark >= 0) this.mark -= from;
        return true;
    }

    /** The byte at `pos`, or -1 at the end of the file. */
    peek(): number {
        return this.pos < this.buf.length || this.more() ? this.buf[this.pos] : -1;
    }

    get offset(): number {
        return this.base + this.pos;
    }

    skipWs(): void {
        for (;;) {
            const b = this.buf;
            let i = this.pos;
            while (i < b.length && WS(b[i])) i++;
            this.pos = i;
            if (i < b.length || !this.more()) return;
        }
    }

    expect(c: number, what: string): void {
        this.skipWs();
        if (this.peek() !== c) throw new JsonSyntax(this.offset, `unexpected ${describeByte(this.at())}, expected ${what}`);
        this.pos++;
    }

    at(): number | undefined {
        const c = this.peek();
        return c < 0 ? undefined : c;
    }

    /** Moves `pos` past the value that starts there (its extent only: brackets and strings); false if the file ends first. */
    private skipValue(): boolean {
        let b = this.buf;
        let i = this.pos;
        const first = b[i];
        if (first !== 0x7b && first !== 0x5b && first !== 0x22) {
            for (;;) {
                while (i < b.length) {
                    const c = b[i];
                    if (c === 0x2c || c === 0x7d || c === 0x5d || WS(c)) {
                        this.pos = i;
                        return true;
                    }
                    i++;
                }
                this.pos = i;
                if (!this.more()) return true;
                b = this.buf;
                i = this.pos;
            }
        }
        let depth = 0;
        let inString = false;
        for (;;) {
            const n = b.length;
            while (i < n) {
                const c = b[i];
                if (inString) {
                    if (c === 0x5c) i += 2;
                    else {
                        i++;
                        if (c === 0x22) {
                            inString = false;
                            if (depth === 0) {
                                this.pos = i;
                                return true;
                            }
                        }
                    }
                    continue;
                }
                i++;
                if (c === 0x22) inString = true;
                else if (c === 0x7b || c === 0x5b) depth++;
                else if ((c === 0x7d || c === 0x5d) && --depth === 0) {
                    this.pos = i;
                    return true;
                }
            }
            this.pos = i;
            if (!this.more()) return false;
            b = this.buf;
            i = this.pos;
        }
    }

    /** Parses the JSON value at `pos` (after whitespace) with JSON.parse; syntax errors are located. */
    value(): unknown {
        this.skipWs();
        const c = this.peek();
        if (c < 0 || c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a) throw new JsonSyntax(this.offset, `unexpected ${describeByte(this.at())}, expected a value`);
        this.mark = this.pos;
        try {
            const complete = this.skipValue();
            const end = Math.min(this.pos, this.buf.length);
            if (end - this.mark > 0x1fffffe8) throw new JsonSyntax(this.base + this.mark, `a single value of ${((end - this.mark) / 1e6).toFixed(0)} MB, more than the audit can read at once`, false);
            if (complete) {
                try {
                    return JSON.parse(this.buf.toString("utf8", this.mark, end));
                } catch {
                    // Located below; the byte after the value is loaded so the message can name it.
                    if (this.pos >= this.buf.length) this.more();
                }
            }
            const e = scanJson(this.buf, this.mark, this.buf.length);
            if (e.problem !== undefined) throw new JsonSyntax(this.base + e.at, e.problem);
            // A valid value shorter than the run of bytes taken for it (such as `01`): what follows is wrong.
            const closer = this.closers[this.closers.length - 1];
            const expected = closer === 0x7d ? "',' or '}'" : closer === 0x5d ? "',' or ']'" : "the end of the document";
            throw new JsonSyntax(this.base + e.at, `unexpected ${describeByte(e.at < this.buf.length ? this.buf[e.at] : undefined)}, expected ${expected}`);
        } finally {
            this.mark = -1;
        }
    }

    /** Reads `{ "key": value, ... }` (the "{" already read), calling `member` with `pos` at each value. */
    object(member: (key: string) => void): void {
        this.skipWs();
        if (this.peek() === 0x7d) {
            this.pos++;
            return;
        }
        this.closers.push(0x7d);
        for (;;) {
            this.skipWs();
            if (this.peek() !== 0x22) throw new JsonSyntax(this.offset, `unexpected ${describeByte(this.at())}, expected a property name in double quotes`);
            const key = this.value() as string;
            this.expect(0x3a, "':'");
            member(key);
            this.skipWs();
            const c = this.peek();
            this.pos++;
            if (c === 0x7d) {
                this.closers.pop();
                return;
            }
            if (c !== 0x2c) throw new JsonSyntax(this.offset - 1, `unexpected ${describeByte(c < 0 ? undefined : c)}, expected ',' or '}'`);
        }
    }

    /** Reads `[ value, ... ]` (the "[" already read), parsing each element. */
    array(element: (v: unknown, i: number) => void): void {
        this.skipWs();
        if (this.peek() === 0x5d) {
            this.pos++;
            return;
        }
        this.closers.push(0x5d);
        for (let i = 0; ; i++) {
            element(this.value(), i);
            this.skipWs();
            const c = this.peek();
            this.pos++;
            if (c === 0x5d) {
                this.closers.pop();
                return;
            }
            if (c !== 0x2c) throw new JsonSyntax(this.offset - 1, `unexpected ${describeByte(c < 0 ? undefined : c)}, expected ',' or ']'`);
        }
    }
}

/**
 * Reads a stack export file into policy subjects without holding the file, or more than one
 * resource's text, in memory: the top-level object and `deployment` are walked, every other value
 * is parsed (so the whole file is checked) and each element of `resources` is parsed on its own.
 */
export function readStackExport(path: string, chunkSize = 1 << 24): Subject[] {
    let fd: number;
    try {
        fd = fs.openSync(path, "r");
        if (fs.fstatSync(fd).isDirectory()) {
            fs.closeSync(fd);
            throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
        }
    } catch (e) {
        throw cannotRead("stack export", path, e);
    }
    const label = `stack export ${path}`;
    const r = new Chunked(fd, chunkSize);
    let from = 0;
    try {
        while (r.buf.length < 4 && r.more());
        if (r.buf.length === 0) throw new AuditInputError(`${label} is empty; ${FROM_EXPORT}`);
        from = encodingStart(r.buf, label, "use `pulumi stack export --file <file>`, or `| Out-File -Encoding utf8`");
        r.pos = from;
        r.skipWs();
        if (r.peek() < 0) throw new AuditInputError(`${label} has only whitespace; ${FROM_EXPORT}`);
        if (r.peek() !== 0x7b) {
            const doc = r.value();
            r.skipWs();
            if (r.peek() >= 0) throw new JsonSyntax(r.offset, `unexpected ${describeByte(r.at())} after the end of the document`);
            return subjectsOf(doc, label);
        }
        r.pos++;
        // Shape problems are noted and the walk goes on, so that a syntax error anywhere wins (the
        // file "is not valid JSON" exactly when JSON.parse would say so); then the first is reported.
        let problem: AuditInputError | undefined;
        const note = (message: string) => { problem ??= new AuditInputError(`${label}: ${message}`); };
        const seen = new Set<string>();
        let deployment: Subject[] | undefined;
        let bare: { resources: unknown } | undefined;
        const resources = (at: string): Subject[] => {
            const out: Subject[] = [];
            r.skipWs();
            if (r.peek() !== 0x5b) {
                note(`${at} is ${jsonKind(r.value())}; expected an array of resources`);
                return out;
            }
            r.pos++;
            r.array((v, i) => {
                if (problem) return;
                try {
                    const s = subjectOf(v, at, i, label);
                    if (s) out.push(s);
                } catch (e) {
                    if (!(e instanceof AuditInputError)) throw e;
                    problem = e;
                }
            });
            return out;
        };
        r.object((key) => {
            if (seen.has(key) && ["version", "deployment", "resources"].includes(key)) note(`the key ${shown(key)} appears twice; ${FROM_EXPORT}`);
            seen.add(key);
            if (key === "version") {
                const v = versionProblem(r.value(), label);
                if (v) problem ??= v;
            } else if (key === "deployment") {
                r.skipWs();
                if (r.peek() !== 0x7b) {
                    note(`deployment is ${jsonKind(r.value())}; ${FROM_EXPORT}`);
                    return;
                }
                r.pos++;
                let found = false;
                r.object((k) => {
                    if (k !== "resources") r.value();
                    else if (found) {
                        note(`the key "deployment.resources" appears twice; ${FROM_EXPORT}`);
                        r.value();
                    } else {
                        found = true;
                        deployment = resources("deployment.resources");
                    }
                });
                if (!found) note("deployment.resources is missing; expected an array of resources");
            } else if (key === "resources") {
                // A bare deployment (read whole, and only used when there is no "deployment", as by subjectsOf).
                bare = { resources: r.value() };
            } else r.value();
        });
        r.skipWs();
        if (r.peek() >= 0) throw new JsonSyntax(r.offset, `unexpected ${describeByte(r.at())} after the end of the document`);
        if (problem) throw problem;
        const subjects = deployment ?? (bare && subjectsOf(bare, label));
        if (!subjects) throw new AuditInputError(`${label}: deployment is missing; ${FROM_EXPORT}`);
        return subjects;
    } catch (e) {
        if (e instanceof JsonSyntax) {
            const where = lineColumn(fileBytes(fd), e.at, from);
            throw new AuditInputError(e.syntax ? `${label} is not valid JSON: ${e.problem} at ${where}` : `${label}: ${e.problem} (at ${where})`);
        }
        // A read that fails part way (EIO, a file truncated under us, ...).
        if (typeof (e as NodeJS.ErrnoException).syscall === "string") throw cannotRead("stack export", path, e);
        throw e;
    } finally {
        fs.closeSync(fd);
    }
}

// ---- evaluation

// What the engine passes to a policy besides the resource, made once. run.ts's runResourcePolicy and
// runStackPolicy make a Map, objects and closures for every resource and policy; at a million
// resources that allocation (and the GC of a large heap it sets off) was most of the run.
const NO_TAGS: ReadonlyMap<string, string> = new Map();
const NO_OPTS = Object.freeze({});
const NO_DEPS = Object.freeze([]);
const NO_PROPERTY_DEPS = Object.freeze({});
const no = () => false;
const nothing = () => undefined;

/**
 * Every policy over every resource at the levels of `file`: the results of `evaluate` (run.ts), in
 * its order, with the same arguments given to each policy; but a resource policy only sees the
 * types it declares, and what does not depend on the resource is made once.
 */
export function auditViolations(resources: readonly Subject[], file: PolicyConfigFile = {}): Violation[] {
    const found: Violation[][] = allPolicies.map(() => []);
    interface Entry { policy: PaasResourcePolicy; level: Violation["level"]; getConfig: () => unknown; messages: string[]; report: (m: string) => void; out: Violation[] }
    const byType = new Map<string, Entry[]>();
    const anyType: Entry[] = [];
    const stack: { policy: PaasStackPolicy; level: Violation["level"]; config: Record<string, unknown>; out: Violation[] }[] = [];
    allPolicies.forEach((policy, i) => {
        const level = enforcementLevel(policy, file);
        if (level === "disabled") return;
        const config = policyConfig(policy, file);
        if (!("validateResource" in policy)) {
            stack.push({ policy: policy as PaasStackPolicy, level, config, out: found[i] });
            return;
        }
        const messages: string[] = [];
        const entry: Entry = { policy: policy as PaasResourcePolicy, level, getConfig: () => config, messages, report: (m) => messages.push(m), out: found[i] };
        const types = (policy as PaasResourcePolicy).types;
        if (!Array.isArray(types)) anyType.push(entry);
        else for (const t of new Set(types)) byType.set(t, [...(byType.get(t) ?? []), entry]);
    });
    // A policy that throws has met input it cannot read: that is an unusable export, not a violation.
    const unreadable = (name: string, urn: string | undefined, e: unknown) =>
        new AuditInputError(`policy ${name} cannot check ${urn ? `resource ${shown(urn)}` : "the stack"}: ${(e as Error)?.message ?? String(e)}; its inputs in the export are malformed`);
    for (const r of resources) {
        const entries = byType.get(r.type);
        for (const list of entries ? [entries, anyType] : [anyType]) {
            for (const e of list) {
                const args = { ...r, opts: NO_OPTS, stackTags: NO_TAGS, getConfig: e.getConfig, isType: no, asType: nothing, notApplicable: nothing };
                try {
                    void e.policy.validateResource(args as never, e.report);
                } catch (error) {
                    throw unreadable(e.policy.name, r.urn, error);
                }
                for (const message of e.messages) e.out.push({ policy: e.policy.name, level: e.level, urn: r.urn, message });
                e.messages.length = 0;
            }
        }
    }
    const wrapped = stack.length === 0 ? [] : resources.map((r) => ({ ...r, opts: NO_OPTS, dependencies: NO_DEPS, propertyDependencies: NO_PROPERTY_DEPS, isType: no, asType: nothing }));
    for (const s of stack) {
        const args = { resources: wrapped, stackTags: NO_TAGS, getConfig: () => s.config, notApplicable: nothing };
        try {
            void s.policy.validateStack(args as never, (message: string, urn?: string) => s.out.push({ policy: s.policy.name, level: s.level, urn: urn ?? "", message }));
        } catch (error) {
            throw unreadable(s.policy.name, undefined, error);
        }
    }
    const out: Violation[] = [];
    for (const list of found) for (const v of list) out.push(v);
    return out;
}

// ---- output

function* tableLines(violations: readonly Violation[]): Generator<string> {
    if (violations.length === 0) {
        yield "no policy violations";
        return;
    }
    const widths = ["POLICY".length, "LEVEL".length, "RESOURCE".length];
    for (const v of violations) {
        widths[0] = Math.max(widths[0], v.policy.length);
        widths[1] = Math.max(widths[1], v.level.length);
        widths[2] = Math.max(widths[2], v.urn.length);
    }
    const row = (c: readonly string[]) => `${c[0].padEnd(widths[0])}  ${c[1].padEnd(widths[1])}  ${c[2].padEnd(widths[2])}  ${c[3]}`;
    yield row(["POLICY", "LEVEL", "RESOURCE", "MESSAGE"]);
    for (const v of violations) yield row([v.policy, v.level, v.urn, v.message]);
}

export function formatTable(violations: readonly Violation[]): string {
    return [...tableLines(violations)].join("\n");
}

/** The `--json` document, as JSON.stringify(..., null, 2) would write it, a line at a time. */
function* jsonLines(resources: number, violations: readonly Violation[]): Generator<string> {
    yield "{";
    yield `  "resources": ${resources},`;
    if (violations.length === 0) {
        yield '  "violations": []';
    } else {
        yield '  "violations": [';
        for (let i = 0; i < violations.length; i++) {
            const text = JSON.stringify(violations[i], null, 2).replace(/\n/g, "\n    ");
            yield `    ${text}${i < violations.length - 1 ? "," : ""}`;
        }
        yield "  ]";
    }
    yield "}";
}

/** Writes lines in batches (each `out` call is one line of the result), so no output string grows with the violations. */
function writeLines(lines: Iterable<string>, out: (s: string) => void): void {
    let batch: string[] = [];
    let size = 0;
    for (const line of lines) {
        batch.push(line);
        size += line.length;
        if (size > 1 << 20) {
            out(batch.join("\n"));
            batch = [];
            size = 0;
        }
    }
    if (batch.length) out(batch.join("\n"));
}

// ---- command line

interface Options { exportPath: string; configPath?: string; json: boolean }

function parseArgs(argv: readonly string[]): Options | "help" | string {
    const positional: string[] = [];
    let configPath: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") return "help";
        if (a === "--") {
            positional.push(...argv.slice(i + 1));
            break;
        }
        if (a === "--json") json = true;
        else if (a === "--config" || a.startsWith("--config=")) {
            const v = a === "--config" ? argv[++i] : a.slice("--config=".length);
            if (v === undefined || v === "" || (a === "--config" && v.startsWith("-"))) return "--config needs a file";
            if (configPath !== undefined) return "--config given twice";
            configPath = v;
        } else if (a.startsWith("-") && a !== "-") return `unknown option ${shown(a.split("=")[0])}`; // not what follows "=": it may be a secret
        else positional.push(a);
    }
    if (positional.length !== 1) return positional.length === 0 ? "no export file given" : `expected one export file, got ${positional.length}`;
    return { exportPath: positional[0], configPath, json };
}

/** Runs the audit; returns the exit code and writes to the given streams (`out` and `err` take one or more lines). */
export function audit(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
    const opts = parseArgs(argv);
    if (opts === "help") {
        out(USAGE);
        return 0;
    }
    if (typeof opts === "string") {
        err(`audit: ${opts}; ${USAGE}`);
        return 2;
    }
    let violations: Violation[];
    let count: number;
    try {
        const config: PolicyConfigFile = opts.configPath ? readPolicyConfig(opts.configPath) : {};
        const subjects = readStackExport(opts.exportPath);
        count = subjects.length;
        violations = auditViolations(subjects, config);
    } catch (e) {
        if (e instanceof AuditInputError) {
            err(`audit: ${e.message.replace(/[\r\n]+/g, " ")}`);
            return 2;
        }
        throw e;
    }
    let mandatory = 0;
    for (const v of violations) if (v.level === "mandatory") mandatory++;
    writeLines(opts.json ? jsonLines(count, violations) : tableLines(violations), out);
    if (!opts.json) out(`\n${count} resources, ${violations.length} violations (${mandatory} mandatory)`);
    return mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
    process.exitCode = audit(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`), (s) => process.stderr.write(`${s}\n`));
}
