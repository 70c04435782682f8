import type { Logger } from "../../core/index.ts";
import { loadEdgeConfig } from "./config.ts";
import { consoleLogger, createEdgeProxy, type EdgeOptions, edgeConnection, type WorkerContext } from "./edge-proxy.ts";

export { DEFAULT_DURABLE_BINDING, DEFAULT_KV_BINDING, type EdgeOptions, type WorkerContext } from "./edge-proxy.ts";
// The Durable Object class for strongly consistent peer health: a Worker binding it exports it.
export { EdgeproxyPeerState } from "./peer-state-object.ts";

/** How a Worker is made from a bundled config: the KV binding and refresh (see EdgeOptions), and the files it reads. */
export interface WorkerOptions extends EdgeOptions {
  /**
   * The `auth_basic_user_file` files, by the path the config names (a relative one from the
   * config's directory): a Worker has no file system, so they ship in the bundle like the config.
   */
  readonly files?: Readonly<Record<string, string>>;
}

/** A module Worker: `export default` it. */
export interface EdgeproxyWorker {
  fetch(request: Request, env: object, ctx: WorkerContext): Promise<Response>;
  /** The Cron Trigger's handler: one round of the config's `health_check`s (see createEdgeProxy). */
  scheduled(controller: unknown, env: object, ctx: WorkerContext): Promise<void>;
}

/**
 * A module Worker serving the nginx config `text`, compiled now, when the isolate loads the
 * module: a bad config fails deployment with its FILE:LINE message (`name` is the file). `listen`
 * means nothing at the edge (routes decide); server blocks are still chosen by Host.
 */
export function createWorker(text: string, name: string, options: WorkerOptions = {}): EdgeproxyWorker {
  const log: Logger = options.log ?? consoleLogger;
  const files = options.files ?? {};
  const edge = createEdgeProxy(loadEdgeConfig(text, name, log, files), { ...options, log, files });
  return {
    fetch: (request, env, ctx) => edge.fetch(request, env, ctx, edgeConnection(request)),
    scheduled: async (_controller, env, ctx) => {
      const round = edge.scheduled(env);
      ctx.waitUntil(round);
      await round;
    },
  };
}
