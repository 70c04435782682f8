import net from "node:net";
import { ADAPTER_COMMANDS, freePort, type RunningProxy, startEdgeproxy, startNginx } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";
import { type FuzzClientRecord, playCase } from "./case-runner.ts";
import { buildCase, type FuzzCase } from "./cases.ts";
import { compareCase, type ProxyObservation, type TokenOwner, type Verdict } from "./compare.ts";
import type { Patience } from "./fuzz-client.ts";
import { Ledger, TOKEN_PLACEHOLDER } from "./ledger.ts";
import { type RecordingBackend, type ReplyPlan, startRecordingBackend, type UpstreamEntry } from "./recording-backend.ts";

/**
 * One differential fuzz run: nginx and edgeproxy each in front of their own recording backend,
 * the same cases played against both at once on parallel lanes (a server block and an upstream
 * of its own per lane, so cases on different lanes never share an upstream connection), every
 * case's observations compared once the run is over (late arrivals still reach their case).
 */

export interface FuzzOptions {
  readonly seed: number;
  /** Case indexes 0 .. cases-1, unless `only` names some, or `given` brings its own cases. */
  readonly cases: number;
  readonly only?: readonly number[];
  /** Cases written by hand (a reproducer being narrowed down), indexed 0, 1, ... */
  readonly given?: readonly FuzzCase[];
  readonly adapter: "node" | "bun";
  /** Cases played at the same time (each on its own server block and upstream). */
  readonly lanes: number;
  readonly patience: Patience;
  /** Progress lines (every few hundred cases); none by default. */
  readonly progress?: (line: string) => void;
}

export interface CaseResult {
  readonly case: FuzzCase;
  readonly verdict: Verdict;
  readonly nginx: ProxyObservation;
  readonly edgeproxy: ProxyObservation;
}

export interface FuzzReport {
  readonly options: FuzzOptions;
  readonly results: readonly CaseResult[];
  readonly elapsedMs: number;
  /** Who each response token was written for. */
  readonly owner: TokenOwner;
}

/** Default waits: a proxy that sent nothing for 250 ms is done with a case; no case waits longer than 4 s. */
export const DEFAULT_PATIENCE: Patience = { quietMs: 250, capMs: 4000, gapMs: 1 };

/** After a case, how long its backends get to receive the last bytes before its lane's upstream connections are closed. */
const CASE_SETTLE_MS = 30;
/** After that close, how long the proxies get to notice it before the lane's next case. */
const POOL_RESET_MS = 20;

const PROXIES = ["nginx", "edgeproxy"] as const;
type ProxyName = (typeof PROXIES)[number];

/** The config both proxies read: per lane, a server that proxies to a keepalive upstream, and under /nk/ to one without keepalive. */
export function fuzzConfig(listenPorts: readonly number[], backendPorts: readonly number[]): string {
  const lanes = listenPorts.map(
    (port, i) => `
    upstream fz${i} { server 127.0.0.1:${backendPorts[i]}; keepalive 1; }
    upstream fz${i}nk { server 127.0.0.1:${backendPorts[i]}; }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://fz${i};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Fuzz-Client $remote_port;
        }
        location /nk/ {
            proxy_pass http://fz${i}nk;
            proxy_set_header X-Fuzz-Client $remote_port;
        }
    }`,
  );
  return `
    client_header_timeout 1s;
    client_body_timeout 1s;
    proxy_connect_timeout 1s;
    proxy_send_timeout 1s;
    proxy_read_timeout 1s;
${lanes.join("\n")}`;
}

