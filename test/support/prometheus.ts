import { spawnSync } from "node:child_process";

/**
 * Prometheus's own parser and linter on an exposition: `promtool check metrics` (Debian's
 * `prometheus` package) reads it as Prometheus would scrape it. Its complaints, or "" when
 * there are none. A missing promtool fails the test, as a missing nginx does.
 */
export function promtoolProblems(exposition: string): string {
  const run = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  if (run.error) throw new Error(`promtool (apt-get install prometheus) is needed to check the metrics page: ${run.error.message}`);
  return run.status === 0 ? "" : `${run.stdout}${run.stderr}`.trim() || `promtool exited with ${run.status}`;
}

/** One sample line of an exposition already checked by promtool. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of an exposition, in order (comments skipped); label values unescaped. */
export function samples(exposition: string): Sample[] {
  const out: Sample[] = [];
  for (const line of exposition.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with this name whose labels include `labels`; throws unless exactly one matches. */
export function value(all: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return (found[0] as Sample).value;
}

/**
 * What every histogram of an exposition must hold and promtool does not check: buckets in
 * increasing `le` order ending at +Inf, counts that never fall, the +Inf bucket equal to
 * `_count`. The problems found, or none.
 */
export function histogramProblems(all: readonly Sample[]): string[] {
  const problems: string[] = [];
  const series = new Map<string, Sample[]>();
  for (const s of all) {
    if (!s.name.endsWith("_bucket")) continue;
    const { le: _, ...rest } = s.labels;
    const key = `${s.name.slice(0, -7)}${JSON.stringify(rest)}`;
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    const bounds = buckets.map((b) => (b.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(b.labels.le)));
    if (bounds.some((b, i) => i > 0 && b <= (bounds[i - 1] as number)) || bounds.at(-1) !== Number.POSITIVE_INFINITY) {
      problems.push(`${key}: bounds ${bounds.join(" ")}`);
    }
    if (buckets.some((b, i) => i > 0 && b.value < (buckets[i - 1] as Sample).value)) problems.push(`${key}: counts fall`);
    const name = key.slice(0, key.indexOf("{"));
    const labels = JSON.parse(key.slice(key.indexOf("{"))) as Record<string, string>;
    const count = value(all, `${name}_count`, labels);
    if ((buckets.at(-1) as Sample).value !== count) problems.push(`${key}: +Inf ${(buckets.at(-1) as Sample).value} but _count ${count}`);
  }
  return problems;
}
