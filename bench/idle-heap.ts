/**
 * The JavaScript heap an idle client connection holds in edgeproxy's HTTP/1 server, beyond what
 * a bare socket of the same runtime holds: N connections to each, in this process, measured
 * after a full collection. Run under the runtime to measure:
 *
 *   node --expose-gc bench/idle-heap.ts [N]      bun bench/idle-heap.ts [N]
 *
 * Prints one JSON line: bytes per connection for a bare server and for edgeproxy, for
 * connections that sent nothing yet and for keep-alive ones after one request.
 */
import net from "node:net";
import { type Config, compileConfig, type Dialer, type EdgeProxy, type Logger, parseConfigText } from "../core/index.ts";

/** The two members of the Bun adapter's server used here. */
type BunServerClass = new (
  proxy: () => EdgeProxy,
  log: Logger,
  limits: Config,
) => { listen(listens: Config["listens"]): void; close(graceMs: number): Promise<void> };

declare const Bun: { gc(force: boolean): void; listen(options: unknown): { stop(closeActive?: boolean): void } } | undefined;

const isBun = typeof Bun !== "undefined";
const n = Number(process.argv[2] ?? 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

function collect(): void {
  if (isBun) Bun?.gc(true);
  else (globalThis as { gc?: () => void }).gc?.();
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) collect();
  return process.memoryUsage().heapUsed;
}

async function open(port: number, count: number, request: boolean): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    sockets.push(
      await new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          if (!request) return resolve(s);
          s.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          s.once("data", () => resolve(s));
        });
      }),
    );
  }
  return sockets;
}

/** Bytes of heap per connection, after a warm-up batch left open. */
async function perConnection(port: number, request: boolean): Promise<number> {
  const warm = await open(port, 200, request);
  await sleep(100);
  const before = heapUsed();
  const sockets = await open(port, n, request);
  await sleep(200);
  const after = heapUsed();
  for (const s of [...warm, ...sockets]) s.destroy();
  await sleep(200);
  return (after - before) / n;
}

/** A server that only holds its sockets and answers anything with a fixed response. */
async function bare(port: number): Promise<() => void> {
  if (isBun && Bun) {
    const held = new Set<unknown>();
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s: unknown) => held.add(s),
        close: (s: unknown) => held.delete(s),
        data: (s: { write(d: string): void }) => s.write(ANSWER),
      },
    });
    return () => listener.stop(true);
  }
  const server = net.createServer((s) => {
    s.on("data", () => s.write(ANSWER));
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return () => server.close();
}

/** edgeproxy's own server for this runtime, answering `return 200` from the core. */
async function edgeproxy(port: number): Promise<() => void> {
  const config = await compileConfig(
    parseConfigText(`events {} http { server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } } }`),
  );
  const log = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };
  if (isBun) {
    const { createProxy, Http1Transport, MemoryFailureState } = await import("../core/index.ts");
    // Held in variables: the Bun adapter type-checks against Bun's types, not this file's.
    const serverModule = "../adapters/bun/server.ts";
    const dialerModule = "../adapters/bun/dialer.ts";
    const { BunServer } = (await import(serverModule)) as { BunServer: BunServerClass };
    const { bunDialer } = (await import(dialerModule)) as { bunDialer: Dialer };
    const caps = { transport: new Http1Transport(bunDialer), failures: new MemoryFailureState(), spool: null, clock: Date, log };
    const proxy = createProxy(config, caps);
    const server = new BunServer(() => proxy, log, config);
    server.listen(config.listens);
    return () => void server.close(0);
  }
  const [{ serve }, { nodePlatform }] = await Promise.all([import("../adapters/node/serve.ts"), import("../adapters/node/platform.ts")]);
  const running = await serve(nodePlatform, config, log);
  return () => void running.stop();
}

const results: Record<string, { fresh: number; afterRequest: number }> = {};
for (const [name, start] of [
  ["bare", bare],
  ["edgeproxy", edgeproxy],
] as const) {
  const port = 25_000 + Math.floor(Math.random() * 5000);
  const stop = await start(port);
  results[name] = { fresh: await perConnection(port, false), afterRequest: await perConnection(port, true) };
  stop();
}
console.log(JSON.stringify({ runtime: isBun ? "bun" : "node", connections: n, ...results }));
process.exit(0);
