/**
 * A/B of edgeproxy checkouts (or Node flags) in one run: each variant's Node adapter in front of
 * the bench's upstream, pinned to the proxy's core, measured in interleaved rounds so that the
 * machine's drift falls on all of them alike. Prints the median req/s and CPU µs per request and
 * the peak RSS of each, per scenario.
 *
 *   node bench/ab.ts DIR[,NODE_FLAG...] DIR[,NODE_FLAG...] ...   (DIR: a checkout, e.g. a git worktree)
 *   ONLY="small GET" node bench/ab.ts /tmp/before . .,--max-semi-space-size=4
 *   RUNTIME=bun node bench/ab.ts /tmp/before .                   (the Bun adapter of each checkout)
 *   ONLY=upload UPLOAD_MIB=1024 node bench/ab.ts /tmp/before .   (buffered uploads: MiB/s, RSS growth)
 */
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy } from "../test/support/proxies.ts";
import { cpuSeconds, peakRssMiB, pinToCpu, resetPeakRss, rssMiB } from "./process-stats.ts";
import { LOAD_CPU, PROXY_CPU, proxyConfig, SCENARIOS, startUpstream } from "./setup.ts";
import { upload } from "./upload.ts";
import { wrk } from "./wrk.ts";

const ROUNDS = 3;
const SECONDS = 5;
const scenarios = SCENARIOS.filter((s) => !process.env.ONLY || s.name === process.env.ONLY);
/** MiB of each buffered upload, measured after the load scenarios when ONLY is unset or "upload". */
const uploadMiB = Number(process.env.UPLOAD_MIB ?? 1024);
const uploads = !process.env.ONLY || process.env.ONLY === "upload";
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
    const command =
      process.env.RUNTIME === "bun"
        ? [ADAPTER_COMMANDS.bun[0] as string, ...v.flags, `${v.dir}/adapters/bun`]
        : [process.execPath, ...v.flags, `${v.dir}/adapters/node`];
    const proxy = await startEdgeproxy(proxyConfig(upstream.port), command);
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
    if (!uploads) continue;
    for (const v of running) {
      // Growth over the RSS just before, whatever the load scenarios left behind.
      const before = rssMiB(v.proxy.pid);
      resetPeakRss(v.proxy.pid);
      const r = await upload(v.proxy.port, "/post", uploadMiB * 1024 * 1024);
      const samples = v.samples.get("upload") ?? { rps: [], cpuUs: [], rssMiB: [] };
      samples.rps.push(uploadMiB / r.seconds);
      samples.rssMiB.push(peakRssMiB(v.proxy.pid) - before);
      v.samples.set("upload", samples);
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
  if (uploads) {
    console.log(`\n| ${uploadMiB} MiB upload | MiB/s, each round | RSS growth over the RSS before it, MiB, each round |\n|---|---|---|`);
    for (const v of running) {
      const m = v.samples.get("upload");
      if (m) console.log(`| ${v.name} | ${m.rps.map((x) => x.toFixed(0)).join(", ")} | ${m.rssMiB.map((x) => x.toFixed(0)).join(", ")} |`);
    }
  }
} finally {
  for (const v of running) await v.proxy.stop();
  await upstream.stop();
  await drain.stop();
}
