import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, unwatchFile, watchFile, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, ConfigError, type Location, type Logger } from "../../../core/index.ts";
import { fileSource } from "../../node/config-source.ts";
import { describeSystemError } from "../../node/system-error.ts";
import { loadEdgeConfig, userFilePaths } from "../config.ts";
import { DEFAULT_KV_BINDING } from "../edge-proxy.ts";
import { findWrangler, hasWranglerConfig } from "./wrangler.ts";

const USAGE = `usage: edgeproxy-workers dev|deploy -c FILE [--kv-binding NAME] [wrangler options]
  -c FILE            the nginx configuration to bundle into the Worker
  --kv-binding NAME  the Workers KV binding that shares peer health (default: ${DEFAULT_KV_BINDING}
                     when bound, else the one [[kv_namespaces]] entry of your wrangler config)
Other options go to \`wrangler dev\` or \`wrangler deploy\` as they are (--config, --name, --env,
--port, --dry-run, ...). Your wrangler config (wrangler.toml, wrangler.json or wrangler.jsonc)
gives the name, the KV namespaces (or the EDGEPROXY_PEERS Durable Object binding, class
EdgeproxyPeerState, for strongly consistent peer health) and the rest; its \`main\` is replaced
by the generated entry, which exports that class.
`;

/** The Worker module this command bundles: the TypeScript source beside it, or the compiled file in dist/. */
const WORKER_MODULE = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../worker.ts" : "../worker.js", import.meta.url));

/** Used when the project has no wrangler config: the date this edgeproxy is tested with. */
const COMPATIBILITY_DATE = "2026-11-01";

/** What the command line asks for. */
interface Request {
  readonly mode: "dev" | "deploy";
  readonly file: string;
  readonly kvBinding: string | null;
  /** Everything else, for wrangler. */
  readonly wranglerArgs: readonly string[];
}

/**
 * `edgeproxy-workers dev|deploy -c FILE`: checks FILE with the edge's limits, writes a Worker
 * entry that bundles it (under `.wrangler/edgeproxy/` of the current directory), and runs
 * wrangler on it with the project's own wrangler config, which gives the name and the bindings:
 * the Worker takes its KV namespace for peer health from them when it starts (kv-binding.ts).
 * In `dev`, the Worker listens on the config's first `listen` address and is rebuilt when FILE
 * changes. Resolves with the exit code.
 */
export async function run(argv: string[]): Promise<number> {
  const request = parseArguments(argv);
  if (typeof request === "number") return request;
  const cwd = process.cwd();
  const wrangler = findWrangler(cwd);
  if (!wrangler) return fail("wrangler is not installed here: npm install --save-dev wrangler");
  const config = checkConfig(request.file);
  if (!config) return 1;
  const entry = entryPath(cwd, request.file);
  writeEntry(entry, request.file, config.text, config.files, request.kvBinding);
  const hasConfig = optionValue(request.wranglerArgs, "--config") !== undefined || hasWranglerConfig(cwd);
  const args = wranglerArguments(request, entry, config.config, hasConfig);
  const stopWatching = request.mode === "dev" ? watchConfig(request.file, entry, request.kvBinding) : () => {};
  const code = await runWrangler(wrangler, args);
  stopWatching();
  return code;
}

function parseArguments(argv: readonly string[]): Request | number {
  const [mode, ...rest] = argv;
  if (mode === "-h" || mode === "--help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = optionValue(rest, "-c");
  if ((mode !== "dev" && mode !== "deploy") || !file) {
    process.stderr.write(USAGE);
    return 2;
  }
  const kvBinding = optionValue(rest, "--kv-binding") ?? null;
  const ours = new Set(["-c", "--kv-binding"]);
  const wranglerArgs = rest.filter((arg, i) => !ours.has(arg) && !ours.has(rest[i - 1] as string) && !arg.startsWith("--kv-binding="));
  return { mode, file: resolve(file), kvBinding, wranglerArgs };
}

/** The value after `--name` (or `--name=value`) among `args`, for any of `names`. */
function optionValue(args: readonly string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (names.includes(arg)) return args[i + 1];
    const eq = arg.indexOf("=");
    if (eq > 0 && names.includes(arg.slice(0, eq))) return arg.slice(eq + 1);
  }
  return undefined;
}

