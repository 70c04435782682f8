/**
 * The access, rate-limit and compression modules under load: nginx and edgeproxy on Node and
 * Bun read one config, in front of one nginx upstream. Three scenarios, measured in
 * interleaved rounds:
 *
 * - `small GET`: no checks, the base of the A/B;
 * - `small GET + allow/deny + limit_req`: the same request through `allow`, `deny` and a
 *   `limit_req` zone whose rate is never reached; its ratio to the first, taken within each
 *   round for each proxy, is what the checks cost;
 * - `64 KiB text + checks + add_header + gzip`: the same checks, two `add_header` lines and
 *   `gzip` (level 1, as nginx's default) on a 64 KiB text response, to a client that takes gzip.
 *
 * Run by `npm run bench`, or alone: node bench/guarded.ts [-- --seconds 5 --rounds 3 --smoke]
 */
import { gunzipSync } from "node:zlib";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy, startNginx } from "../test/support/proxies.ts";
import { cpuSeconds, peakRssMiB, pinToCpu, resetPeakRss } from "./process-stats.ts";
import { LOAD_CPU, loadOptionsFromArgs, PROXY_CPU, pinned, startUpstream, TEXT_64_KIB } from "./setup.ts";
import { wrk } from "./wrk.ts";

export interface GuardedBenchOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
}

interface Sample {
  readonly rps: number;
  /** To nginx in the same round. */
  readonly ratio: number;
  /** To the same proxy's `small GET` in the same round (the A/B). */
  readonly ratioToPlain: number;
  readonly cpuUsPerRequest: number;
  readonly p99Ms: number;
  readonly peakRssMiB: number;
  readonly errors: number;
  /** Bytes per response, as wrk counted them (compressed ones are smaller). */
  readonly bytesPerResponse: number;
}

export type GuardedRow = Sample & { readonly scenario: string; readonly contender: string };

const SCENARIOS = [
  { name: "small GET", path: "/", gzip: false },
  { name: "small GET + allow/deny + limit_req", path: "/guarded", gzip: false },
  { name: "64 KiB text + allow/deny + limit_req + add_header + gzip", path: "/text", gzip: true },
] as const;

const CHECKS = "allow 127.0.0.0/8; deny all; limit_req zone=bench burst=1000 nodelay;";

const config = (upstreamPort: number) => (port: number) =>
  `
    limit_req_zone $binary_remote_addr zone=bench:10m rate=1000000r/s;
    upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://backend; }
        location = /guarded { ${CHECKS} proxy_pass http://backend/; }
        location = /text {
            ${CHECKS}
            add_header X-Frame-Options DENY;
            add_header Cache-Control "public, max-age=60";
            gzip on;
            gzip_types text/plain;
            proxy_pass http://backend;
        }
    }`;

const CONTENDERS = [
  { name: "nginx, 1 worker", start: (up: number) => startNginx(config(up)) },
  { name: "edgeproxy node", start: (up: number) => startEdgeproxy(config(up), ADAPTER_COMMANDS.node) },
  { name: "edgeproxy bun", start: (up: number) => startEdgeproxy(config(up), ADAPTER_COMMANDS.bun) },
];

