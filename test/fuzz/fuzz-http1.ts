import { parseArgs } from "node:util";
import { DEFAULT_PATIENCE, runFuzz } from "./fuzz-run.ts";
import { formatReport, tally, writeCases } from "./report.ts";

/**
 * The long run of the HTTP/1 differential fuzzer (the smoke run is in http1-differential.test.ts):
 *
 *   npm run fuzz:http1 -- --cases 20000 --seed 123 --adapter bun
 *   npm run fuzz:http1 -- --seed 123 --only 45,97     (replay cases by index)
 *
 * Exits 1 when any case fails. Every case that is not identical is written whole to a JSON file.
 */
const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "2000" },
    seed: { type: "string" },
    only: { type: "string" },
    adapter: { type: "string", default: process.env.EDGEPROXY_ADAPTER ?? "node" },
    lanes: { type: "string", default: "6" },
    quiet: { type: "string", default: String(DEFAULT_PATIENCE.quietMs) },
    details: { type: "string", default: "12" },
  },
});

if (values.adapter !== "node" && values.adapter !== "bun") throw new Error(`--adapter must be node or bun, not ${values.adapter}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const only = values.only?.split(",").map(Number);
console.log(`seed ${seed}${only ? `, cases ${only.join(",")}` : `, ${values.cases} cases`} on ${values.adapter}`);

const report = await runFuzz({
  seed,
  cases: Number(values.cases),
  ...(only ? { only } : {}),
  adapter: values.adapter,
  lanes: Number(values.lanes),
  patience: { ...DEFAULT_PATIENCE, quietMs: Number(values.quiet) },
  progress: (line) => console.log(line),
});
console.log(formatReport(report, { details: Number(values.details) }));
console.log(`cases that differ or fail, whole: ${writeCases(report)}`);
process.exitCode = tally(report).failing > 0 ? 1 : 0;
