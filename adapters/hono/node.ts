/**
 * `edgeproxy/hono` on Node.js (@hono/node-server): upstream requests go through the core's
 * HTTP/1 client on node:net and node:tls, with nginx's request line, headers, timeouts and
 * keepalive cache, as behind `edgeproxy -c FILE`; peer health in process memory.
 */
import type { HttpBindings } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { ConnectionEnds } from "../../core/index.ts";
import { nodeCapabilities } from "../node/capabilities.ts";
import { type EdgeproxyHandler, type EdgeproxyMiddleware, handlerOn, middlewareOn } from "./middleware.ts";
import { socketServe } from "./socket-serve.ts";

export type { EdgeproxyHandler, EdgeproxyMiddleware, EdgeproxyOptions, ProxyConfig } from "./middleware.ts";

/** The client from @hono/node-server's getConnInfo, the local end from the same socket. */
function nodeEnds(c: Context): ConnectionEnds {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (!incoming) return {};
  const { remote } = getConnInfo(c);
  return {
    remoteAddress: remote.address,
    remotePort: remote.port,
    localAddress: incoming.socket.localAddress,
    localPort: incoming.socket.localPort,
  };
}

const serve = socketServe((log) => nodeCapabilities(log), nodeEnds);

/** A Hono middleware proxying as nginx would with `config` (nginx text or a compiled Config). */
export const edgeproxy: EdgeproxyMiddleware = middlewareOn(serve);

/** A Hono handler answering every request it gets as nginx would with `config`. */
export const edgeproxyHandler: EdgeproxyHandler = handlerOn(serve);