/** Reads and compiles FILE with the edge's limits; prints nginx's `[emerg]` line and returns null when it does not load. */
function checkConfig(file: string): { text: string; config: Config; files: Record<string, string> } | null {
  const log: Logger = { alert: warn, crit: warn, error: warn, warn, notice: () => {}, info: () => {} };
  try {
    const text = fileSource.read(file);
    const config = loadEdgeConfig(text, file, log);
    // The user files it names ship in the bundle, read now from where the config names them,
    // as text, as a Worker's Text module would give them.
    const files: Record<string, string> = {};
    for (const { path, at } of userFilePaths(config)) {
      try {
        files[path] = readFileSync(path, "utf8");
      } catch (error) {
        throw new ConfigError("include-failed", `open() "${path}" failed (${describeSystemError(error)})`, at, { cause: error });
      }
    }
    return { text, config, files };
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `open() "${file}" failed (${(error as Error).message})`;
    process.stderr.write(`edgeproxy: [emerg] ${message}\n`);
    return null;
  }
}

/** One entry per config file: wrangler watches its entry, so two runs on two files must not share one. */
function entryPath(cwd: string, file: string): string {
  const tag = createHash("sha1").update(file).digest("hex").slice(0, 10);
  return join(cwd, ".wrangler", "edgeproxy", `${basename(file).replace(/[^\w.-]/g, "_")}-${tag}`, "entry.js");
}

/** The generated Worker: FILE's text inside the bundle, compiled when an isolate loads it. */
function writeEntry(entry: string, file: string, text: string, files: Record<string, string>, kvBinding: string | null): void {
  const refreshMs = Number(process.env.EDGEPROXY_KV_REFRESH_MS) || 10_000;
  const options = kvBinding === null ? { kvRefreshMs: refreshMs, files } : { kvBinding, kvRefreshMs: refreshMs, files };
  mkdirSync(dirname(entry), { recursive: true });
  writeFileSync(
    entry,
    `// Written by edgeproxy-workers from ${file}: the nginx config, bundled as text.
import { createWorker } from ${JSON.stringify(WORKER_MODULE)};
export { EdgeproxyPeerState } from ${JSON.stringify(WORKER_MODULE)};
export default createWorker(${JSON.stringify(text)}, ${JSON.stringify(file)}, ${JSON.stringify(options)});
`,
  );
}

/** wrangler's arguments: the entry, the config's listen address in dev, a name, date and flags when the project has no wrangler config. */
function wranglerArguments(request: Request, entry: string, config: Config, hasWranglerConfig: boolean): string[] {
  const given = (name: string) => request.wranglerArgs.some((a) => a === name || a.startsWith(`${name}=`));
  const args = [request.mode, entry];
  if (!hasWranglerConfig) {
    if (!given("--name")) args.push("--name", "edgeproxy");
    if (!given("--compatibility-date")) args.push("--compatibility-date", COMPATIBILITY_DATE);
    // request.signal tells the Worker when a client leaves: nginx's 499, the upstream request dropped.
    if (!given("--compatibility-flags") && !given("--compatibility-flag")) args.push("--compatibility-flags", "enable_request_signal");
  }
  const hasChecks = config.servers.some((s) => s.locations.some(hasHealthCheck));
  if (request.mode === "dev") {
    args.push("--show-interactive-dev-session=false");
    // health_check runs from the Cron Trigger: in dev, GET /__scheduled runs a round.
    if (hasChecks && !given("--test-scheduled")) args.push("--test-scheduled");
    const tcp = config.listens.find((l) => l.kind === "tcp");
    if (tcp?.kind === "tcp" && !given("--port")) args.push("--ip", tcp.host ?? "0.0.0.0", "--port", String(tcp.port));
  }
  if (request.mode === "deploy" && hasChecks) {
    warn(`health_check runs from a Cron Trigger at the edge: give your wrangler config [triggers] crons = ["* * * * *"]`);
  }
  return [...args, ...request.wranglerArgs];
}

/** Whether a location or one nested in it has a `health_check`. */
function hasHealthCheck(location: Location): boolean {
  return (location.healthChecks?.length ?? 0) > 0 || location.children.some(hasHealthCheck);
}

/** In dev: a changed FILE that loads is written into the entry again, and wrangler rebuilds; one that does not is reported. */
function watchConfig(file: string, entry: string, kvBinding: string | null): () => void {
  watchFile(file, { interval: 300 }, () => {
    const checked = checkConfig(file);
    if (checked) writeEntry(entry, file, checked.text, checked.files, kvBinding);
  });
  return () => unwatchFile(file);
}

/** Runs wrangler on this Node (its shebang would find the system's, which may be too old). */
function runWrangler(wrangler: string, args: readonly string[]): Promise<number> {
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  const child = spawn(process.execPath, [wrangler, ...args], {
    stdio: "inherit",
    env: { ...process.env, PATH: path, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false" },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((done) => child.on("exit", (code, signal) => done(code ?? (signal ? 1 : 0))));
}

function warn(message: string): void {
  process.stderr.write(`edgeproxy: [warn] ${message}\n`);
}

function fail(message: string): number {
  process.stderr.write(`edgeproxy-workers: ${message}\n`);
  return 1;
}
