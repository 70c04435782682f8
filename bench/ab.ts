/**
 * A/B of edgeproxy checkouts (or Node flags) in one run: each variant's Node adapter in front of
 * the bench's upstream, pinned to the proxy's core, measured in interleaved rounds so that the
 * machine's drift falls on all of them alike. Prints the median req/s and CPU µs per request and
 * the peak RSS of each, per scenario.
 *
 *   node bench/ab.ts DIR[,NODE_FLAG...] DIR[,NODE_FLAG...] ...   (DIR: a checkout, e.g. a git worktree)
 *   ONLY="small GET" node bench/ab.ts /tmp/before . .,--max-semi-space-size=4
 */
import { type RunningProxy, startEdgeproxy } from "../test/support/proxies.ts";
import { cpuSeconds, peakRssMiB, pinToCpu, resetPeakRss } from "./process-stats.ts";
import { LOAD_CPU, PROXY_CPU, proxyConfig, SCENARIOS, startUpstream } from "./setup.ts";
import { wrk } from "./wrk.ts";

const ROUNDS = 3;
const SECONDS = 5;
const scenarios = SCENARIOS.filter((s) => !process.env.ONLY || s.name === process.env.ONLY);
const variants = process.argv.slice(2).map((arg) => {
  const [dir = ".", ...flags] = arg.split(",");
  return { name: arg, dir, flags };
});
if (variants.length === 0) throw new Error("usage: node bench/ab.ts DIR[,NODE_FLAG...] ...");

interface Samples {
  rps: number[];
  cpuUs: number[];
  rssMiB: number[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const [upstream, drain] = await startUpstream();
if (!upstream || !drain) throw new Error("the bench upstream did not start");
for (const u of [upstream, drain]) pinToCpu(u.pid, LOAD_CPU);
const running: { name: string; proxy: RunningProxy; samples: Map<string, Samples> }[] = [];
try {
  // Started one by one inside the try: a checkout that fails to start stops the ones before it.
  for (const v of variants) {
    const proxy = await startEdgeproxy(proxyConfig(upstream.port), [process.execPath, ...v.flags, `${v.dir}/adapters/node`]);
    running.push({ name: v.name, proxy, samples: new Map() });
    pinToCpu(proxy.pid, PROXY_CPU);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      for (const v of running) {
        const url = `http://127.0.0.1:${v.proxy.port}${s.path}`;
        await wrk({ url, connections: 50, seconds: 1, bodyBytes: s.bodyBytes, cpu: LOAD_CPU });
        resetPeakRss(v.proxy.pid);
        const cpuBefore = cpuSeconds(v.proxy.pid);
        const r = await wrk({ url, connections: 50, seconds: SECONDS, bodyBytes: s.bodyBytes, cpu: LOAD_CPU });
        const samples = v.samples.get(s.name) ?? { rps: [], cpuUs: [], rssMiB: [] };
        samples.rps.push(r.requests / (r.durationUs / 1e6));
        samples.cpuUs.push(((cpuSeconds(v.proxy.pid) - cpuBefore) * 1e6) / r.requests);
        samples.rssMiB.push(peakRssMiB(v.proxy.pid));
        v.samples.set(s.name, samples);
      }
    }
  }
  console.log(`| scenario | variant | req/s | CPU µs/req | peak RSS MiB |\n|---|---|---:|---:|---:|`);
  for (const s of scenarios) {
    for (const v of running) {
      const m = v.samples.get(s.name);
      if (!m) continue;
      console.log(
        `| ${s.name} | ${v.name} | ${Math.round(median(m.rps))} | ${median(m.cpuUs).toFixed(1)} | ${Math.max(...m.rssMiB).toFixed(0)} |`,
      );
    }
  }
} finally {
  for (const v of running) await v.proxy.stop();
  await upstream.stop();
  await drain.stop();
}
