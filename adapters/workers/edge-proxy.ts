import {
  ActiveHealthChecks,
  type Capabilities,
  type Config,
  type ConnectionInfo,
  createFetchTransport,
  createProxy,
  type EdgeProxy,
  type FailureState,
  fetchConnection,
  type Logger,
  MemoryLimitZones,
  type PlatformWebSocket,
  type Resolver,
  type UserFiles,
} from "../../core/index.ts";
import { DurableFailureState, type DurableNamespaceLike } from "./durable-failure-state.ts";
import { chooseKvBinding } from "./kv-binding.ts";
import { KvFailureState } from "./kv-failure-state.ts";

export { DEFAULT_KV_BINDING } from "./kv-binding.ts";

/** The Durable Object binding that makes peer health strongly consistent, when the Worker has it. */
export const DEFAULT_DURABLE_BINDING = "EDGEPROXY_PEERS";

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
  /**
   * The Durable Object binding (wrangler.toml `[[durable_objects.bindings]]`, class
   * `EdgeproxyPeerState`) that makes peer health strongly consistent instead of KV's eventual
   * sharing. Default: `EDGEPROXY_PEERS` when the Worker has it; without it, KV.
   */
  readonly durableBinding?: string;
  /** Where error lines go; the console by default (Workers logs). */
  readonly log?: Logger;
  /** Files the config reads (`auth_basic_user_file`), bundled: by path, their text. */
  readonly files?: Readonly<Record<string, string>>;
}

/** What a Worker's `fetch` receives beside the request: its bindings and its context. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The proxy as a Worker runs it: `fetch` upstream, peer health in the isolate and in KV or a Durable Object. */
export interface EdgeProxyOnWorkers {
  /** Serves one request: chooses the peer-health store from `env` (first call), and writes it after the response. */
  fetch(request: Request, env: object | undefined, ctx: WorkerContext, connection: ConnectionInfo): Promise<Response>;
  /**
   * A Cron Trigger: one round of the config's `health_check`s, from the verdicts the store
   * holds, with the changes written back, where the isolates serving requests read them.
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

/** A peer-health store of the edge: a FailureState with its upkeep after responses and around Cron Triggers. */
interface EdgeStore extends FailureState {
  /** Work for after a response (`ctx.waitUntil`); null when there is none. */
  maintain(): Promise<void> | null;
  /** Reads what the others wrote, for these upstreams, now. */
  load(upstreams: readonly string[]): Promise<void>;
  /** Writes what this isolate has not written yet, now. */
  flush(): Promise<void>;
}

/**
 * Builds the proxy for the edge: `fetch` is the transport, and peer health is shared through a
 * Durable Object when the Worker binds one, else through KV. Bindings come with the first
 * request (or Cron Trigger), so the proxy is built then, once per isolate.
 */
export function createEdgeProxy(config: Config, options: EdgeOptions = {}): EdgeProxyOnWorkers {
  const log = options.log ?? consoleLogger;
  let built: { proxy: EdgeProxy; store: EdgeStore; caps: Capabilities } | null = null;
  const build = (env: object | undefined) => {
    if (built) return built;
    const store = chooseStore(env, options, log);
    const caps: Capabilities = {
      transport: createFetchTransport({ fetch: (input, init) => fetch(input, init) }),
      failures: store,
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
      resolver: edgeResolver,
    };
    built = { proxy: createProxy(config, caps), store, caps };
    return built;
  };
  let checks: ActiveHealthChecks | null = null;
  return {
    async fetch(request, env, ctx, connection) {
      const { proxy, store } = build(env);
      const response = await proxy.fetch(request, connection);
      const upkeep = store.maintain();
      if (upkeep) ctx.waitUntil(upkeep);
      return response;
    },
    async scheduled(env) {
      const { store, caps } = build(env);
      await store.load(config.upstreams.map((u) => u.name));
      if (!checks) {
        // Made once per isolate: its counts carry from one round to the next while it lives.
        checks = new ActiveHealthChecks(caps);
        checks.configure(config);
      }
      await checks.runOnce();
      await store.flush();
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
/**
 * At the edge `fetch` resolves names itself, with Cloudflare's resolver: a name a `proxy_pass`
 * with variables evaluates to goes to `fetch` as it is, once the config allows it with
 * `resolver` (whose addresses mean nothing here).
 */
const edgeResolver: Resolver = {
  resolve: async (name) => ({ addresses: [name], ttlSec: 0 }),
};

/** The Durable Object store when the Worker binds the namespace, else KV (kv-binding.ts). */
function chooseStore(env: object | undefined, options: EdgeOptions, log: Logger): EdgeStore {
  const bindings = (env ?? {}) as Record<string, unknown>;
  const name = options.durableBinding ?? DEFAULT_DURABLE_BINDING;
  const namespace = bindings[name];
  if (isDurableNamespace(namespace)) return new DurableFailureState(namespace, { log });
  if (options.durableBinding !== undefined) {
    log.warn(`edgeproxy: no Durable Object binding "${name}" ([[durable_objects.bindings]] in wrangler.toml): peer health goes through KV`);
  }
  const kv = new KvFailureState({ refreshMs: options.kvRefreshMs ?? 10_000, log });
  kv.attach(chooseKvBinding(env, options.kvBinding));
  return kv;
}

/** A Durable Object namespace binding: what DurableFailureState calls, and idFromString, which only it has. */
function isDurableNamespace(value: unknown): value is DurableNamespaceLike {
  const ns = value as Partial<DurableNamespaceLike & { idFromString: unknown }> | null | undefined;
  return typeof ns?.idFromName === "function" && typeof ns.get === "function" && typeof ns.idFromString === "function";
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
