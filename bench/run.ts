/**
 * `npm run bench`: edgeproxy beside nginx and the proxies a Node or Bun user would pick, all in
 * front of one fast nginx upstream, driven by wrk in interleaved rounds. Prints, per scenario,
 * the median req/s, the ratio to nginx measured in the same round, CPU µs per request, p99
 * latency and peak RSS; then a large buffered upload (time, peak RSS, temp files left, also
 * after a client that aborts halfway); then WebSocket tunnels (bench/websocket.ts); then HTTPS,
 * new handshakes and HTTP/2 (bench/tls.ts); then the access, rate-limit and gzip modules beside
 * nginx (bench/guarded.ts).
 *
 *   npm run bench [-- --seconds 5 --rounds 3 --upload-mib 1024 --only nginx,edgeproxy --json FILE]
 *   npm run bench -- --smoke      (a few seconds; what `npm test` runs so the bench cannot rot)
 *
 * Each contender runs as one process pinned to CPU 0; wrk and the upstream share CPU 1. The
 * two-thread edgeproxy row is not pinned: it shows what `worker_processes 2` adds on this machine.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  ADAPTER_COMMANDS,
  type RunningProxy,
  startCommand,
  startEdgeproxy,
  startEdgeproxyMain,
  startNginx,
} from "../test/support/proxies.ts";
import { benchGuarded, SMOKE as GUARDED_SMOKE, type GuardedBenchOptions, printGuarded } from "./guarded.ts";
import { cpuSeconds, deletedFilesHeld, peakRssMiB, pinToCpu, resetPeakRss } from "./process-stats.ts";
import { checkAnswers, LOAD_CPU, PROXY_CPU, pinned, proxyConfig, SCENARIOS, type Scenario, startUpstream } from "./setup.ts";
import { benchTls, printTls, TLS_SMOKE, type TlsBenchOptions } from "./tls.ts";
import { tempFilesIn, upload } from "./upload.ts";
import { benchWebSockets, printWebSockets, SMOKE, type WebSocketBenchOptions } from "./websocket.ts";
import { wrk } from "./wrk.ts";

const { values: options } = parseArgs({
  options: {
    seconds: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    connections: { type: "string", default: "50" },
    "upload-mib": { type: "string" },
    only: { type: "string" },
    "no-load": { type: "boolean", default: false },
    "no-upload": { type: "boolean", default: false },
    "no-websocket": { type: "boolean", default: false },
    "no-tls": { type: "boolean", default: false },
    "no-guarded": { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const smoke = options.smoke;
// wrk counts time in whole seconds.
const seconds = Math.max(1, Math.round(Number(options.seconds ?? (smoke ? 1 : 5))));
const warmupSeconds = Math.round(Number(options.warmup ?? (smoke ? 0 : 1)));
const rounds = Number(options.rounds ?? (smoke ? 1 : 3));
const connections = Number(options.connections);
const uploadMiB = Number(options["upload-mib"] ?? (smoke ? 16 : 1024));
interface Contender {
  readonly name: string;
  /** Pinned to CPU 0 like the others, or (several threads) free to use both cores. */
  readonly pinned: boolean;
  /** Writes spool files under its `dir`/body (nginx, edgeproxy): their leftovers are counted. */
  readonly spools: boolean;
  start(upstreamPort: number): Promise<RunningProxy>;
}

const BUN = ADAPTER_COMMANDS.bun[0] as string;
const peer = (script: string, runtime: string) => (upstreamPort: number) =>
  startCommand(script, (port) => [runtime, script, String(port), `http://127.0.0.1:${upstreamPort}`]);

