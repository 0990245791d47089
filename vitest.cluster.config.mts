import { defineConfig } from "vitest/config";

// The real Kubernetes control plane tier (`npm run test:cluster`): needs the toolchain
// (`npm run toolchain` builds pulumi, the kubernetes provider, kube-* and kwok).
export default defineConfig({
    test: {
        include: ["test/cluster/**/*.test.ts"],
        pool: "forks",
        fileParallelism: false,
        testTimeout: 600_000,
        hookTimeout: 600_000,
    },
});
