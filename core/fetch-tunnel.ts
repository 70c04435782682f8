import type { Tunnel } from "./exchange.ts";

/** A WebSocket as a Fetch-native platform has it (Workers'): what a tunnel uses of it. */
export interface PlatformWebSocket {
  /** Binary messages as `ArrayBuffer`, not the standard's `Blob` (newer compatibility dates). */
  binaryType?: string;
  accept(): void;
  send(message: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { readonly data: string | ArrayBuffer }) => void): void;
  addEventListener(type: "close", listener: (event: { readonly code: number; readonly reason: string }) => void): void;
  addEventListener(type: "error", listener: () => void): void;
}

/** How a platform pairs WebSockets (Workers' `WebSocketPair`): the Fetch entry's tunnels. */
export interface WebSocketPairs {
  /** A new pair: `client` goes to the client in the 101, the proxy holds `server`. */
  pair(): { readonly client: unknown; readonly server: PlatformWebSocket };
}

/**
 * Runs a tunnel where the platform speaks WebSocket, not bytes: each message goes on as it
 * came, and either side's close ends both with the same code. As nginx's upgraded handler,
 * `proxy_read_timeout` closes a tunnel idle both ways; `finished` runs once, when it ends
 * (the access log). The platform buffers sends: there is no backpressure to pass on. Bytes
 * are not counted: the platform frames them, and the edge has no access log.
 */
export function relayWebSockets(client: PlatformWebSocket, upstream: PlatformWebSocket, tunnel: Tunnel, finished: () => void): void {
  let lastActive = Date.now();
  let ended = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const end = (code: number | null, reason: string) => {
    if (ended) return;
    ended = true;
    if (timer) clearTimeout(timer);
    closeQuietly(client, code, reason);
    closeQuietly(upstream, code, reason);
    finished();
  };
  // One timer a tunnel, moved on only when it fires early (messages just note the time).
  const watchIdle = (dueMs: number) => {
    timer = setTimeout(() => {
      const idleFor = Date.now() - lastActive;
      if (idleFor >= tunnel.readTimeoutMs) end(null, "");
      else watchIdle(tunnel.readTimeoutMs - idleFor);
    }, dueMs);
  };
  const relay = (from: PlatformWebSocket, to: PlatformWebSocket) => {
    from.addEventListener("message", (event) => {
      if (ended) return;
      lastActive = Date.now();
      try {
        to.send(event.data);
      } catch {
        end(null, "");
      }
    });
    from.addEventListener("close", (event) => end(event.code, event.reason));
    from.addEventListener("error", () => end(null, ""));
  };
  for (const ws of [client, upstream]) {
    ws.binaryType = "arraybuffer";
    ws.accept();
  }
  relay(upstream, client);
  relay(client, upstream);
  if (tunnel.readTimeoutMs > 0) watchIdle(tunnel.readTimeoutMs);
}

/**
 * Closes with the peer's code where one may be sent: 1005 (none given), 1006 (dropped) and
 * 1015 (TLS) only describe a close, so the other side gets a close without a code.
 */
function closeQuietly(ws: PlatformWebSocket, code: number | null, reason: string): void {
  try {
    if (code === null || code === 1005 || code === 1006 || code === 1015) ws.close();
    else ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