const CONTENDERS: Contender[] = [
  { name: "nginx, 1 worker", pinned: true, spools: true, start: (up) => startNginx(proxyConfig(up)) },
  // Two workers on two cores, which wrk and the upstream also use: the peer of edgeproxy's threads.
  { name: "nginx, 2 workers (unpinned)", pinned: false, spools: true, start: (up) => startNginx(proxyConfig(up), 2) },
  { name: "fastify + @fastify/http-proxy", pinned: true, spools: false, start: peer("bench/peers/fastify.ts", process.execPath) },
  { name: "hono proxy helper (node)", pinned: true, spools: false, start: peer("bench/peers/hono.ts", process.execPath) },
  { name: "Bun.serve + fetch", pinned: true, spools: false, start: peer("bench/peers/bun-fetch.ts", BUN) },
  { name: "node:http + undici Pool (the floor)", pinned: true, spools: false, start: peer("bench/peers/node-undici.ts", process.execPath) },
  { name: "edgeproxy node", pinned: true, spools: true, start: (up) => startEdgeproxy(proxyConfig(up), ADAPTER_COMMANDS.node) },
  {
    // Two threads on two cores, which wrk and the upstream also use: compare with care.
    name: "edgeproxy node, worker_processes 2 (unpinned)",
    pinned: false,
    spools: true,
    start: (up) => startEdgeproxyMain("worker_processes 2;", proxyConfig(up)),
  },
  { name: "edgeproxy bun", pinned: true, spools: true, start: (up) => startEdgeproxy(proxyConfig(up), ADAPTER_COMMANDS.bun) },
  {
    name: "edgeproxy bun, worker_processes 2 (unpinned)",
    pinned: false,
    spools: true,
    start: (up) => startEdgeproxyMain("worker_processes 2;", proxyConfig(up), ADAPTER_COMMANDS.bun),
  },
];

interface Sample {
  readonly rps: number;
  readonly ratio: number;
  readonly cpuUsPerRequest: number;
  readonly p99Ms: number;
  readonly peakRssMiB: number;
  readonly errors: number;
}

/** One contender in one scenario: the medians of its samples, its errors summed. */
type Row = Sample & { readonly scenario: string; readonly contender: string };

interface UploadRow {
  readonly contender: string;
  readonly status: string;
  readonly seconds: number;
  readonly mibPerSecond: number;
  readonly peakRssMiB: number;
  /** Temp files on disk plus deleted ones still held open, after a whole upload. */
  readonly tempFilesLeft: number | null;
  /** The same after a client that closed halfway through its upload. */
  readonly tempFilesLeftAfterAbort: number | null;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function measure(proxy: RunningProxy, s: Scenario, runSeconds: number): Promise<Omit<Sample, "ratio">> {
  resetPeakRss(proxy.pid);
  const cpuBefore = cpuSeconds(proxy.pid);
  const result = await wrk({
    url: `http://127.0.0.1:${proxy.port}${s.path}`,
    seconds: runSeconds,
    connections,
    bodyBytes: s.bodyBytes,
    cpu: pinned ? LOAD_CPU : null,
  });
  const cpu = cpuSeconds(proxy.pid) - cpuBefore;
  return {
    rps: result.requests / (result.durationUs / 1e6),
    cpuUsPerRequest: result.requests ? (cpu * 1e6) / result.requests : 0,
    p99Ms: result.p99Us / 1000,
    peakRssMiB: peakRssMiB(proxy.pid),
    errors: result.non2xx + result.socketErrors,
  };
}

async function loadRounds(contenders: Contender[], proxies: RunningProxy[]): Promise<Row[]> {
  const samples = SCENARIOS.map(() => contenders.map((): Sample[] => []));
  for (const s of warmupSeconds ? SCENARIOS : []) {
    for (const proxy of proxies) await measure(proxy, s, warmupSeconds);
  }
  for (let round = 0; round < rounds; round++) {
    for (const [si, s] of SCENARIOS.entries()) {
      const measured = [];
      for (const proxy of proxies) measured.push(await measure(proxy, s, seconds));
      // The ratio is taken within the round, so that drift of the machine between rounds cancels.
      const nginxRps = measured[0]?.rps ?? 0;
      for (const [ci, m] of measured.entries()) samples[si]?.[ci]?.push({ ...m, ratio: nginxRps ? m.rps / nginxRps : 0 });
      process.stderr.write(`round ${round + 1}/${rounds}: ${s.name} done\n`);
    }
  }
  return SCENARIOS.flatMap((s, si) =>
    contenders.map((c, ci) => {
      const runs = samples[si]?.[ci] ?? [];
      return {
        scenario: s.name,
        contender: c.name,
        rps: median(runs.map((r) => r.rps)),
        ratio: median(runs.map((r) => r.ratio)),
        cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
        peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
      };
    }),
  );
}

async function uploads(contenders: Contender[], proxies: RunningProxy[]): Promise<UploadRow[]> {
  const size = uploadMiB * 1024 * 1024;
  const rows: UploadRow[] = [];
  for (const [i, c] of contenders.entries()) {
    const proxy = proxies[i] as RunningProxy;
    const left = async () => {
      // A proxy removes its file when it notices the end; give it a moment to notice.
      await new Promise((r) => setTimeout(r, 300));
      const spoolDir = join(proxy.dir, "body");
      // Files still holding bytes: edgeproxy keeps emptied spool files open for later bodies.
      return c.spools ? tempFilesIn(spoolDir) + deletedFilesHeld(proxy.pid, spoolDir) : null;
    };
    resetPeakRss(proxy.pid);
    const whole = await upload(proxy.port, "/post", size);
    const peak = peakRssMiB(proxy.pid);
    const afterWhole = await left();
    await upload(proxy.port, "/post", size, size / 2);
    rows.push({
      contender: c.name,
      status: whole.status,
      seconds: whole.seconds,
      mibPerSecond: uploadMiB / whole.seconds,
      peakRssMiB: peak,
      tempFilesLeft: afterWhole,
      tempFilesLeftAfterAbort: await left(),
    });
  }
  return rows;
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0] ?? "?";
}

