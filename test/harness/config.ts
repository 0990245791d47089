/** Stack config as the engine hands it to the program, and the problems the parser reports. */
import { expect } from "vitest";
import { parseConfig } from "../../app/config";
import { ConfigError } from "../../core/src/validation";

/** Structured values arrive as JSON text, strings as they are. */
export const enc = (c: Record<string, unknown>): Record<string, string> =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));

/** `path message` of every problem `parseConfig` reports (none: []); no keys are secret. */
export function problemsOf(config: Record<string, unknown>, stack = "test"): string[] {
    try {
        parseConfig(enc(config), stack, []);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems.map((p) => `${p.path} ${p.message}`);
    }
    return [];
}

/** The message of the ConfigError `fn` throws (a component's constructor, say); fails when it throws none. */
export function configErrorOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
    }
    throw new Error("expected a ConfigError");
}
