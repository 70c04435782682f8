import { parseArgs } from "node:util";
import type { FuzzCase } from "./cases.ts";
import { DEFAULT_PATIENCE, runFuzz } from "./fuzz-run.ts";
import { formatReport, tally, writeCases } from "./report.ts";
import { FIRST_REQUESTS, type FirstRequest } from "./response-corpus.ts";

/**
 * The long run of the HTTP/1 differential fuzzer (the smoke run is in http1-differential.test.ts):
 *
 *   npm run fuzz:http1 -- --cases 20000 --seed 123 --adapter bun
 *   npm run fuzz:http1 -- --seed 123 --only 45,97     (replay cases by index)
 *   npm run fuzz:http1 -- --request '"GET / HTTP/1.1\r\nHost: a\r\n\r\n"'     (exact client bytes, JSON)
 *   npm run fuzz:http1 -- --response '"HTTP/1.1 200 OK\r\n..."' --first head   (an exact upstream answer, JSON;
 *     `~T########~` in it becomes a token for the first client)
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
    request: { type: "string", multiple: true },
    response: { type: "string", multiple: true },
    first: { type: "string", default: "get" },
  },
});

if (values.adapter !== "node" && values.adapter !== "bun") throw new Error(`--adapter must be node or bun, not ${values.adapter}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const only = values.only?.split(",").map(Number);
if (!(values.first in FIRST_REQUESTS)) throw new Error(`--first must be one of ${Object.keys(FIRST_REQUESTS).join(", ")}`);
const first = values.first as FirstRequest;
const bytes = (json: string) => Buffer.from(JSON.parse(json) as string, "latin1");
const given: FuzzCase[] = [
  ...(values.request ?? []).map((json) => ({ kind: "request" as const, bytes: bytes(json), splits: [] })),
  ...(values.response ?? []).map((json) => ({
    kind: "response" as const,
    first,
    segments: [{ bytes: bytes(json), delayMs: 0 }],
    close: false,
  })),
].map((c, index) => ({ ...c, index, seed: "given", mutations: [] }));
const what = given.length > 0 ? `${given.length} given cases` : only ? `cases ${only.join(",")}` : `${values.cases} cases`;
console.log(`seed ${seed}, ${what} on ${values.adapter}`);

const report = await runFuzz({
  seed,
  cases: Number(values.cases),
  ...(only ? { only } : {}),
  ...(given.length > 0 ? { given } : {}),
  adapter: values.adapter,
  lanes: Number(values.lanes),
  patience: { ...DEFAULT_PATIENCE, quietMs: Number(values.quiet) },
  progress: (line) => console.log(line),
});
console.log(formatReport(report, { details: Number(values.details) }));
console.log(`cases that differ or fail, whole: ${writeCases(report)}`);
process.exitCode = tally(report).failing > 0 ? 1 : 0;
