import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root, for starting adapters as a user would. */
export const ROOT = resolve(import.meta.dirname, "../..");

/** A proxy process under test: nginx (the oracle) or an edgeproxy adapter. */
export interface RunningProxy {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** What the process wrote to stderr (edgeproxy) or its error log (nginx). */
  log(): string;
  stop(): Promise<void>;
}

/** Ports this test process handed out already: never twice. */
const handedOut = new Set<number>();

/**
 * A free loopback TCP port for a server to bind later. Below Linux's ephemeral range (32768+),
 * which port-0 binds and outgoing connections use, and in a slice of its own for each vitest
 * worker, so that nothing else takes it between this check and the proxy's bind (wrangler
 * takes seconds to get there).
 */
export async function freePort(): Promise<number> {
  const slice = Number(process.env.VITEST_POOL_ID ?? 0) % 4;
  for (;;) {
    const port = 20_000 + slice * 3000 + Math.floor(Math.random() * 3000);
    if (handedOut.has(port)) continue;
    const server = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (!ok) continue;
    await new Promise<void>((r) => server.close(() => r()));
    handedOut.add(port);
    return port;
  }
}

/** The first of `count` consecutive free ports (for `listen LOW-HIGH`), all of them handed out as freePort's are. */
export async function freePortRange(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    const rest = Array.from({ length: count - 1 }, (_, i) => base + 1 + i);
    if (rest.some((p) => p > 65535 || handedOut.has(p))) continue;
    const free = await Promise.all(
      rest.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const server = net.createServer();
            server.once("error", () => resolve(false));
            server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (!free.every(Boolean)) continue;
    for (const p of rest) handedOut.add(p);
    return base;
  }
}

/**
 * A complete nginx.conf around `http` contents, with every path inside `dir` so that nginx
 * runs unprivileged in the foreground; edgeproxy accepts and ignores these process lines.
 */
export function wrapConfig(dir: string, httpBody: string): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
${httpPaths(dir)}
${httpBody}
}
`;
}

/** The http-level lines that keep nginx's files inside `dir` (six lines). */
export function httpPaths(dir: string): string {
  return `    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;`;
}

/** A fresh temp directory for one proxy's config and files. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edgeproxy-${prefix}-`));
  mkdirSync(join(dir, "body"), { recursive: true });
  return dir;
}

