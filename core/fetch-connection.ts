import type { ConnectionInfo } from "./exchange.ts";
import { ANY_LISTEN } from "./route/server-select.ts";

/** The client and local ends of a request on a Fetch-native platform, as far as it tells them. */
export interface ConnectionEnds {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/**
 * What the core knows of a client connection where the platform owns it (Workers, a Hono app).
 * There are no `listen` sockets of edgeproxy's own there, so servers are chosen by Host
 * (ANY_LISTEN: another key would match no server and answer 400). What the platform does not
 * tell comes from the URL: the local port is its port or the scheme's, never 0, which would put
 * `:0` in nginx's redirects; the client defaults to loopback.
 */
export function fetchConnection(request: Request, ends: ConnectionEnds = {}): ConnectionInfo {
  const url = new URL(request.url);
  const isTls = url.protocol === "https:";
  return {
    remoteAddress: unmapped(ends.remoteAddress || "127.0.0.1"),
    remotePort: ends.remotePort ?? 0,
    listenKey: ANY_LISTEN,
    localAddress: unmapped(ends.localAddress || url.hostname.replace(/^\[|\]$/g, "")),
    localPort: ends.localPort || Number(url.port) || (isTls ? 443 : 80),
    isTls,
  };
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
