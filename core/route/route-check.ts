import type { Config, Server } from "../config/model.ts";
import type { ConnectionInfo } from "../exchange.ts";
import { validateHost } from "./host.ts";
import { LocationMatcher } from "./location-match.ts";
import { ServerSelector } from "./server-select.ts";
import { parseTarget } from "./uri.ts";

/**
 * Whether a request would reach something of the config that answers it: a server-level
 * `return`, or a location (nginx's own 301 to `/dir/` included). `false` is the request nginx
 * answers 404 because no location takes it: a mounted proxy (Hono) may hand it to the next
 * handler instead. A target or Host nginx refuses counts as taken: the proxy answers it.
 */
export type RouteCheck = (target: string, host: string | null, connection: ConnectionInfo) => boolean;

/** Builds the check from the same tables the proxy routes with, once, at load. */
export function createRouteCheck(config: Config): RouteCheck {
  const selector = new ServerSelector(config);
  const matchers = new Map<Server, LocationMatcher>(config.servers.map((s) => [s, new LocationMatcher(s.locations)]));
  return (target, hostValue, connection) => {
    const parsed = parseTarget(target, config.mergeSlashes);
    if (!parsed) return true;
    const value = parsed.host ?? hostValue;
    const host = value === null ? null : validateHost(value);
    if (value !== null && host === null) return true;
    const server = selector.select(connection, host);
    if (!server) return true;
    // A server whose own rewrite directives may answer or move the request counts as taking it.
    if (server.script?.some((op) => op.kind !== "set")) return true;
    return (matchers.get(server) as LocationMatcher).match(parsed.uri).kind !== "none";
  };
}