/** Starts nginx on `httpBody` with `{{port}}` replaced by a free port. A missing nginx fails. */
export async function startNginx(httpBody: (port: number) => string, workers = 0): Promise<RunningProxy> {
  const port = await freePort();
  const dir = tempDir("nginx");
  const file = join(dir, "nginx.conf");
  // `{{dir}}` in a config names this proxy's own directory (log files, sockets).
  const config = wrapConfig(dir, httpBody(port).replaceAll("{{dir}}", dir));
  // With `workers`, a master process and that many worker processes; else one process. Workers
  // of a root master would run as nobody, who may not write this directory: they stay root.
  const master = `worker_processes ${workers};${process.getuid?.() === 0 ? " user root;" : ""}`;
  writeFileSync(file, workers > 0 ? config.replace("master_process off;", master) : config);
  const child = spawn("nginx", ["-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const log = () => {
    try {
      return stderr + readFileSync(join(dir, "error.log"), "utf8");
    } catch {
      return stderr;
    }
  };
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitForPort(port, child, log);
  return { name: "nginx", port, dir, pid: child.pid as number, exited, log, stop: () => stopChild(child, dir) };
}

/** Starts `node adapters/node -c FILE` on the same kind of config. */
export async function startEdgeproxy(
  httpBody: (port: number) => string,
  adapter: string[] = [process.execPath, "adapters/node"],
  env: Record<string, string> = {},
): Promise<RunningProxy> {
  const port = await freePort();
  const dir = tempDir("edge");
  const file = join(dir, "edgeproxy.conf");
  // `{{dir}}` in a config names this proxy's own directory (log files, sockets).
  writeFileSync(file, wrapConfig(dir, httpBody(port).replaceAll("{{dir}}", dir)));
  const [cmd, ...args] = adapter as [string, ...string[]];
  const isWrangler = args.some((a) => a.includes("scripts/workers.ts"));
  // Concurrent `wrangler dev`s race for the default inspector port: give each its own.
  if (isWrangler) args.push("--inspector-port", String(await freePort()));
  // Each test's Worker starts with an empty KV store of its own, unless the test shares one:
  // the default store outlives runs, and a peer record from an earlier run whose backend had
  // the same port would carry its failures into this one.
  if (isWrangler && !args.includes("--persist-to")) args.push("--persist-to", join(dir, "state"));
  return launch("edgeproxy", port, dir, [cmd, ...args, "-c", file], {
    env,
    readyText: isWrangler ? `Ready on http://127.0.0.1:${port}` : undefined,
  });
}

/** Starts another proxy (a benchmark contender) from a command line given its port. */
export async function startCommand(name: string, command: (port: number) => string[]): Promise<RunningProxy> {
  const port = await freePort();
  return launch(name, port, tempDir("peer"), command(port));
}

/**
 * Starts an edgeproxy adapter on a config with main-level lines (`worker_processes`,
 * `worker_shutdown_timeout`) before wrapConfig's own; resolves once it says it listens, which
 * with several threads is after the last one does.
 */
export async function startEdgeproxyMain(
  main: string,
  http: (port: number) => string,
  adapter: string[] = ADAPTER_COMMANDS.node,
): Promise<RunningProxy & { readonly file: string }> {
  const port = await freePort();
  const dir = tempDir("edge");
  const file = join(dir, "edgeproxy.conf");
  writeFileSync(file, `${main}\n${wrapConfig(dir, http(port))}`);
  const proxy = await launch("edgeproxy", port, dir, [...adapter, "-c", file], { readyText: "edgeproxy listening on" });
  return { ...proxy, file };
}

/**
 * Spawns a proxy from the repository root and waits until it accepts on `port` (and, with
 * `readyText`, until its output or error log says so). Its log is both output streams (wrangler
 * prints the Worker's console.log on stdout) and `dir`/error.log, where wrapConfig's error_log
 * sends the process's lines once it serves.
 */
async function launch(
  name: string,
  port: number,
  dir: string,
  command: string[],
  options: { env?: Record<string, string>; readyText?: string | undefined } = {},
): Promise<RunningProxy> {
  const [cmd, ...args] = command as [string, ...string[]];
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  let output = "";
  const collect = (d: Buffer) => {
    output += d;
  };
  child.stderr?.on("data", collect);
  child.stdout?.on("data", collect);
  const log = () => output + readFileSync(join(dir, "error.log"), { encoding: "utf8", flag: "a+" });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitForPort(port, child, log, options.readyText);
  return { name, port, dir, pid: child.pid as number, exited, log, stop: () => stopChild(child, dir) };
}

/** Which adapter the conformance files run against (`EDGEPROXY_ADAPTER`): node, bun or workers. */
export const ADAPTER: "node" | "bun" | "workers" =
  process.env.EDGEPROXY_ADAPTER === "workers" ? "workers" : process.env.EDGEPROXY_ADAPTER === "bun" ? "bun" : "node";

/** How each adapter is started from the repository root, before `-c FILE`. */
export const ADAPTER_COMMANDS = {
  node: [process.execPath, "adapters/node"],
  bun: [join(ROOT, "node_modules", ".bin", "bun"), "run", "adapters/bun"],
  workers: [process.execPath, "scripts/workers.ts", "dev"],
};

/** Starts nginx and edgeproxy (on the adapter under test) on the same configuration. */
export async function startBoth(httpBody: (port: number) => string): Promise<RunningProxy[]> {
  return Promise.all([startNginx(httpBody), startEdgeproxy(httpBody, ADAPTER_COMMANDS[ADAPTER])]);
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` now. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string, readyText?: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening:\n${log()}`);
    // A process that says when it is ready (wrangler) is trusted only once it said so.
    if (readyText && !log().includes(readyText)) {
      if (Date.now() > deadline) throw new Error(`not ready on ${port} after 45 s:\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const ok = await acceptsConnections(port);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after 45 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
}

/** `nginx -t` and `edgeproxy -t` on one complete config text: did each accept it? */
export function checkBoth(configText: (dir: string) => string): { nginx: boolean; edgeproxy: boolean; nginxOut: string; edgeOut: string } {
  const dir = tempDir("check");
  const file = join(dir, "nginx.conf");
  writeFileSync(file, configText(dir));
  const n = spawnSync("nginx", ["-t", "-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", file], { encoding: "utf8" });
  if (n.error) throw n.error;
  const e = spawnSync(process.execPath, ["adapters/node", "-t", "-c", file], { cwd: ROOT, encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  return { nginx: n.status === 0, edgeproxy: e.status === 0, nginxOut: n.stderr, edgeOut: e.stderr };
}
