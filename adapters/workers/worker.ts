import { ANY_LISTEN, type ConnectionInfo, createFetchTransport, createProxy, type Logger } from "../../core/index.ts";
import { loadEdgeConfig } from "./config.ts";
import { KvFailureState } from "./kv-failure-state.ts";

/** The Worker's bindings (wrangler.toml). */
export interface Env {
  /** Workers KV namespace where peer health is shared between isolates and locations. */
  readonly EDGEPROXY_STATE?: KVNamespace;
}

/** Free-plan Workers may make 50 subrequests per request; retries stop there. */
const SUBREQUEST_LIMIT = 50;

/** How a Worker is made from a bundled config. */
export interface WorkerOptions {
  /** How often an isolate reads the other isolates' peer transitions from KV, in ms. */
  readonly kvRefreshMs: number;
}

/**
 * A module Worker serving the nginx config `text`, compiled now, when the isolate loads the
 * module: a bad config fails deployment with its FILE:LINE message. `listen` means nothing at
 * the edge (routes decide); server blocks are still chosen by Host.
 */
export function createWorker(text: string, name: string, options: WorkerOptions): ExportedHandler<Env> {
  const log: Logger = {
    crit: (m) => console.error(m),
    error: (m) => console.error(m),
    warn: (m) => console.warn(m),
    info: (m) => console.log(m),
  };
  const failures = new KvFailureState({ refreshMs: options.kvRefreshMs, log });
  const proxy = createProxy(loadEdgeConfig(text, name, log), {
    transport: createFetchTransport({ fetch: (input, init) => fetch(input, init) }),
    failures,
    spool: null,
    clock: { now: () => Date.now() },
    log,
    maxAttemptsPerRequest: SUBREQUEST_LIMIT,
  });

  return {
    async fetch(request, env, ctx) {
      failures.attach(env.EDGEPROXY_STATE);
      const url = new URL(request.url);
      const isTls = url.protocol === "https:";
      const connection: ConnectionInfo = {
        // The client of a Worker is the address Cloudflare saw.
        remoteAddress: request.headers.get("cf-connecting-ip") ?? "127.0.0.1",
        remotePort: 0,
        listenKey: ANY_LISTEN,
        localAddress: url.hostname,
        localPort: Number(url.port) || (isTls ? 443 : 80),
        isTls,
      };
      const response = await proxy.fetch(request as unknown as Request, connection);
      const upkeep = failures.maintain();
      if (upkeep) ctx.waitUntil(upkeep);
      return response as unknown as globalThis.Response;
    },
  } satisfies ExportedHandler<Env>;
}
