import { describe, expect, test } from "vitest";
import { ADAPTER } from "../support/proxies.ts";
import { DEFAULT_PATIENCE, runFuzz } from "./fuzz-run.ts";
import { formatReport, tally, writeCases } from "./report.ts";

/**
 * The bounded run of the HTTP/1 differential fuzzer (issue #12): a fixed seed, 300 request cases
 * and 100 response cases, against nginx and the adapter under test (node, or bun in the vitest
 * project `bun`). The long run is `npm run fuzz:http1`; test/fuzz/fuzz-run.ts says how it works.
 */
const SEED = 20261128;
const CASES = 400;

describe("HTTP/1 differential fuzz against nginx", () => {
  test("edgeproxy forwards nothing upstream that nginx does not, and no client gets bytes meant for another", async () => {
    const report = await runFuzz({
      seed: SEED,
      cases: CASES,
      adapter: ADAPTER === "bun" ? "bun" : "node",
      lanes: 6,
      patience: DEFAULT_PATIENCE,
    });
    console.log(`${formatReport(report)}\ncases that differ or fail, whole: ${writeCases(report)}`);
    expect(tally(report).run).toBe(CASES);
    const failing = report.results
      .filter((r) => r.verdict.outcome === "failing")
      .map((r) => `#${r.case.index} ${r.case.seed}: ${r.verdict.failures.join("; ")}`);
    expect(failing).toEqual([]);
  }, 180_000);
});
