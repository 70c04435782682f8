/**
 * `npm run bench:profile [-- --scenario "small GET" --seconds 5 --tls]`: where edgeproxy's CPU time
 * per request goes on Node (`--tls`: over HTTPS, with bench/tls.ts's certificate and config;
 * `--close`: a new connection for every request, so over HTTPS a full handshake each). Runs the Node adapter under `--cpu-prof` in the bench's setup (one
 * core, upstream keepalive), drives one scenario with wrk, and splits the measured CPU µs per
 * request over the kinds of work the profile's samples fall in.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy } from "../test/support/proxies.ts";
import { makeCertificates } from "../test/support/tls.ts";
import { cpuSeconds, pinToCpu } from "./process-stats.ts";
import { checkAnswers, LOAD_CPU, PROXY_CPU, pinned, proxyConfig, SCENARIOS, startUpstream } from "./setup.ts";
import { tlsConfig } from "./tls.ts";
import { wrk } from "./wrk.ts";

const { values: options } = parseArgs({
  options: {
    scenario: { type: "string", default: "small GET" },
    seconds: { type: "string", default: "5" },
    adapter: { type: "string", default: "node" },
    tls: { type: "boolean", default: false },
    close: { type: "boolean", default: false },
  },
});
const scenario = SCENARIOS.find((s) => s.name === options.scenario);
if (!scenario) throw new Error(`no scenario "${options.scenario}": ${SCENARIOS.map((s) => s.name).join(", ")}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The kind of work a sampled frame is, by the file it is in (native frames by name). */
function kindOf(frame: ProfileNode["callFrame"]): string | null {
  const { url, functionName } = frame;
  if (functionName === "(idle)") return null;
  if (/modules\/|bootstrap|amaro|compile/.test(url)) return null; // loading, before the load
  if (functionName === "(garbage collector)") return "garbage collection";
  if (url === "" && /^(writev|writeBuffer|writeUtf8String|writeLatin1String|read|readStart|close|shutdown|accept4?)$/.test(functionName)) {
    return "socket reads and writes (kernel and Node's native stream layer)";
  }
  if (url === "" && /^(encOut|clearOut|clearIn|receive|start|_start|setSession|getSession|verifyError)$/.test(functionName)) {
    return "TLS records and handshakes (OpenSSL, through Node's TLSWrap)";
  }
  if (/node:(_tls|internal\/tls|tls)/.test(url)) return "node:tls (TLSSocket, its stream glue)";
  if (url.includes("/core/")) return "edgeproxy core (routing, shaping, balancing)";
  if (url.includes("/adapters/node/")) return "edgeproxy Node adapter (server glue, upstream client)";
  if (url.includes("/adapters/bun/")) return "edgeproxy Bun adapter (server glue)";
  if (/node:(_http|internal\/http)/.test(url)) return "node:http (parser glue, IncomingMessage, ServerResponse)";
  if (url.startsWith("node:")) return "Node streams, events, timers, buffers";
  return "V8 and native glue (program, microtasks, other)";
}

const BUN = ADAPTER_COMMANDS.bun[0] as string;
const upstream = await startUpstream();
const dir = mkdtempSync(join(tmpdir(), "edgeproxy-prof-"));
const profiled: Record<string, string[]> = {
  node: [process.execPath, "--cpu-prof", "--cpu-prof-dir", dir, "adapters/node"],
  bun: [BUN, "--cpu-prof", "--cpu-prof-dir", dir, "adapters/bun"],
};
const command = profiled[options.adapter];
if (!command) throw new Error(`no adapter "${options.adapter}": node, bun`);
const certs = options.tls ? makeCertificates() : null;
const config = certs ? tlsConfig(certs, (upstream[0] as RunningProxy).port) : proxyConfig((upstream[0] as RunningProxy).port);
const proxy: RunningProxy = await startEdgeproxy(config, command);
let requests = 0;
let cpuUs = 0;
try {
  if (pinned) pinToCpu(proxy.pid, PROXY_CPU);
  if (!certs) await checkAnswers(proxy, "edgeproxy");
  const run = (seconds: number) =>
    wrk({
      url: `${certs ? "https" : "http"}://127.0.0.1:${proxy.port}${scenario.path}`,
      seconds,
      connections: 50,
      bodyBytes: scenario.bodyBytes,
      cpu: pinned ? LOAD_CPU : null,
      ...(options.close ? { headers: ["Connection: close"] } : {}),
    });
  await run(2);
  const before = cpuSeconds(proxy.pid);
  const result = await run(Number(options.seconds));
  cpuUs = (cpuSeconds(proxy.pid) - before) * 1e6;
  requests = result.requests;
  console.log(
    `${scenario.name}: ${(result.requests / (result.durationUs / 1e6)).toFixed(0)} req/s, ${(cpuUs / requests).toFixed(1)} µs CPU per request (profiler on)`,
  );
} finally {
  await proxy.stop();
  for (const p of upstream) await p.stop();
  certs?.remove();
}

// The profile covers the whole life of the process; the warm-up and measured runs dominate it.
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const kinds = new Map<string, number>();
const functions = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  const kind = kindOf(frame);
  if (kind === null) return;
  const dt = profile.timeDeltas[i] ?? 0;
  busy += dt;
  kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
  const where = frame.url ? `${frame.url.replace(/^.*\/(core|adapters)\//, "$1/")}:${frame.lineNumber + 1}` : "native";
  const name = `${frame.functionName || "(anonymous)"} ${where}`;
  functions.set(name, (functions.get(name) ?? 0) + dt);
});
const perRequest = cpuUs / requests;
console.log("\n| where | share | µs per request |\n|---|---:|---:|");
for (const [kind, t] of [...kinds].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${kind} | ${((100 * t) / busy).toFixed(0)}% | ${((perRequest * t) / busy).toFixed(1)} |`);
}
console.log("\nbusiest functions (self time):");
for (const [name, t] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${((100 * t) / busy).toFixed(1).padStart(5)}%  ${name}`);
}