/** A few seconds: what `npm test` runs so the bench cannot rot. */
export const SMOKE: GuardedBenchOptions = { seconds: 1, rounds: 1, connections: 10 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Each proxy answers each scenario rightly (the text gzipped, the headers added) before it is timed. */
async function checkAnswers(proxy: RunningProxy, name: string): Promise<void> {
  for (const s of SCENARIOS) {
    const response = await fetch(`http://127.0.0.1:${proxy.port}${s.path}`, {
      headers: { "Accept-Encoding": s.gzip ? "gzip" : "identity" },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    // fetch unzips a gzipped body itself; the header says it was.
    const encoded = response.headers.get("content-encoding") === "gzip";
    const text = (encoded && bytes[0] === 0x1f ? gunzipSync(bytes) : bytes).toString("latin1");
    const expected = s.gzip ? TEXT_64_KIB : "hello world\n";
    const headersOk = !s.gzip || (encoded && response.headers.get("x-frame-options") === "DENY");
    if (response.status !== 200 || text !== expected || !headersOk) {
      throw new Error(`${name} answered ${s.name} with ${response.status}, ${text.length} bytes, encoded ${encoded}:\n${proxy.log()}`);
    }
  }
}

async function measure(
  proxy: RunningProxy,
  s: (typeof SCENARIOS)[number],
  o: GuardedBenchOptions,
): Promise<Omit<Sample, "ratio" | "ratioToPlain">> {
  resetPeakRss(proxy.pid);
  const cpuBefore = cpuSeconds(proxy.pid);
  const result = await wrk({
    url: `http://127.0.0.1:${proxy.port}${s.path}`,
    seconds: o.seconds,
    connections: o.connections,
    bodyBytes: 0,
    cpu: pinned ? LOAD_CPU : null,
    acceptGzip: s.gzip,
  });
  const cpu = cpuSeconds(proxy.pid) - cpuBefore;
  return {
    rps: result.requests / (result.durationUs / 1e6),
    cpuUsPerRequest: result.requests ? (cpu * 1e6) / result.requests : 0,
    p99Ms: result.p99Us / 1000,
    peakRssMiB: peakRssMiB(proxy.pid),
    errors: result.non2xx + result.socketErrors,
    bytesPerResponse: result.requests ? result.bytes / result.requests : 0,
  };
}

/** Runs the scenarios in interleaved rounds; ratios are taken within each round. */
export async function benchGuarded(o: GuardedBenchOptions): Promise<GuardedRow[]> {
  const [upstream, drain] = (await startUpstream()) as [RunningProxy, RunningProxy];
  const proxies: RunningProxy[] = [];
  try {
    for (const c of CONTENDERS) {
      const proxy = await c.start(upstream.port);
      proxies.push(proxy);
      if (pinned) pinToCpu(proxy.pid, PROXY_CPU);
      await checkAnswers(proxy, c.name);
    }
    const samples = SCENARIOS.map(() => CONTENDERS.map((): Sample[] => []));
    for (let round = 0; round < o.rounds; round++) {
      const measured = [];
      for (const s of SCENARIOS) {
        const row = [];
        for (const proxy of proxies) row.push(await measure(proxy, s, o));
        measured.push(row);
        process.stderr.write(`round ${round + 1}/${o.rounds}: ${s.name} done\n`);
      }
      for (const [si, row] of measured.entries()) {
        const nginx = row[0]?.rps ?? 0;
        for (const [ci, m] of row.entries()) {
          const plain = measured[0]?.[ci]?.rps ?? 0;
          samples[si]?.[ci]?.push({ ...m, ratio: nginx ? m.rps / nginx : 0, ratioToPlain: plain ? m.rps / plain : 0 });
        }
      }
    }
    return SCENARIOS.flatMap((s, si) =>
      CONTENDERS.map((c, ci) => {
        const runs = samples[si]?.[ci] ?? [];
        const of = (pick: (x: Sample) => number) => median(runs.map(pick));
        return {
          scenario: s.name,
          contender: c.name,
          rps: of((x) => x.rps),
          ratio: of((x) => x.ratio),
          ratioToPlain: of((x) => x.ratioToPlain),
          cpuUsPerRequest: of((x) => x.cpuUsPerRequest),
          p99Ms: of((x) => x.p99Ms),
          peakRssMiB: Math.max(...runs.map((x) => x.peakRssMiB)),
          errors: runs.reduce((sum, x) => sum + x.errors, 0),
          bytesPerResponse: of((x) => x.bytesPerResponse),
        };
      }),
    );
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await upstream.stop();
    await drain.stop();
  }
}

export function printGuarded(rows: GuardedRow[], o: GuardedBenchOptions): void {
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    console.log(`\n${scenario} (wrk -t1 -c${o.connections}, ${o.rounds} x ${o.seconds} s, medians)\n`);
    console.log("| proxy | req/s | vs nginx | vs its small GET | CPU µs/req | p99 ms | bytes/response | errors |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows.filter((row) => row.scenario === scenario)) {
      console.log(
        `| ${r.contender} | ${r.rps.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.ratioToPlain.toFixed(3)} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.p99Ms.toFixed(2)} | ${r.bytesPerResponse.toFixed(0)} | ${r.errors} |`,
      );
    }
  }
}

if (import.meta.main) {
  const { smoke, load } = loadOptionsFromArgs();
  const o: GuardedBenchOptions = smoke ? SMOKE : load;
  printGuarded(await benchGuarded(o), o);
}
