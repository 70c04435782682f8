import type { Tunnel } from "../exchange.ts";
import type { ClientConnection, Http1Connection } from "./connection.ts";

/** The two ends of an upgraded connection, and what came after each side's head. */
export interface TunnelEnds {
  readonly client: ClientConnection;
  /** Bytes the client sent after its request (pipelined into the tunnel). */
  readonly clientFirst: Uint8Array;
  readonly upstream: Http1Connection;
  /** Bytes the upstream sent after its 101. */
  readonly upstreamFirst: Uint8Array;
  /** `send_timeout`: the longest a write to the client may wait. */
  readonly clientSendTimeoutMs: number;
}

/**
 * Runs an upgraded connection as nginx does (`ngx_http_upstream_process_upgraded()`): bytes go
 * both ways as they come, each write awaited so that a side that stops reading holds the other
 * back; the first side to close (or fail, or time out) ends the tunnel for both, once what it
 * sent has been passed on. `proxy_read_timeout` counts from the last byte either way;
 * `proxy_send_timeout` and `send_timeout` bound a write that waits. Resolves when both ends are
 * closed.
 */
export async function runTunnel(ends: TunnelEnds, tunnel: Tunnel): Promise<void> {
  const { client, upstream } = ends;
  client.setDeadline(0);
  client.setIdleTimeout(0);
  upstream.setIdleTimeout(tunnel.readTimeoutMs);
  // A side that closes ends the tunnel even while the copy towards it waits on a write.
  let gone: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    gone = resolve;
  });
  client.watchClose(gone);
  upstream.watchClose(gone);
  const toClient = pipe(upstream, client, ends.upstreamFirst, 0, ends.clientSendTimeoutMs, (n) => tunnel.counted(n, 0));
  const toUpstream = pipe(client, upstream, ends.clientFirst, tunnel.readTimeoutMs, tunnel.sendTimeoutMs, (n) => tunnel.counted(0, n));
  try {
    await Promise.race([toClient, toUpstream, closed]);
  } catch {}
  client.watchClose(null);
  upstream.watchClose(null);
  // Whichever side ended, the other goes too: the client after what was written to it.
  upstream.close();
  client.end();
  await Promise.allSettled([toClient, toUpstream]);
}

/**
 * Copies `from` to `to` until `from` ends. A write the peer does not take at once waits under
 * `blockedMs` (`to`'s timer is `idleMs` otherwise).
 */
async function pipe(
  from: Http1Connection,
  to: Http1Connection,
  first: Uint8Array,
  idleMs: number,
  blockedMs: number,
  counted: (bytes: number) => void,
): Promise<void> {
  if (first.byteLength > 0) await send(to, first, idleMs, blockedMs, counted);
  for (let chunk = await from.read(); chunk !== null; chunk = await from.read()) {
    await send(to, chunk, idleMs, blockedMs, counted);
  }
}

async function send(
  to: Http1Connection,
  chunk: Uint8Array,
  idleMs: number,
  blockedMs: number,
  counted: (bytes: number) => void,
): Promise<void> {
  const written = to.write(chunk);
  if (to.isWriteBlocked) {
    to.setIdleTimeout(blockedMs);
    try {
      await written;
    } finally {
      to.setIdleTimeout(idleMs);
    }
  } else await written;
  counted(chunk.byteLength);
}
