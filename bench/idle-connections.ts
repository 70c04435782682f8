/**
 * What an idle client connection costs each server, beyond the socket itself: N connections are
 * opened to a bare node:net (or Bun.listen) server that only holds its sockets, to nginx, and to
 * edgeproxy, each in a process of its own, and each one's RSS growth over them is divided by N.
 * Two kinds of idleness: connections that have sent nothing yet, and keep-alive connections after
 * one request.
 *
 *   node bench/idle-connections.ts [--connections 2000] [--adapter node|bun] [--json]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");

export interface IdleCost {
  readonly server: string;
  /** Bytes of RSS per connection that sent nothing yet. */
  readonly fresh: number;
  /** Bytes of RSS per keep-alive connection after one request. */
  readonly afterRequest: number;
}

interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly pid: number;
}

/** RSS of a process, in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on ${port}`);
}

const BARE_NODE = `const net = require("node:net"); const held = new Set();
net.createServer((s) => { held.add(s); s.on("close", () => held.delete(s)); s.on("error", () => {}); s.on("data", () => s.write("HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")); }).listen(Number(process.argv[1]), "127.0.0.1");`;
const BARE_BUN = `const held = new Set();
Bun.listen({ hostname: "127.0.0.1", port: Number(process.argv.at(-1)), socket: { open(s) { held.add(s); }, close(s) { held.delete(s); }, data(s) { s.write("HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"); } } });`;

async function start(name: string, command: string[], port: number): Promise<Server> {
  const [cmd, ...args] = command as [string, ...string[]];
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  await waitFor(port);
  return { name, port, child, pid: child.pid as number };
}

function config(dir: string, port: number): string {
  const file = join(dir, `idle-${port}.conf`);
  writeFileSync(
    file,
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx-${port}.pid; error_log ${dir}/error-${port}.log;
events { worker_connections 10000; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } } }`,
  );
  return file;
}

/** Opens `n` connections; with `request`, each sends one keep-alive request and reads its answer. */
async function open(port: number, n: number, request: boolean): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => {
      return new Promise<net.Socket>((resolveSocket, reject) => {
        const s = net.connect(port, "127.0.0.1");
        s.on("error", reject);
        s.on("connect", () => {
          if (!request) return resolveSocket(s);
          s.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
          s.once("data", () => resolveSocket(s));
        });
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

/**
 * RSS growth per connection, as a slope: a first batch of connections is opened and left open
 * (it grows what a burst grows once, such as the young generation of a JavaScript heap), then
 * `n` more in five steps; the cost is the median step's growth per connection. RSS moves in
 * pages and heap chunks, so one before/after pair is noise at this scale; five steps are not.
 */
async function costPerConnection(server: Server, n: number, request: boolean): Promise<number> {
  const settled = async () => {
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(200);
      samples.push(rssOf(server.pid));
    }
    return samples.sort((a, b) => a - b)[1] as number;
  };
  const held = await open(server.port, Math.max(500, n / 2), request);
  const step = Math.ceil(n / 5);
  const slopes: number[] = [];
  let before = await settled();
  for (let i = 0; i < 5; i++) {
    held.push(...(await open(server.port, step, request)));
    const after = await settled();
    slopes.push((after - before) / step);
    before = after;
  }
  for (const s of held) s.destroy();
  return slopes.sort((a, b) => a - b)[2] as number;
}

/** The servers measured, as commands that listen on the port they are given. */
function contenders(adapter: "node" | "bun", dir: string): [string, (port: number) => string[]][] {
  const nodeBin = process.execPath;
  const bun = join(ROOT, "node_modules/.bin/bun");
  return [
    adapter === "node"
      ? ["bare node:net socket", (port) => [nodeBin, "-e", BARE_NODE, String(port)]]
      : ["bare Bun.listen socket", (port) => [bun, "-e", BARE_BUN, "--", String(port)]],
    ["nginx 1.22", (port) => ["nginx", "-p", `${dir}/`, "-c", config(dir, port)]],
    adapter === "node"
      ? ["edgeproxy, node", (port) => [nodeBin, "adapters/node", "-c", config(dir, port)]]
      : ["edgeproxy, bun", (port) => [bun, "run", "adapters/bun", "-c", config(dir, port)]],
  ];
}

/** Each server and kind of idleness in a process of its own: RSS never gives freed memory back. */
export async function measureIdle(n: number, adapter: "node" | "bun"): Promise<IdleCost[]> {
  const dir = mkdtempSync(join(tmpdir(), "edgeproxy-idle-"));
  const costs: IdleCost[] = [];
  for (const [name, command] of contenders(adapter, dir)) {
    const cost = async (request: boolean) => {
      const port = await freePort();
      const server = await start(name, command(port), port);
      try {
        return await costPerConnection(server, n, request);
      } finally {
        server.child.kill();
      }
    };
    costs.push({ server: name, fresh: await cost(false), afterRequest: await cost(true) });
  }
  return costs;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { connections: { type: "string", default: "2000" }, adapter: { type: "string", default: "node" }, json: { type: "boolean" } },
  });
  const costs = await measureIdle(Number(values.connections), values.adapter === "bun" ? "bun" : "node");
  if (values.json) console.log(JSON.stringify(costs));
  else {
    const bare = costs[0] as IdleCost;
    console.log(`${values.connections} idle connections, RSS per connection (beyond the bare socket in parentheses):`);
    for (const c of costs) {
      const beyond = (x: number, b: number) => (c === bare || c.server.startsWith("nginx") ? "" : ` (${((x - b) / 1024).toFixed(1)} KiB)`);
      console.log(
        `  ${c.server.padEnd(24)} fresh ${(c.fresh / 1024).toFixed(1)} KiB${beyond(c.fresh, bare.fresh)}   after a request ${(c.afterRequest / 1024).toFixed(1)} KiB${beyond(c.afterRequest, bare.afterRequest)}`,
      );
    }
  }
}
