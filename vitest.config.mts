import { defineConfig } from "vitest/config";

// Unit, property, mock, schema and real-etcd tests. The real-engine tier has its own config
// (vitest.engine.config.mts, `npm run test:engine`), the real control plane too (vitest.cluster.config.mts),
// and so do the peer scanners (vitest.scan.config.mts, `npm run scan`).
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/engine/**", "test/cluster/**", "test/scan/**", "node_modules/**"],
        pool: "forks",
        // One more worker than the 2 cores: the etcd and audit tests spend most of their time waiting.
        maxWorkers: 3,
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
