import { test } from "vitest";
import { ADAPTER } from "./proxies.ts";

/**
 * Conformance cases an adapter's platform cannot reproduce, by adapter and test name, each
 * with the reason (the README's platform tables say the same). Everything else must match
 * nginx on every adapter.
 */
export type Gaps = Partial<Record<"bun" | "workers", Readonly<Record<string, string>>>>;

type Body = () => Promise<void>;

/**
 * `test`, except for this adapter's gaps: those are skipped, the reason in their title.
 * Test names are written out in full (no `%s`) so that a gap names exactly one case.
 */
export function conformance(gaps: Gaps): (name: string, fn: Body) => void {
  const mine = ADAPTER === "node" ? {} : (gaps[ADAPTER] ?? {});
  return (name, fn) => {
    const why = mine[name];
    if (why) test.skip(`${name} [not on ${ADAPTER}: ${why}]`, fn);
    else test(name, fn);
  };
}

/** Reasons shared by several files. */
export const BECAUSE = {
  fetchTiming: "fetch cannot time connect, send and read apart: a head may take the connect and read timeouts added",
  parsedUrl: "the platform's server hands over a parsed URL: the raw request-target (dot segments, double slashes) is gone",
  edgeFrames:
    "workerd frames the request before the Worker sees it (Transfer-Encoding over Content-Length, equal duplicates merged, RFC 9112 6.3): the upstream gets one well-framed request, not nginx's 400",
  edgeConnections: "the platform owns client connections and their timers (wrangler dev's proxy locally, Cloudflare's edge deployed)",
  edgePort:
    "the Worker sees the public URL, not a listening port: an absolute redirect carries the URL's port (none in wrangler dev, whose URL takes the Host header)",
  consoleLog: "a Worker's error log is its console (wrangler's output): there are no error_log files to read",
  joinedHeaders:
    "workerd joins repeated header lines into one before the Worker sees them (1,001 lines of one name arrive as one header), so nginx's header count cannot be kept",
  platformWebSocket:
    "the platform terminates WebSockets on both sides: the client and the upstream each see the platform's own handshake (its key, its extensions); messages, close codes and subprotocols pass",
} as const;
