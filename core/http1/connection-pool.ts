import type { KeepalivePolicy } from "../capabilities.ts";
import type { Http1Connection } from "./connection.ts";

/** An upstream connection and what keepalive needs to know about it. */
export interface PooledConnection {
  readonly connection: Http1Connection;
  /** Peer identity: a cached connection is only reused for the same address. */
  readonly peerKey: string;
  readonly createdAt: number;
  requests: number;
}

/**
 * nginx's upstream keepalive cache (docs/nginx-semantics.md 4.4): per upstream, at most
 * `keepalive N` idle connections, the oldest closed when full; searched by peer address. A
 * cached connection that receives anything, or is closed by the peer, is closed and skipped
 * (`ngx_http_upstream_keepalive_close_handler()`).
 */
export class ConnectionPool {
  readonly #idle = new Map<string, PooledConnection[]>();

  /** An idle connection to this peer, or null. */
  take(policy: KeepalivePolicy, peerKey: string): PooledConnection | null {
    const list = this.#idle.get(policy.poolKey);
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const pooled = list[i] as PooledConnection;
      if (pooled.peerKey !== peerKey) continue;
      list.splice(i, 1);
      if (pooled.connection.isClosed) continue;
      pooled.connection.watchIdle(null);
      // Its cache timeout runs on until the exchange sets its own, at once.
      return pooled;
    }
    return null;
  }

  /** Caches a connection whose exchange completed cleanly, or closes it when limits say so. */
  release(policy: KeepalivePolicy, pooled: PooledConnection, now: number): void {
    const conn = pooled.connection;
    if (conn.isClosed || pooled.requests >= policy.maxRequests || now - pooled.createdAt >= policy.maxAgeMs) {
      conn.close();
      return;
    }
    let list = this.#idle.get(policy.poolKey);
    if (!list) {
      list = [];
      this.#idle.set(policy.poolKey, list);
    }
    if (list.length >= policy.maxIdle) list.shift()?.connection.close();
    list.push(pooled);
    // Bytes or a close while it idles make it unclean: closed at once, skipped by take().
    conn.watchIdle(() => conn.close());
    conn.setIdleTimeout(policy.idleTimeoutMs);
  }

  /** Closes every idle connection (shutdown). */
  closeAll(): void {
    for (const list of this.#idle.values()) for (const p of list.splice(0)) p.connection.close();
  }
}
