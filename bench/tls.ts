/**
 * HTTPS and HTTP/2 under load: nginx and edgeproxy on Node and Bun terminating TLS with the same
 * RSA 2048 certificate (nginx 1.22's default protocols: TLSv1.2, ECDHE) in front of the bench's
 * upstream. Scenarios: a small GET and a 64 KiB GET over keep-alive connections (wrk, HTTPS),
 * new handshakes (wrk with `Connection: close`, tickets off and no session cache: one full
 * handshake per request), and HTTP/2
 * (h2load: 10 connections, 10 streams each). Run by `npm run bench`, or alone:
 *
 *   node bench/tls.ts [-- --seconds 5 --rounds 3 --smoke]
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ADAPTER_COMMANDS, type RunningProxy, startCommand, startEdgeproxy, startNginx } from "../test/support/proxies.ts";
import { makeCertificates, type TestCertificates } from "../test/support/tls.ts";
import { cpuSeconds, pinToCpu } from "./process-stats.ts";
import { LOAD_CPU, loadOptionsFromArgs, PROXY_CPU, pinned, SIXTY_FOUR_KIB, startUpstream } from "./setup.ts";
import { wrk } from "./wrk.ts";

export interface TlsBenchOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
}

/** A few seconds: what `npm test` runs so the bench cannot rot. */
export const TLS_SMOKE: TlsBenchOptions = { seconds: 1, rounds: 1, connections: 10 };

interface Sample {
  readonly rps: number;
  readonly ratio: number;
  readonly cpuUsPerRequest: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export type TlsRow = Sample & { readonly scenario: string; readonly contender: string };

interface TlsScenario {
  readonly name: string;
  readonly path: string;
  readonly expected: string;
  readonly run: (port: number, o: TlsBenchOptions) => Promise<{ requests: number; seconds: number; p99Ms: number; errors: number }>;
}

const viaWrk =
  (path: string, closing: boolean) =>
  async (port: number, o: TlsBenchOptions): Promise<{ requests: number; seconds: number; p99Ms: number; errors: number }> => {
    const r = await wrk({
      url: `https://127.0.0.1:${port}${path}`,
      seconds: o.seconds,
      connections: o.connections,
      bodyBytes: 0,
      cpu: pinned ? LOAD_CPU : null,
      ...(closing ? { headers: ["Connection: close"] } : {}),
    });
    return { requests: r.requests, seconds: r.durationUs / 1e6, p99Ms: r.p99Us / 1000, errors: r.non2xx + r.socketErrors };
  };

/**
 * h2load over TLS (ALPN h2): 10 connections with 10 streams each for `seconds`. Streams cut by
 * the end of the run are not errors; answers other than 2xx and 3xx are.
 */
async function viaH2load(port: number, o: TlsBenchOptions): Promise<{ requests: number; seconds: number; p99Ms: number; errors: number }> {
  const load = ["h2load", "-c", "10", "-m", "10", "-t", "1", "-D", String(o.seconds), `https://127.0.0.1:${port}/`];
  const [command, ...args] = pinned ? ["taskset", "-c", String(LOAD_CPU), ...load] : load;
  const { stdout } = await promisify(execFile)(command as string, args, { timeout: (o.seconds + 60) * 1000 });
  const finished = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(stdout);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(stdout);
  const statuses = /status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  if (!finished || !requests || !statuses) throw new Error(`h2load said:\n${stdout}`);
  const seconds = Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1);
  return { requests: Number(requests[1]), seconds, p99Ms: 0, errors: Number(statuses[1]) + Number(statuses[2]) };
}

const SCENARIOS: TlsScenario[] = [
  { name: "HTTPS small GET, keep-alive", path: "/", expected: "hello world\n", run: viaWrk("/", false) },
  { name: "HTTPS 64 KiB GET, keep-alive", path: "/64k", expected: SIXTY_FOUR_KIB, run: viaWrk("/64k", false) },
  { name: "HTTPS new handshakes (one request each)", path: "/", expected: "hello world\n", run: viaWrk("/", true) },
  { name: "HTTP/2 small GET (h2load, 10 x 10 streams)", path: "/", expected: "hello world\n", run: viaH2load },
];

/** nginx and edgeproxy read the same file: TLS with HTTP/2 on one address, upstream keepalive. */
export const tlsConfig = (certs: TestCertificates, upstreamPort: number) => (port: number) =>
  `
    # Keep-alive scenarios measure requests, not the handshakes of reconnecting clients.
    keepalive_requests 10000000;
    upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
    server {
        listen 127.0.0.1:${port} ssl http2;
        ssl_certificate ${certs.path("default.crt")};
        ssl_certificate_key ${certs.path("default.key")};
        # Every new connection a full handshake: wrk would otherwise resume by ticket.
        ssl_session_tickets off;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }`;

