import type { Context, Handler, MiddlewareHandler } from "hono";
import { ANY_LISTEN, type Config, type ConnectionInfo, createRouteCheck, type Logger, parseConfigText } from "../../core/index.ts";

/**
 * The configuration a middleware serves: nginx's text (a whole nginx.conf, or what its `http`
 * block holds: `upstream` and `server` blocks), or a compiled `Config`.
 */
export type ProxyConfig = string | Config;

/** A whole nginx.conf for `text`: the contents of an `http` block get `events {}` and an `http` block around them, on the same lines. */
export function asNginxConf(text: string, name: string): string {
  return parseConfigText(text, name).some((d) => d.name === "http") ? text : `events {} http { ${text}\n}`;
}

/** Options of `edgeproxy()` and `edgeproxyHandler()`. */
export interface EdgeproxyOptions {
  /** The name of the config text in error messages (`NAME:LINE: ...`). Default `edgeproxy.conf`. */
  readonly configName?: string;
  /**
   * A request that no location (nor a server-level `return`) takes: `"404"` answers nginx's
   * 404 page, `"next"` hands it to the next handler of the app (middleware only). Default `"404"`.
   */
  readonly unmatched?: "404" | "next";
  /** Where error lines go. Default: the config's `error_log` (stderr without one) on Node and Bun, the console on Workers. */
  readonly log?: Logger;
  /** Workers: the KV binding that shares peer health between isolates. Default: `EDGEPROXY_STATE` when bound, else the Worker's only KV namespace. */
  readonly kvBinding?: string;
  /** Workers: how often an isolate reads the others' peer transitions from KV, in ms. Default 10 s. */
  readonly kvRefreshMs?: number;
}

/** A config made ready on one runtime: its routing tables, and how to answer a request. */
export interface Served {
  /** The compiled config (host names possibly not resolved yet): what routing reads. */
  readonly config: Config;
  answer(c: Context): Promise<Response>;
}

/** How one runtime serves a config inside Hono: its transport, peer health and connection facts. */
export type Serve = (config: ProxyConfig, options: EdgeproxyOptions) => Served;

/** `edgeproxy(config, options)`: a Hono middleware that proxies as nginx would with `config`. */
export type EdgeproxyMiddleware = (config: ProxyConfig, options?: EdgeproxyOptions) => MiddlewareHandler;

/** `edgeproxyHandler(config, options)`: a Hono handler that answers every request it gets as nginx would. */
export type EdgeproxyHandler = (config: ProxyConfig, options?: EdgeproxyOptions) => Handler;

/** The middleware on one runtime. */
export function middlewareOn(serve: Serve): EdgeproxyMiddleware {
  return (config, options = {}) => {
    const served = serve(config, options);
    if (options.unmatched !== "next") return (c) => served.answer(c);
    const takes = createRouteCheck(served.config);
    return async (c, next) => {
      const { target, authority } = splitUrl(c.req.url);
      if (takes(target, c.req.header("host") ?? authority, ROUTING)) return served.answer(c);
      await next();
    };
  };
}

/** The handler on one runtime. */
export function handlerOn(serve: Serve): EdgeproxyHandler {
  return (config, options = {}) => {
    const served = serve(config, options);
    return (c) => served.answer(c);
  };
}

/** A mounted proxy has no listen sockets of its own: servers are chosen by Host (ANY_LISTEN). */
const ROUTING: ConnectionInfo = { remoteAddress: "", remotePort: 0, listenKey: ANY_LISTEN, localAddress: "", localPort: 0, isTls: false };

/** The request-target and authority of a request URL, as the proxy's Fetch entry reads them. */
function splitUrl(url: string): { target: string; authority: string } {
  const authorityStart = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", authorityStart);
  const fragment = url.indexOf("#");
  return {
    authority: url.slice(authorityStart, pathStart < 0 ? url.length : pathStart),
    target: pathStart < 0 ? "/" : url.slice(pathStart, fragment < 0 ? url.length : fragment) || "/",
  };
}
