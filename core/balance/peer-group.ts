import type { FailureState, KeepalivePolicy, PeerHealth } from "../capabilities.ts";
import type { Upstream, UpstreamServer } from "../config/model.ts";
import type { StatusCounters } from "../status/counters.ts";

/** One peer: its configuration, its balancing state in this process, and its shared health. */
export interface Peer {
  readonly server: UpstreamServer;
  /** Stable across reloads: `upstream|address|n`. */
  readonly key: string;
  /** Passive health (docs/nginx-semantics.md 2.5), from the FailureState capability. */
  readonly health: PeerHealth;
  /** This thread's counts for the status pages (status/layout.ts, `PEER_*`). */
  readonly stats: Float64Array;
  /** Smooth weighted round robin state (2.4), kept per process as nginx keeps it per worker. */
  currentWeight: number;
  effectiveWeight: number;
  /** Attempts in flight on this peer in this process (`max_conns`, `least_conn`). */
  conns: number;
}

/** The peers of one upstream, split into the primary and backup tiers. */
export interface PeerGroup {
  readonly upstream: Upstream;
  readonly primary: readonly Peer[];
  readonly backup: readonly Peer[];
  /** Sum of the primary peers' weights, `down` ones included (ip_hash, hash). */
  readonly totalWeight: number;
  /** One primary address and no backup: never marked failed, never retried (2.6). */
  readonly isSingle: boolean;
  /** Attempts a request may make: non-`down` peers of both tiers (2.8). */
  readonly maxTries: number;
  /** The connection cache policy; nginx 1.22 caches only with `keepalive N` (4.4). */
  readonly keepalive: KeepalivePolicy | null;
  /** Every peer's key, both tiers: what a read-through store refreshes before a pick. */
  readonly keys: readonly string[];
}

/** Builds the runtime peers of an upstream, with their health records from `failures` and their counts from `counters`. */
export function createPeerGroup(upstream: Upstream, failures: FailureState, counters: StatusCounters): PeerGroup {
  const seen = new Map<string, number>();
  const peer = (server: UpstreamServer): Peer => {
    const a = server.address;
    const address = a.kind === "unix" ? `unix:${a.path}` : `${a.host}:${a.port}`;
    const n = (seen.get(address) ?? 0) + 1;
    seen.set(address, n);
    const key = `${upstream.name.toLowerCase()}|${address}|${n}`;
    const health = failures.peer(key);
    return { server, key, health, stats: counters.peer(key), currentWeight: 0, effectiveWeight: server.weight, conns: 0 };
  };
  const primary = upstream.servers.filter((s) => !s.isBackup).map(peer);
  const backup = upstream.servers.filter((s) => s.isBackup).map(peer);
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
  return {
    upstream,
    primary,
    backup,
    totalWeight: primary.reduce((sum, p) => sum + p.server.weight, 0),
    isSingle: primary.length === 1 && backup.length === 0,
    maxTries: [...primary, ...backup].filter((p) => !p.server.isDown).length,
    keepalive,
    keys: [...primary, ...backup].map((p) => p.key),
  };
}