const CONTENDERS = [
  { name: "nginx, 1 worker", start: (c: TestCertificates, up: number) => startNginx(tlsConfig(c, up)) },
  {
    name: "node:http2 secure server (allowHTTP1) + undici Pool (the floor)",
    start: (c: TestCertificates, up: number) =>
      startCommand("node tls floor", (port) => [
        process.execPath,
        "bench/peers/node-tls-undici.ts",
        String(port),
        `http://127.0.0.1:${up}`,
        c.path("default.crt"),
        c.path("default.key"),
      ]),
  },
  { name: "edgeproxy node", start: (c: TestCertificates, up: number) => startEdgeproxy(tlsConfig(c, up), ADAPTER_COMMANDS.node) },
  { name: "edgeproxy bun", start: (c: TestCertificates, up: number) => startEdgeproxy(tlsConfig(c, up), ADAPTER_COMMANDS.bun) },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function measure(proxy: RunningProxy, s: TlsScenario, o: TlsBenchOptions): Promise<Omit<Sample, "ratio">> {
  const before = cpuSeconds(proxy.pid);
  const r = await s.run(proxy.port, o);
  const cpu = cpuSeconds(proxy.pid) - before;
  return { rps: r.requests / r.seconds, cpuUsPerRequest: r.requests ? (cpu * 1e6) / r.requests : 0, p99Ms: r.p99Ms, errors: r.errors };
}

/** One request per scenario over HTTPS: a contender that answers wrongly is not timed. */
async function checkAnswers(proxy: RunningProxy, name: string): Promise<void> {
  const { tlsRequest } = await import("../test/support/tls.ts");
  for (const s of SCENARIOS) {
    const { response } = await tlsRequest(proxy.port, `GET ${s.path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
    if (response.status !== 200 || response.body.toString() !== s.expected) {
      throw new Error(`${name} answered ${s.name} with ${response.status}:\n${proxy.log()}`);
    }
  }
}

/** Runs the TLS scenarios in interleaved rounds; the ratio is to nginx in the same round. */
export async function benchTls(o: TlsBenchOptions): Promise<TlsRow[]> {
  const certs = makeCertificates();
  const [upstream, drain] = (await startUpstream()) as [RunningProxy, RunningProxy];
  const proxies: RunningProxy[] = [];
  try {
    for (const c of CONTENDERS) {
      const proxy = await c.start(certs, upstream.port);
      proxies.push(proxy);
      if (pinned) pinToCpu(proxy.pid, PROXY_CPU);
      await checkAnswers(proxy, c.name);
    }
    const samples = SCENARIOS.map(() => CONTENDERS.map((): Sample[] => []));
    for (let round = 0; round < o.rounds; round++) {
      for (const [si, s] of SCENARIOS.entries()) {
        const measured = [];
        for (const proxy of proxies) measured.push(await measure(proxy, s, o));
        const nginx = measured[0]?.rps ?? 0;
        for (const [ci, m] of measured.entries()) samples[si]?.[ci]?.push({ ...m, ratio: nginx ? m.rps / nginx : 0 });
        process.stderr.write(`round ${round + 1}/${o.rounds}: ${s.name} done\n`);
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
          cpuUsPerRequest: of((x) => x.cpuUsPerRequest),
          p99Ms: of((x) => x.p99Ms),
          errors: runs.reduce((sum, x) => sum + x.errors, 0),
        };
      }),
    );
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await upstream.stop();
    await drain.stop();
    certs.remove();
  }
}

export function printTls(rows: TlsRow[], o: TlsBenchOptions): void {
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    console.log(`\n${scenario} (${o.connections} connections for wrk, ${o.rounds} x ${o.seconds} s, medians)\n`);
    console.log("| proxy | req/s | vs nginx | CPU µs/req | p99 ms | errors |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows.filter((row) => row.scenario === scenario)) {
      console.log(
        `| ${r.contender} | ${r.rps.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.p99Ms ? r.p99Ms.toFixed(2) : "n/a"} | ${r.errors} |`,
      );
    }
  }
}

if (import.meta.main) {
  const { smoke, load } = loadOptionsFromArgs();
  const o: TlsBenchOptions = smoke ? TLS_SMOKE : load;
  printTls(await benchTls(o), o);
}
