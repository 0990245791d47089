/** Quantities, arithmetic and the reader's number rules. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkService } from "../core/src/planners/service";
import { capacityWeights } from "../core/src/planners/weights";
import { Problems, Reader } from "../core/src/validation";
import { problemsOf } from "./harness/config";

const svc = (over: object = {}) => ({ "paas:services": [{ name: "web", image: "nginx:1.27", port: 8080, ...over }] });
const S = "paas:services[0]";

describe("CPU and memory", () => {
    it("refuses zero requests and limits (a CPU-utilization HPA divides by the request)", () => {
        expect(problemsOf(svc({ cpu: "0" }))).toEqual([`${S}.cpu must be greater than 0: the HPA scales on CPU utilization, a percentage of this request`]);
        expect(problemsOf(svc({ cpu: "0m", cpuLimit: "0", memory: "0", memoryLimit: "0Mi" }))).toEqual([
            `${S}.cpu must be greater than 0: the HPA scales on CPU utilization, a percentage of this request`,
            `${S}.cpuLimit must be greater than 0`,
            `${S}.memory must be greater than 0`,
            `${S}.memoryLimit must be greater than 0`,
        ]);
        expect(problemsOf(svc({ cpu: "-1" }))).toEqual([`${S}.cpu must be a CPU quantity such as "250m" or "1"`]);
        expect(problemsOf({ "paas:etcd": { cpu: "0", memory: "0Gi", storageSize: "0" } })).toEqual([
            'paas:etcd.storageSize must be a size above zero such as "10Gi"', "paas:etcd.cpu must be greater than 0", "paas:etcd.memory must be greater than 0"]);
    });

    it("reports a conflict with a default on the key the user wrote", () => {
        // cpuLimit was not written: its default (1) is below the request, so the request is at fault.
        expect(problemsOf(svc({ cpu: "2" }))).toEqual([`${S}.cpu must be <= cpuLimit (1, its default); set cpuLimit too`]);
        expect(problemsOf(svc({ cpu: "2", cpuLimit: "1500m" }))).toEqual([`${S}.cpuLimit must be >= cpu (2)`]);
        // memoryLimit defaults to memory: a bad memory is reported once, on memory.
        expect(problemsOf(svc({ memory: "lots" }))).toEqual([`${S}.memory must be a memory quantity such as "256Mi" or "1Gi"`]);
        expect(problemsOf(svc({ cpu: "2", cpuLimit: "2" }))).toEqual([]);
    });

    it("refuses YAML numbers with the quoted form to write", () => {
        expect(problemsOf(svc({ cpu: 0.5, cpuLimit: 2, memory: 512 }))).toEqual([
            `${S}.cpu must be a quantity string: quote it: "500m"`,
            `${S}.memory must be a quantity string: quote it with a unit, e.g. "512Mi" (a bare number is bytes)`,
            `${S}.cpuLimit must be a quantity string: quote it: "2"`,
        ]);
    });

    it("the Service component checks the same", () => {
        const problems = checkService("web", { image: "nginx:1.27", cpu: "0", memory: "1Gi", memoryLimit: "512Mi" }, "args");
        expect(problems.list.map((p) => `${p.path} ${p.message}`)).toEqual([
            "args.cpu must be greater than 0: the HPA scales on CPU utilization, a percentage of this request",
            "args.memoryLimit must be >= memory (1Gi)",
        ]);
    });
});

describe("the reader's numbers", () => {
    const read = (value: unknown, f: (r: Reader) => unknown) => {
        const problems = new Problems();
        const v = f(new Reader(problems, "k", value));
        return { v, messages: problems.list.map((p) => `${p.path} ${p.message}`) };
    };

    it("never says 'at most Infinity'", () => {
        expect(read("x", (r) => r.int()).messages).toEqual(["k must be an integer"]);
        expect(read("x", (r) => r.number()).messages).toEqual(["k must be a number"]);
        expect(read("x", (r) => r.int({ min: 1 })).messages).toEqual(["k must be an integer 1 or more"]);
        expect(read("x", (r) => r.int({ max: 9 })).messages).toEqual(["k must be an integer at most 9"]);
        expect(read(-1, (r) => r.number({ min: 0 })).messages).toEqual(["k must be a number at least 0"]);
    });

    it("takes no hex or exponent strings as numbers", () => {
        expect(read("0x10", (r) => r.int()).messages).toEqual(["k must be an integer written in decimal digits (no hex, no exponent)"]);
        expect(read("1e3", (r) => r.int({ min: 1, max: 5000 })).messages).toEqual(["k must be an integer from 1 to 5000 written in decimal digits (no hex, no exponent)"]);
        expect(read("1e308", (r) => r.number({ min: 0 })).messages).toEqual(["k must be a number at least 0 written in decimal digits (no hex, no exponent)"]);
        expect(read("Infinity", (r) => r.number()).messages).toEqual(["k must be a number"]);
        expect(read(" 42 ", (r) => r.int()).v).toBe(42);
        expect(read("-2.5", (r) => r.number()).v).toBe(-2.5);
        expect(read(2 ** 53, (r) => r.int()).messages).toEqual(["k must be an integer"]);
        expect(problemsOf(svc({ port: "0x1f90" }))).toEqual([`${S}.port must be an integer written in decimal digits (no hex, no exponent)`]);
    });
});

describe("capacity weights never overflow", () => {
    it("splits capacities whose sum is not a finite number", () => {
        expect(1e308 + 1e308).toBe(Infinity);
        expect(capacityWeights([1e308, 1e308])).toEqual([50, 50]);
        expect(capacityWeights([Number.MAX_VALUE, Number.MAX_VALUE / 3, 0])).toEqual([75, 25, 0]);
        expect(capacityWeights([5e-324, 1e-323])).toEqual([33, 67]);
        expect(problemsOf({ ...svc(), "paas:routes": [{ name: "r", backends: [{ service: "web", capacity: 1e308 }, { service: "web", capacity: 1e308 }] }] })).toEqual([]);
    });

    it("always sums to the total with integer weights, for any finite capacities", () => {
        const caps = fc.array(fc.oneof(fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }), fc.constant(Number.MAX_VALUE)), { minLength: 1, maxLength: 16 })
            .filter((c) => c.some((x) => x > 0));
        fc.assert(fc.property(caps, fc.integer({ min: 1, max: 1_000_000 }), (c, total) => {
            const w = capacityWeights(c, total);
            return w.every((x) => Number.isInteger(x) && x >= 0) && w.reduce((a, b) => a + b, 0) === total && c.every((x, i) => x > 0 || w[i] === 0);
        }), { numRuns: 500 });
    });
});
