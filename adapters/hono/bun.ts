/**
 * `edgeproxy/hono` on Bun (`Bun.serve({ fetch: app.fetch })`): upstream requests go through the
 * core's HTTP/1 client on Bun.connect, with nginx's request line, headers, timeouts and
 * keepalive cache, as behind `edgeproxy-bun -c FILE`; peer health in process memory.
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import type { ConnectionEnds } from "../../core/index.ts";
import { bunCapabilities } from "../bun/capabilities.ts";
import { type EdgeproxyHandler, type EdgeproxyMiddleware, handlerOn, middlewareOn } from "./middleware.ts";
import { socketServe } from "./socket-serve.ts";

export type { EdgeproxyHandler, EdgeproxyMiddleware, EdgeproxyOptions, ProxyConfig } from "./middleware.ts";

/** The two members of Bun's server that say where a request came from and where it arrived. */
interface BunServerLike {
  requestIP(request: Request): unknown;
  readonly port?: number;
}

/** The client from hono/bun's getConnInfo; Bun tells the listening port, not the local address. */
function bunEnds(c: Context): ConnectionEnds {
  const server = c.env as Partial<BunServerLike> | undefined;
  if (typeof server?.requestIP !== "function") return {};
  const { remote } = getConnInfo(c);
  return { remoteAddress: remote.address, remotePort: remote.port, localAddress: undefined, localPort: server.port };
}

const serve = socketServe((log) => bunCapabilities(log), bunEnds);

/** A Hono middleware proxying as nginx would with `config` (nginx text or a compiled Config). */
export const edgeproxy: EdgeproxyMiddleware = middlewareOn(serve);

/** A Hono handler answering every request it gets as nginx would with `config`. */
export const edgeproxyHandler: EdgeproxyHandler = handlerOn(serve);
