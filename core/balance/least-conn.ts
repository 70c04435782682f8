import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { type PickState, pickRoundRobin } from "./round-robin.ts";

/**
 * `ngx_http_upstream_get_least_conn_peer()` (docs/nginx-semantics.md 4.2): the usable peer
 * with the fewest `conns / weight`; several at that minimum share by smooth weighted round
 * robin; then the backups by the same rule; a single server is round robin.
 */
export function pickLeastConn(group: PeerGroup, state: PickState, nowSec: number): Peer | null {
  if (group.isSingle) return pickRoundRobin(group, state, nowSec);
  if (!state.onBackup) {
    const peer = pickFewest(group.primary, state.tried, nowSec);
    if (peer) return peer;
    if (group.backup.length === 0) return null;
    state.onBackup = true;
    state.tried.clear();
  }
  return pickFewest(group.backup, state.tried, nowSec);
}

function pickFewest(peers: readonly Peer[], tried: Set<Peer>, nowSec: number): Peer | null {
  let best: Peer | null = null;
  let bestAt = 0;
  let many = false;
  for (let i = 0; i < peers.length; i++) {
    const peer = peers[i] as Peer;
    if (tried.has(peer) || !isUsable(peer, nowSec)) continue;
    // Compared as conns_a * weight_b < conns_b * weight_a, as nginx does.
    if (best === null || peer.conns * best.server.weight < best.conns * peer.server.weight) {
      best = peer;
      bestAt = i;
      many = false;
    } else if (peer.conns * best.server.weight === best.conns * peer.server.weight) {
      many = true;
    }
  }
  if (!best) return null;
  if (many) {
    const first = best;
    let total = 0;
    for (let i = bestAt; i < peers.length; i++) {
      const peer = peers[i] as Peer;
      if (tried.has(peer) || !isUsable(peer, nowSec)) continue;
      if (peer.conns * first.server.weight !== first.conns * peer.server.weight) continue;
      peer.currentWeight += peer.effectiveWeight;
      total += peer.effectiveWeight;
      if (peer.effectiveWeight < peer.server.weight) peer.effectiveWeight++;
      if (peer.currentWeight > best.currentWeight) best = peer;
    }
    best.currentWeight -= total;
  }
  tried.add(best);
  return take(best, nowSec);
}
