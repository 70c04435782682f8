/**
 * edgeproxy's request parser against llhttp (Node's own, native; undici ships the same as wasm):
 * speed on a browser-like head, and how often each takes or refuses what nginx takes or
 * refuses, over the HTTP/1 fuzzer's request cases. The nginx verdicts come from a fuzzer run's
 * report: a case not listed there was handled alike by nginx and edgeproxy.
 *
 *   node --expose-internals bench/http1-parsers.ts [--cases 5000 --seed 123 --report FILE]
 *
 * (Node 24 keeps llhttp's binding internal: --expose-internals reaches it.)
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { HeadersIn } from "../core/http1/headers-in.ts";
import { DEFAULT_HEAD_LIMITS, RequestHeadParser } from "../core/http1/request-parser.ts";
import { buildCase, type RequestCase } from "../test/fuzz/cases.ts";

/** The two members of Node's llhttp binding used here (`process.binding("http_parser")`). */
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error;
  [index: number]: unknown;
}
interface LlhttpBinding {
  HTTPParser: (new () => LlhttpParser) & { REQUEST: number; kOnHeadersComplete: number };
}

const internals = createRequire(import.meta.url)("internal/test/binding") as { internalBinding(name: string): LlhttpBinding };
const binding = internals.internalBinding("http_parser");

const llhttp = new binding.HTTPParser();
let headComplete = false;
let headAccepted = false;
// llhttp as a drop-in tokenizer: nginx's header rules (headers-in.ts) still judge what it read.
llhttp[binding.HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[], method: number) => {
  // Only the first request counts (a pipelined one after it calls back again).
  if (headComplete) return 0;
  headComplete = true;
  const headersIn = new HeadersIn();
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headersIn.add(headers[i] as string, headers[i + 1] as string)) return 0;
  }
  const name = (binding as unknown as { methods: string[] }).methods[method] ?? "GET";
  headAccepted = !("status" in headersIn.finish(name, `${major}.${minor === 0 ? 0 : 1}`));
  return 0;
};

/**
 * llhttp's verdict on the first request of `bytes`: whether its head was taken (strict mode,
 * as Node's server runs it; what happens in the body after a taken head does not count).
 */
function llhttpTakes(bytes: Buffer): boolean {
  headComplete = false;
  headAccepted = false;
  llhttp.initialize(binding.HTTPParser.REQUEST, {}, 32 * 1024, 0);
  llhttp.execute(bytes);
  return headComplete && headAccepted;
}

/** edgeproxy's verdict: the head was read (not refused, not waiting for more). */
function edgeproxyTakes(bytes: Buffer): boolean {
  return new RequestHeadParser(DEFAULT_HEAD_LIMITS).push(bytes)?.kind === "head";
}

const HEAD = Buffer.from(
  "GET /articles/2026/11/edge-proxies?ref=home&utm_source=x HTTP/1.1\r\nHost: www.example.com\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n" +
    "Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: session=0123456789abcdef; theme=dark\r\n" +
    "Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n\r\n",
  "latin1",
);

function timePerHead(parse: (b: Buffer) => boolean): number {
  for (let i = 0; i < 20_000; i++) parse(HEAD);
  const n = 200_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) parse(HEAD);
  return ((performance.now() - started) * 1000) / n;
}

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "5000" },
    seed: { type: "string", default: "123" },
    report: { type: "string", default: "/tmp/edgeproxy-http1-fuzz-node-seed123.json" },
  },
});

console.log(`a ${HEAD.length}-byte browser head, µs per parse (whole head, in one read):`);
console.log(`  edgeproxy RequestHeadParser  ${timePerHead(edgeproxyTakes).toFixed(2)}`);
console.log(`  llhttp (Node, native), with nginx's header rules on top  ${timePerHead(llhttpTakes).toFixed(2)}`);

const seed = Number(values.seed);
const differing = new Set<number>();
if (existsSync(values.report)) {
  const report = JSON.parse(readFileSync(values.report, "utf8")) as { cases: { case: { index: number } }[] };
  for (const c of report.cases) differing.add(c.case.index);
} else console.log(`(no fuzzer report at ${values.report}: every case counted as nginx-alike)`);

let compared = 0;
let llhttpDisagrees = 0;
const examples: string[] = [];
for (let index = 0; index < Number(values.cases); index++) {
  const c = buildCase(seed, index);
  if (c.kind !== "request" || differing.has(index)) continue;
  const bytes = (c as RequestCase).bytes;
  compared++;
  const nginx = edgeproxyTakes(bytes);
  if (llhttpTakes(bytes) !== nginx) {
    llhttpDisagrees++;
    if (examples.length < 8)
      examples.push(`#${index} ${c.seed}: nginx ${nginx ? "takes" : "refuses"} ${JSON.stringify(bytes.toString("latin1").slice(0, 90))}`);
  }
}
console.log(
  `\nrequest cases where nginx and edgeproxy agree: ${compared}; llhttp (with nginx's header rules) decides otherwise on ${llhttpDisagrees}`,
);
for (const e of examples) console.log(`  ${e}`);
