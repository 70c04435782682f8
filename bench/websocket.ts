/**
 * WebSocket tunnels under load: nginx and edgeproxy on Node and Bun in front of one echo
 * upstream, CONNECTIONS clients each keeping one message in flight. Prints, per message size,
 * the median messages per second, the ratio to nginx in the same round, the proxy's CPU µs per
 * message and the median and p99 round trip. Run by `npm run bench`, or alone:
 *
 *   node bench/websocket.ts [-- --seconds 5 --rounds 3 --connections 50 --smoke]
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ADAPTER_COMMANDS, type RunningProxy, startCommand, startEdgeproxy, startNginx } from "../test/support/proxies.ts";
import { cpuSeconds, pinToCpu } from "./process-stats.ts";
import { LOAD_CPU, loadOptionsFromArgs, PROXY_CPU, pinned } from "./setup.ts";

export interface WebSocketBenchOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** Message sizes in bytes, each a scenario. */
  readonly sizes: readonly number[];
}

interface Sample {
  readonly messagesPerSecond: number;
  readonly ratio: number;
  readonly cpuUsPerMessage: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export type WebSocketRow = Sample & { readonly scenario: string; readonly contender: string };

const config = (upstreamPort: number) => (port: number) =>
  `
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream ws { server 127.0.0.1:${upstreamPort}; }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://ws;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }
    }`;

const CONTENDERS = [
  { name: "nginx, 1 worker", start: (up: number) => startNginx(config(up)) },
  { name: "edgeproxy node", start: (up: number) => startEdgeproxy(config(up), ADAPTER_COMMANDS.node) },
  { name: "edgeproxy bun", start: (up: number) => startEdgeproxy(config(up), ADAPTER_COMMANDS.bun) },
];

/** A few seconds: what `npm test` runs so the bench cannot rot. */
export const SMOKE: WebSocketBenchOptions = { seconds: 1, rounds: 1, connections: 10, sizes: [1024] };

const sizeName = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function measure(proxy: RunningProxy, bytes: number, o: WebSocketBenchOptions): Promise<Omit<Sample, "ratio">> {
  const load = [
    process.execPath,
    "bench/websocket-load.ts",
    String(proxy.port),
    "/echo",
    String(o.connections),
    String(o.seconds),
    String(bytes),
  ];
  const [command, ...args] = pinned ? ["taskset", "-c", String(LOAD_CPU), ...load] : load;
  const cpuBefore = cpuSeconds(proxy.pid);
  const { stdout } = await promisify(execFile)(command as string, args, { timeout: (o.seconds + 30) * 1000 });
  const cpu = cpuSeconds(proxy.pid) - cpuBefore;
  const r = JSON.parse(stdout) as { messages: number; seconds: number; p50Us: number; p99Us: number };
  return {
    messagesPerSecond: r.messages / r.seconds,
    cpuUsPerMessage: r.messages ? (cpu * 1e6) / r.messages : 0,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
  };
}

/** Runs the WebSocket scenarios in interleaved rounds; the ratio is to nginx in the same round. */
export async function benchWebSockets(o: WebSocketBenchOptions): Promise<WebSocketRow[]> {
  const upstream = await startCommand("websocket echo", (port) => [process.execPath, "bench/websocket-echo.ts", String(port)]);
  if (pinned) pinToCpu(upstream.pid, LOAD_CPU);
  const proxies: RunningProxy[] = [];
  try {
    for (const c of CONTENDERS) {
      const proxy = await c.start(upstream.port);
      proxies.push(proxy);
      if (pinned) pinToCpu(proxy.pid, PROXY_CPU);
    }
    const samples = o.sizes.map(() => CONTENDERS.map((): Sample[] => []));
    for (let round = 0; round < o.rounds; round++) {
      for (const [si, bytes] of o.sizes.entries()) {
        const measured = [];
        for (const proxy of proxies) measured.push(await measure(proxy, bytes, o));
        const nginx = measured[0]?.messagesPerSecond ?? 0;
        for (const [ci, m] of measured.entries()) samples[si]?.[ci]?.push({ ...m, ratio: nginx ? m.messagesPerSecond / nginx : 0 });
        process.stderr.write(`round ${round + 1}/${o.rounds}: WebSocket ${sizeName(bytes)} done\n`);
      }
    }
    return o.sizes.flatMap((bytes, si) =>
      CONTENDERS.map((c, ci) => {
        const runs = samples[si]?.[ci] ?? [];
        const of = (pick: (s: Sample) => number) => median(runs.map(pick));
        return {
          scenario: `WebSocket ${sizeName(bytes)} messages`,
          contender: c.name,
          messagesPerSecond: of((s) => s.messagesPerSecond),
          ratio: of((s) => s.ratio),
          cpuUsPerMessage: of((s) => s.cpuUsPerMessage),
          p50Ms: of((s) => s.p50Ms),
          p99Ms: of((s) => s.p99Ms),
        };
      }),
    );
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await upstream.stop();
  }
}

export function printWebSockets(rows: WebSocketRow[], o: WebSocketBenchOptions): void {
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    console.log(`\n${scenario} (${o.connections} connections, one message in flight each, ${o.rounds} x ${o.seconds} s, medians)\n`);
    console.log("| proxy | messages/s | vs nginx | CPU µs/message | p50 ms | p99 ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows.filter((row) => row.scenario === scenario)) {
      console.log(
        `| ${r.contender} | ${r.messagesPerSecond.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.cpuUsPerMessage.toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`,
      );
    }
  }
}

if (import.meta.main) {
  const { smoke, load } = loadOptionsFromArgs();
  const o: WebSocketBenchOptions = smoke ? SMOKE : { ...load, sizes: [1024, 16 * 1024] };
  printWebSockets(await benchWebSockets(o), o);
}
