import type { KeepalivePolicy } from "../capabilities.ts";
import type { Upstream, UpstreamServer } from "../config/model.ts";

/** One peer's balancing state, kept across requests (docs/nginx-semantics.md 2.3). */
export interface Peer {
  readonly server: UpstreamServer;
  currentWeight: number;
  effectiveWeight: number;
  /** Attempts in flight on this peer. */
  conns: number;
}

/** The peers of one upstream, split into the primary and backup tiers. */
export interface PeerGroup {
  readonly upstream: Upstream;
  readonly primary: readonly Peer[];
  readonly backup: readonly Peer[];
  /** One primary address and no backup: never marked failed, never retried (2.6). */
  readonly isSingle: boolean;
  /** Attempts a request may make: non-`down` peers of both tiers (2.8). */
  readonly maxTries: number;
  /** The connection cache policy; nginx 1.22 caches only with `keepalive N` (4.4). */
  readonly keepalive: KeepalivePolicy | null;
}

/** Builds the runtime peers of an upstream. */
export function createPeerGroup(upstream: Upstream): PeerGroup {
  const peer = (server: UpstreamServer): Peer => ({ server, currentWeight: 0, effectiveWeight: server.weight, conns: 0 });
  const primary = upstream.servers.filter((s) => !s.isBackup).map(peer);
  const backup = upstream.servers.filter((s) => s.isBackup).map(peer);
  const maxTries = [...primary, ...backup].filter((p) => !p.server.isDown).length;
  const u = upstream;
  const keepalive =
    u.keepalive > 0
      ? {
          poolKey: u.name,
          maxIdle: u.keepalive,
          maxRequests: u.keepaliveRequests,
          idleTimeoutMs: u.keepaliveTimeoutMs,
          maxAgeMs: u.keepaliveTimeMs,
        }
      : null;
  return { upstream, primary, backup, isSingle: primary.length === 1 && backup.length === 0, maxTries, keepalive };
}
