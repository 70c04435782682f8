import type { Peer, PeerGroup } from "./peer-group.ts";

/** What one request remembers while it tries peers: which it tried, and which tier it is on. */
export interface PickState {
  readonly tried: Set<Peer>;
  onBackup: boolean;
}

/** A fresh per-request state. */
export function newPickState(): PickState {
  return { tried: new Set(), onBackup: false };
}

/**
 * nginx's smooth weighted round robin (docs/nginx-semantics.md 2.4, 2.7,
 * `ngx_http_upstream_get_peer()`): primaries first; when none is usable the request moves to
 * the backups for good; null is "no live upstreams". The pick is marked tried for this request.
 */
export function pickRoundRobin(group: PeerGroup, state: PickState): Peer | null {
  if (!state.onBackup) {
    const peer = pickSmooth(group.primary, state.tried);
    if (peer) return peer;
    if (group.backup.length === 0) return null;
    state.onBackup = true;
    state.tried.clear();
  }
  return pickSmooth(group.backup, state.tried);
}

function pickSmooth(peers: readonly Peer[], tried: Set<Peer>): Peer | null {
  let best: Peer | null = null;
  let total = 0;
  for (const peer of peers) {
    if (tried.has(peer) || !isUsable(peer)) continue;
    peer.currentWeight += peer.effectiveWeight;
    total += peer.effectiveWeight;
    if (peer.effectiveWeight < peer.server.weight) peer.effectiveWeight++;
    // Strictly greater: ties go to the earlier peer.
    if (best === null || peer.currentWeight > best.currentWeight) best = peer;
  }
  if (best) {
    best.currentWeight -= total;
    tried.add(best);
  }
  return best;
}

function isUsable(peer: Peer): boolean {
  if (peer.server.isDown) return false;
  return peer.server.maxConns === 0 || peer.conns < peer.server.maxConns;
}