/** Runs the cases and compares them; the proxies and backends live for the run. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const ledger = new Ledger();
  const cases = new Map<number, FuzzCase>();
  const scripted = new Set<string>();
  const backends = {} as Record<ProxyName, RecordingBackend>;
  for (const name of PROXIES) {
    const caseOf = (lane: number, port: number | null) => ledger.clientAt(name, lane, port)?.caseIndex;
    backends[name] = await startRecordingBackend(options.lanes, replier(name, cases, scripted, ledger), caseOf);
  }
  const proxies = {} as Record<ProxyName, { proxy: RunningProxy; ports: number[] }>;
  try {
    proxies.nginx = await startProxy("nginx", options, backends.nginx);
    proxies.edgeproxy = await startProxy("edgeproxy", options, backends.edgeproxy);
    const indexes = options.given?.map((c) => c.index) ?? options.only ?? Array.from({ length: options.cases }, (_, i) => i);
    const caseAt = (index: number) => options.given?.[index] ?? buildCase(options.seed, index);
    let done = 0;
    const clients = new Map<number, Record<ProxyName, FuzzClientRecord[]>>();
    let next = 0;
    const lane = async (laneIndex: number) => {
      while (next < indexes.length) {
        const index = indexes[next++] as number;
        const c = caseAt(index);
        cases.set(index, c);
        for (const name of PROXIES) backends[name].laneCase[laneIndex] = index;
        const [n, e] = await Promise.all(
          PROXIES.map((name) =>
            playCase(name, { index: laneIndex, port: proxies[name].ports[laneIndex] as number }, c, ledger, options.patience),
          ),
        );
        clients.set(index, { nginx: n as FuzzClientRecord[], edgeproxy: e as FuzzClientRecord[] });
        if (++done % 500 === 0)
          options.progress?.(`${done} of ${indexes.length} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`);
        await sleep(CASE_SETTLE_MS);
        for (const name of PROXIES) backends[name].resetLane(laneIndex);
        await sleep(POOL_RESET_MS);
      }
    };
    await Promise.all(Array.from({ length: options.lanes }, (_, i) => lane(i)));
    await sleep(CASE_SETTLE_MS);
    const upstream = { nginx: byCase(backends.nginx.entries), edgeproxy: byCase(backends.edgeproxy.entries) };
    const owner = (token: number) => ledger.tokenOwner(token);
    const results = indexes.map((index) => {
      const c = cases.get(index) as FuzzCase;
      const seen = clients.get(index) as Record<ProxyName, FuzzClientRecord[]>;
      const observe = (name: ProxyName): ProxyObservation => ({ clients: seen[name], upstream: upstream[name].get(index) ?? [] });
      const nginx = observe("nginx");
      const edgeproxy = observe("edgeproxy");
      return { case: c, verdict: compareCase(c, nginx, edgeproxy, owner), nginx, edgeproxy };
    });
    return { options, results, elapsedMs: performance.now() - started, owner };
  } finally {
    await Promise.all(Object.values(proxies).map((p) => p.proxy.stop()));
    await Promise.all(Object.values(backends).map((b) => b.close()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startProxy(
  name: ProxyName,
  options: FuzzOptions,
  backend: RecordingBackend,
): Promise<{ proxy: RunningProxy; ports: number[] }> {
  const extra = await Promise.all(Array.from({ length: options.lanes - 1 }, () => freePort()));
  let ports: number[] = [];
  const config = (port: number) => {
    ports = [port, ...extra];
    return fuzzConfig(ports, backend.ports);
  };
  const proxy = name === "nginx" ? await startNginx(config) : await startEdgeproxy(config, ADAPTER_COMMANDS[options.adapter]);
  // The start waits for the first port only.
  await waitFor(async () => (await Promise.all(ports.map(accepts))).every(Boolean));
  return { proxy, ports };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

function byCase(entries: readonly UpstreamEntry[]): Map<number, UpstreamEntry[]> {
  const out = new Map<number, UpstreamEntry[]>();
  for (const entry of entries) out.set(entry.caseIndex, [...(out.get(entry.caseIndex) ?? []), entry]);
  return out;
}

/**
 * How a backend answers: the first request of a response case gets the case's script, every
 * other request an ordinary response carrying a token for the client the proxy named.
 */
function replier(name: ProxyName, cases: ReadonlyMap<number, FuzzCase>, scripted: Set<string>, ledger: Ledger) {
  return (entry: UpstreamEntry, request: { method: string }): ReplyPlan => {
    const index = entry.caseIndex;
    const c = cases.get(index);
    const token = ledger.issueToken(name, entry.lane, entry.clientPort);
    if (c?.kind === "response" && !scripted.has(`${name}:${index}`)) {
      scripted.add(`${name}:${index}`);
      const fill = (bytes: Buffer) => Buffer.from(bytes.toString("latin1").replaceAll(TOKEN_PLACEHOLDER, token), "latin1");
      return { segments: c.segments.map((s) => ({ bytes: fill(s.bytes), delayMs: s.delayMs })), close: c.close };
    }
    const head = `HTTP/1.1 200 OK\r\nContent-Length: ${token.length + 1}\r\nX-Token: ${token}\r\n\r\n`;
    return {
      segments: [{ bytes: Buffer.from(request.method === "HEAD" ? head : `${head}${token}\n`, "latin1"), delayMs: 0 }],
      close: false,
    };
  };
}
