import type { KeepalivePolicy } from "../../core/index.ts";
import type { SocketReader } from "./socket-reader.ts";

/** An upstream connection and what keepalive needs to know about it. */
export interface UpstreamConnection {
  readonly reader: SocketReader;
  /** Peer identity: a cached connection is only reused for the same address. */
  readonly peerKey: string;
  readonly createdAt: number;
  requests: number;
}

/**
 * nginx's upstream keepalive cache (docs/nginx-semantics.md 4.4): per upstream, at most
 * `keepalive N` idle connections, the oldest closed when full; searched by peer address.
 */
export class ConnectionPool {
  readonly #idle = new Map<string, UpstreamConnection[]>();

  /** An idle connection to this peer, or null. */
  take(policy: KeepalivePolicy, peerKey: string): UpstreamConnection | null {
    const list = this.#idle.get(policy.poolKey);
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const conn = list[i] as UpstreamConnection;
      if (conn.peerKey !== peerKey) continue;
      list.splice(i, 1);
      if (conn.reader.isClosed) continue;
      conn.reader.socket.setTimeout(0);
      return conn;
    }
    return null;
  }

  /** Caches a connection whose exchange completed cleanly, or closes it when limits say so. */
  release(policy: KeepalivePolicy, conn: UpstreamConnection): void {
    const socket = conn.reader.socket;
    if (conn.reader.isClosed || conn.requests >= policy.maxRequests || Date.now() - conn.createdAt >= policy.maxAgeMs) {
      socket.destroy();
      return;
    }
    let list = this.#idle.get(policy.poolKey);
    if (!list) {
      list = [];
      this.#idle.set(policy.poolKey, list);
    }
    if (list.length >= policy.maxIdle) list.shift()?.reader.socket.destroy();
    list.push(conn);
    // An idle connection that times out or is closed by the peer stays listed until take() skips it.
    socket.setTimeout(policy.idleTimeoutMs);
  }

  /** Closes every idle connection (shutdown). */
  closeAll(): void {
    for (const list of this.#idle.values()) for (const c of list.splice(0)) c.reader.socket.destroy();
  }
}
