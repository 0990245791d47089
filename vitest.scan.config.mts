import { defineConfig } from "vitest/config";

// Peer scanners (kube-score, checkov) over every stack's Kubernetes objects: needs the toolchain
// (`npm run toolchain -- kube-score checkov`).
export default defineConfig({
    test: {
        include: ["test/scan/**/*.test.ts"],
        pool: "forks",
        fileParallelism: false,
        testTimeout: 600_000,
        hookTimeout: 600_000,
    },
});
