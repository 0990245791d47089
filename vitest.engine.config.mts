import { defineConfig } from "vitest/config";

// The real Pulumi engine on the local stack: needs the toolchain (`npm run toolchain`).
export default defineConfig({
    test: {
        include: ["test/engine/**/*.test.ts"],
        pool: "forks",
        fileParallelism: false,
        testTimeout: 600_000,
        hookTimeout: 600_000,
    },
});