function printLoad(rows: Row[]): void {
  for (const s of SCENARIOS) {
    console.log(`\n${s.name} (wrk -t1 -c${connections}, ${rounds} x ${seconds} s, medians)\n`);
    console.log("| proxy | req/s | vs nginx | CPU µs/req | p99 ms | peak RSS MiB | errors |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const r of rows.filter((row) => row.scenario === s.name)) {
      console.log(
        `| ${r.contender} | ${r.rps.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.p99Ms.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} | ${r.errors} |`,
      );
    }
  }
}

function printUploads(rows: UploadRow[]): void {
  console.log(`\n${uploadMiB} MiB buffered upload, one client\n`);
  console.log("| proxy | status | time s | MiB/s | peak RSS MiB | temp files left | after an abort |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.contender} | ${r.status} | ${r.seconds.toFixed(2)} | ${r.mibPerSecond.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ${r.tempFilesLeft ?? "n/a"} | ${r.tempFilesLeftAfterAbort ?? "n/a"} |`,
    );
  }
}

const only = options.only?.split(",").map((w) => w.trim().toLowerCase());
// nginx stays first whatever `--only` says: every ratio is to it.
const contenders = CONTENDERS.filter((c, i) => i === 0 || !only || only.some((w) => c.name.toLowerCase().includes(w)));

console.log(`edgeproxy bench, ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores`);
console.log(`${version("nginx", ["-v"])}; node ${process.version}; bun ${version(BUN, ["--version"])}`);
console.log(pinned ? "each proxy pinned to CPU 0; wrk and the upstream on CPU 1" : "one core: nothing pinned");

const [upstream, drain] = (await startUpstream()) as [RunningProxy, RunningProxy];
const proxies: RunningProxy[] = [];
try {
  for (const c of contenders) {
    const proxy = await c.start(upstream.port);
    proxies.push(proxy);
    if (pinned && c.pinned) pinToCpu(proxy.pid, PROXY_CPU);
    await checkAnswers(proxy, c.name);
  }
  const load = options["no-load"] ? [] : await loadRounds(contenders, proxies);
  printLoad(load);
  const uploaded = options["no-upload"] ? [] : await uploads(contenders, proxies);
  if (uploaded.length) printUploads(uploaded);
  const tunnels: WebSocketBenchOptions = smoke ? SMOKE : { seconds, rounds, connections, sizes: [1024, 16 * 1024] };
  const websocket = options["no-websocket"] ? [] : await benchWebSockets(tunnels);
  if (websocket.length) printWebSockets(websocket, tunnels);
  const secure: TlsBenchOptions = smoke ? TLS_SMOKE : { seconds, rounds, connections };
  const tls = options["no-tls"] ? [] : await benchTls(secure);
  if (tls.length) printTls(tls, secure);
  const guardedOptions: GuardedBenchOptions = smoke ? GUARDED_SMOKE : { seconds, rounds, connections };
  const guarded = options["no-guarded"] ? [] : await benchGuarded(guardedOptions);
  if (guarded.length) printGuarded(guarded, guardedOptions);
  if (options.json) writeFileSync(options.json, JSON.stringify({ load, uploads: uploaded, websocket, tls, guarded }, null, 2));
} finally {
  for (const proxy of proxies) await proxy.stop();
  await upstream.stop();
  await drain.stop();
}
