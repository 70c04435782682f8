/**
 * `edgeproxy/hono` on Cloudflare Workers: upstream requests go through `fetch`, and peer health
 * is shared between isolates through Workers KV (see `kvBinding`), as the
 * edgeproxy Worker does. Config text is compiled when the module loads: a bad file fails the
 * deployment with its line.
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/cloudflare-workers";
import { fetchConnection } from "../../core/index.ts";
import { loadEdgeConfig } from "../workers/config.ts";
import { consoleLogger, createEdgeProxy, type WorkerContext } from "../workers/edge-proxy.ts";
import { asNginxConf, type EdgeproxyHandler, type EdgeproxyMiddleware, handlerOn, middlewareOn, type Serve } from "./middleware.ts";

export type { EdgeproxyHandler, EdgeproxyMiddleware, EdgeproxyOptions, ProxyConfig } from "./middleware.ts";

const serve: Serve = (input, options) => {
  const log = options.log ?? consoleLogger;
  const name = options.configName ?? "edgeproxy.conf";
  const config = typeof input === "string" ? loadEdgeConfig(asNginxConf(input, name), name, log) : input;
  const edge = createEdgeProxy(config, {
    log,
    ...(options.kvBinding ? { kvBinding: options.kvBinding } : {}),
    ...(options.kvRefreshMs ? { kvRefreshMs: options.kvRefreshMs } : {}),
  });
  return {
    config,
    answer: (c) => {
      const connection = fetchConnection(c.req.raw, { remoteAddress: getConnInfo(c).remote.address });
      return edge.fetch(c.req.raw, c.env, executionContext(c), connection);
    },
  };
};

/** The request's ExecutionContext; outside a Worker (app.request in a test) KV upkeep simply runs on. */
function executionContext(c: Context): WorkerContext {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil: (promise) => void promise };
  }
}

/** A Hono middleware proxying as nginx would with `config` (nginx text or a compiled Config). */
export const edgeproxy: EdgeproxyMiddleware = middlewareOn(serve);

/** A Hono handler answering every request it gets as nginx would with `config`. */
export const edgeproxyHandler: EdgeproxyHandler = handlerOn(serve);
