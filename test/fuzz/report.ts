import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FuzzCase } from "./cases.ts";
import { clientSummary, type ProxyObservation, type TokenOwner, upstreamText } from "./compare.ts";
import type { CaseResult, FuzzReport } from "./fuzz-run.ts";

/** The four figures of a run. */
export interface Tally {
  readonly run: number;
  readonly identical: number;
  readonly differing: number;
  readonly failing: number;
}

export function tally(report: FuzzReport): Tally {
  const count = (outcome: string) => report.results.filter((r) => r.verdict.outcome === outcome).length;
  return { run: report.results.length, identical: count("identical"), differing: count("differing"), failing: count("failing") };
}

/** How to run one case again. */
export function replayCommand(report: FuzzReport, index: number): string {
  return `npm run fuzz:http1 -- --seed ${report.options.seed} --only ${index} --adapter ${report.options.adapter}`;
}

/** Cases grouped by a line of their verdict: kind, count, a few example cases. */
function groups(results: readonly CaseResult[], lines: (r: CaseResult) => readonly string[]): [string, CaseResult[]][] {
  const byKind = new Map<string, CaseResult[]>();
  for (const r of results) for (const line of new Set(lines(r))) byKind.set(line, [...(byKind.get(line) ?? []), r]);
  return [...byKind].sort((a, b) => b[1].length - a[1].length);
}

const examples = (cases: readonly CaseResult[]) =>
  cases
    .slice(0, 3)
    .map((r) => `#${r.case.index} ${r.case.seed}`)
    .join(", ");

/** Up to `limit` characters of JSON-escaped bytes, saying how many there were when cut. */
export function showBytes(bytes: Buffer, limit = 1200): string {
  const text = JSON.stringify(bytes.toString("latin1"));
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${bytes.length} bytes; whole case in the JSON file)`;
}

function describeInput(c: FuzzCase): string[] {
  const head = `#${c.index} ${c.kind} ${c.seed}${c.mutations.length ? ` | ${c.mutations.join("; ")}` : ""}`;
  if (c.kind === "request")
    return [head, `  bytes${c.splits.length ? ` (written in ${c.splits.length + 1} pieces)` : ""}: ${showBytes(c.bytes)}`];
  return [
    head,
    `  first request: ${c.first}; upstream answer${c.close ? " (then close)" : ""}: ${c.segments.map((s) => `${s.delayMs ? `+${s.delayMs} ms ` : ""}${showBytes(s.bytes, 600)}`).join(" ")}`,
  ];
}

function describeObservation(name: string, o: ProxyObservation, owner: TokenOwner): string {
  const clients = o.clients.map((c) => `${c.tag.role} ${clientSummary(c, owner).statuses}`).join(", ");
  const upstream =
    o.upstream.length === 0 ? "nothing" : o.upstream.map((e) => `${e.kind} ${JSON.stringify(upstreamText(e).slice(0, 160))}`).join(", ");
  return `  ${name.padEnd(9)}: ${clients} | upstream: ${upstream}`;
}

/** The report a run prints: the figures, differing and failing kinds, and the failing cases in detail. */
export function formatReport(report: FuzzReport, options: { details?: number } = {}): string {
  const t = tally(report);
  const o = report.options;
  const owner = report.owner;
  const out = [
    `HTTP/1 differential fuzz, ${o.adapter} adapter, seed ${o.seed}, ${o.lanes} lanes: cases run ${t.run} / identical ${t.identical} / differing ${t.differing} / failing ${t.failing} (${(report.elapsedMs / 1000).toFixed(1)} s)`,
  ];
  const differing = report.results.filter((r) => r.verdict.outcome !== "identical");
  if (differing.length > 0) {
    out.push("differences, by kind (cases, examples):");
    for (const [kind, cases] of groups(differing, (r) => r.verdict.differences).slice(0, 40))
      out.push(`  ${String(cases.length).padStart(5)}  ${kind}   e.g. ${examples(cases)}`);
  }
  const failing = report.results.filter((r) => r.verdict.outcome === "failing");
  if (failing.length > 0) {
    out.push("FAILING, by kind (cases, examples):");
    for (const [kind, cases] of groups(failing, (r) => r.verdict.failures))
      out.push(`  ${String(cases.length).padStart(5)}  ${kind}   e.g. ${examples(cases)}`);
    // One case per failing kind and seed first, then the rest, up to the limit.
    const shown = [
      ...new Set(
        groups(failing, (r) => r.verdict.failures.map((f) => `${f} ${r.case.seed === "given" ? r.case.index : r.case.seed}`)).map(
          ([, cases]) => cases[0] as CaseResult,
        ),
      ),
    ];
    out.push(`failing cases (${Math.min(shown.length, options.details ?? 12)} of ${failing.length}):`);
    for (const r of shown.slice(0, options.details ?? 12)) {
      out.push(...describeInput(r.case));
      out.push(`  ${r.verdict.failures.join("; ")}`);
      out.push(describeObservation("nginx", r.nginx, owner), describeObservation("edgeproxy", r.edgeproxy, owner));
      if (r.case.seed !== "given") out.push(`  replay: ${replayCommand(report, r.case.index)}`);
    }
  }
  return out.join("\n");
}

/** Writes every case that was not identical, whole, to a JSON file in the temp directory; returns its path. */
export function writeCases(report: FuzzReport): string {
  const file = join(tmpdir(), `edgeproxy-http1-fuzz-${report.options.adapter}-seed${report.options.seed}.json`);
  const bytes = (b: Buffer) => b.toString("latin1");
  const observation = (o: ProxyObservation) => ({
    clients: o.clients.map((c) => ({ role: c.tag.role, closedByProxy: c.closedByProxy, received: bytes(c.received) })),
    upstream: o.upstream.map((e) => ({ kind: e.kind, connection: e.connection, bytes: bytes(e.bytes) })),
  });
  const cases = report.results
    .filter((r) => r.verdict.outcome !== "identical")
    .map((r) => ({
      ...(r.case.seed === "given" ? {} : { replay: replayCommand(report, r.case.index) }),
      case:
        r.case.kind === "request"
          ? { ...r.case, bytes: bytes(r.case.bytes) }
          : { ...r.case, segments: r.case.segments.map((s) => ({ delayMs: s.delayMs, bytes: bytes(s.bytes) })) },
      verdict: r.verdict,
      nginx: observation(r.nginx),
      edgeproxy: observation(r.edgeproxy),
    }));
  writeFileSync(file, JSON.stringify({ seed: report.options.seed, adapter: report.options.adapter, tally: tally(report), cases }, null, 1));
  return file;
}
