import {
  ActiveHealthChecks,
  type Capabilities,
  type Config,
  type ConnectionInfo,
  createFetchTransport,
  createProxy,
  type EdgeProxy,
  fetchConnection,
  type Logger,
  MemoryLimitZones,
  type PlatformWebSocket,
  type UserFiles,
} from "../../core/index.ts";
import { chooseKvBinding } from "./kv-binding.ts";
import { KvFailureState } from "./kv-failure-state.ts";

export { DEFAULT_KV_BINDING } from "./kv-binding.ts";

/** Free-plan Workers may make 50 subrequests per request; retries stop there. */
const SUBREQUEST_LIMIT = 50;

/** How the edge proxy shares peer health. */
export interface EdgeOptions {
  /**
   * The Workers KV binding (wrangler.toml `[[kv_namespaces]]`) for peer health. Default:
   * `EDGEPROXY_STATE` when the Worker has it, else its only KV namespace.
   */
  readonly kvBinding?: string;
  /** How often an isolate reads the other isolates' peer transitions from KV, in ms. Default 10 s. */
  readonly kvRefreshMs?: number;
  /** Where error lines go; the console by default (Workers logs). */
  readonly log?: Logger;
  /** Files the config reads (`auth_basic_user_file`), bundled: by path, their text. */
  readonly files?: Readonly<Record<string, string>>;
}

/** What a Worker's `fetch` receives beside the request: its bindings and its context. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The proxy as a Worker runs it: `fetch` upstream, peer health in the isolate and in KV. */
export interface EdgeProxyOnWorkers {
  readonly proxy: EdgeProxy;
  /** Serves one request: binds KV from `env` (first call), and writes KV after the response. */
  fetch(request: Request, env: object | undefined, ctx: WorkerContext, connection: ConnectionInfo): Promise<Response>;
  /**
   * A Cron Trigger: one round of the config's `health_check`s, from the verdicts KV holds, with
   * the changes written back to KV, where the isolates serving requests read them.
   */
  scheduled(env: object | undefined): Promise<void>;
}

/** Error lines to the console, which Workers keeps as the Worker's logs. */
export const consoleLogger: Logger = {
  alert: (m) => console.error(m),
  crit: (m) => console.error(m),
  error: (m) => console.error(m),
  warn: (m) => console.warn(m),
  notice: (m) => console.log(m),
  info: (m) => console.log(m),
};

/** Builds the proxy for the edge: `fetch` is the transport, KV carries peer health between isolates. */
export function createEdgeProxy(config: Config, options: EdgeOptions = {}): EdgeProxyOnWorkers {
  const log = options.log ?? consoleLogger;
  const failures = new KvFailureState({ refreshMs: options.kvRefreshMs ?? 10_000, log });
  const caps: Capabilities = {
    transport: createFetchTransport({ fetch: (input, init) => fetch(input, init) }),
    failures,
    spool: null,
    clock: { now: () => Date.now() },
    log,
    maxAttemptsPerRequest: SUBREQUEST_LIMIT,
    // Limit zones count per isolate: nothing shares memory between isolates.
    limitZones: new MemoryLimitZones(),
    userFiles: bundledFiles(options.files ?? {}),
    // The runtime compresses for the client as the client asks (it hands the Worker its own Accept-Encoding).
    compression: "platform",
    webSockets: { pair: pairWebSockets },
  };
  const proxy = createProxy(config, caps);
  let checks: ActiveHealthChecks | null = null;
  return {
    proxy,
    async fetch(request, env, ctx, connection) {
      if (!failures.isAttached) failures.attach(chooseKvBinding(env, options.kvBinding));
      const response = await proxy.fetch(request, connection);
      const upkeep = failures.maintain();
      if (upkeep) ctx.waitUntil(upkeep);
      return response;
    },
    async scheduled(env) {
      if (!failures.isAttached) failures.attach(chooseKvBinding(env, options.kvBinding));
      await failures.load();
      if (!checks) {
        // Made once per isolate: its counts carry from one round to the next while it lives.
        checks = new ActiveHealthChecks(caps);
        checks.configure(config);
      }
      await checks.runOnce();
      await failures.flush();
    },
  };
}

/** The bundled files, read as nginx reads files (a byte string each); one not bundled is missing. */
function bundledFiles(files: Readonly<Record<string, string>>): UserFiles {
  return {
    read: (path) =>
      Object.hasOwn(files, path)
        ? { text: latin1Of(files[path] as string) }
        : { error: `open() "${path}" failed (2: No such file or directory)`, missing: true },
  };
}

/** A file's text, as bundled (UTF-8 read into a string), as the byte string nginx reads. */
function latin1Of(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}

/** Workers' `WebSocketPair`: the client's end for the 101, the proxy's end to relay. */
function pairWebSockets(): { client: unknown; server: PlatformWebSocket } {
  const pair = new (globalThis as unknown as WorkersGlobals).WebSocketPair();
  return { client: pair[0], server: pair[1] };
}

/** The Workers global this module uses, typed here: the tests compile it with Node's types. */
interface WorkersGlobals {
  readonly WebSocketPair: new () => { readonly 0: unknown; readonly 1: PlatformWebSocket };
}

/** A client at the edge: the address Cloudflare saw (`CF-Connecting-IP`), the rest from the URL. */
export function edgeConnection(request: Request): ConnectionInfo {
  return fetchConnection(request, { remoteAddress: request.headers.get("cf-connecting-ip") ?? undefined });
}
