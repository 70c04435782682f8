import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";

/** What one request remembers while it tries peers (nginx's `rrp`, `iphp`, `hp`). */
export interface PickState {
  /** Peers this request already tried, on its current tier. */
  readonly tried: Set<Peer>;
  /** The request moved to the backup tier; it never returns to the primaries (2.7). */
  onBackup: boolean;
  /** The hash balancers' chain: value, rehash count, and failed draws (past 20: round robin). */
  hash: number;
  rehash: number;
  tries: number;
}

/** A fresh per-request state. */
export function newPickState(hash = 0): PickState {
  return { tried: new Set(), onBackup: false, hash, rehash: 0, tries: 0 };
}

/**
 * `ngx_http_upstream_get_round_robin_peer()` (docs/nginx-semantics.md 2.4, 2.6, 2.7): the
 * single peer directly, otherwise smooth weighted round robin over the primaries, then the
 * backups for the rest of the request; null is "no live upstreams".
 */
export function pickRoundRobin(group: PeerGroup, state: PickState, nowSec: number): Peer | null {
  if (!state.onBackup) {
    const peer = group.isSingle ? pickSingle(group.primary[0] as Peer) : pickSmooth(group.primary, state.tried, nowSec);
    if (peer) return peer;
    if (group.backup.length === 0) return null;
    state.onBackup = true;
    state.tried.clear();
  }
  return pickSmooth(group.backup, state.tried, nowSec);
}

/**
 * A single-server upstream ignores passive failures: only `down` and `max_conns` stop it (2.6),
 * and, as in nginx Plus, failed active health checks, which mark the peer down.
 */
function pickSingle(peer: Peer): Peer | null {
  const s = peer.server;
  if (s.isDown || peer.health.active !== "up" || (s.maxConns > 0 && peer.conns >= s.maxConns)) return null;
  peer.conns++;
  return peer;
}

/** `ngx_http_upstream_get_peer()`: smooth weighted round robin among usable peers. */
export function pickSmooth(peers: readonly Peer[], tried: Set<Peer>, nowSec: number): Peer | null {
  let best: Peer | null = null;
  let total = 0;
  for (const peer of peers) {
    if (tried.has(peer) || !isUsable(peer, nowSec)) continue;
    peer.currentWeight += peer.effectiveWeight;
    total += peer.effectiveWeight;
    if (peer.effectiveWeight < peer.server.weight) peer.effectiveWeight++;
    // Strictly greater: ties go to the earlier peer.
    if (best === null || peer.currentWeight > best.currentWeight) best = peer;
  }
  if (!best) return null;
  best.currentWeight -= total;
  tried.add(best);
  return take(best, nowSec);
}

/** The primary peer owning slot `w` of `total_weight` (each peer holds `weight` slots). */
export function peerAtWeight(peers: readonly Peer[], w: number): Peer {
  let rest = w;
  for (const peer of peers) {
    if (rest < peer.server.weight) return peer;
    rest -= peer.server.weight;
  }
  return peers[peers.length - 1] as Peer;
}
