import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "node", include: ["test/**/*.test.ts"] } },
      {
        // The whole conformance suite, the security suite and the HTTP/1 differential fuzzer again, against the Bun adapter.
        extends: true,
        test: {
          name: "bun",
          include: ["test/conformance/**/*.test.ts", "test/security/**/*.test.ts", "test/fuzz/**/*.test.ts"],
          env: { EDGEPROXY_ADAPTER: "bun" },
        },
      },
      {
        // The trace-based conformance scenarios, the rewrite, headers, realip, access, limit,
        // auth and gzip modules, the status pages, error pages and the security suite again,
        // against the Workers adapter in workerd.
        extends: true,
        test: {
          name: "workers",
          include: [
            "test/conformance/round-robin.test.ts",
            "test/conformance/passive-health.test.ts",
            "test/conformance/next-upstream.test.ts",
            "test/conformance/websocket.test.ts",
            "test/conformance/upstream-errors.test.ts",
            "test/conformance/rewrite.test.ts",
            "test/conformance/add-header.test.ts",
            "test/conformance/realip.test.ts",
            "test/conformance/access.test.ts",
            "test/conformance/limits.test.ts",
            "test/conformance/auth-basic.test.ts",
            "test/conformance/auth-request.test.ts",
            "test/conformance/gzip.test.ts",
            "test/conformance/stub-status.test.ts",
            "test/conformance/status-pages.test.ts",
            "test/conformance/error-page.test.ts",
            "test/conformance/proxy-variables.test.ts",
            "test/conformance/variables.test.ts",
            "test/conformance/config-compat.test.ts",
            "test/conformance/known-differences.test.ts",
            "test/security/**/*.test.ts",
          ],
          env: { EDGEPROXY_ADAPTER: "workers" },
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Conformance files each start nginx and edgeproxy; two cores, so two files at a time.
    maxWorkers: 2,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
