import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { type PickState, peerAtWeight, pickRoundRobin } from "./round-robin.ts";

/** A random integer in [0, n): the platform's Math.random, as nginx uses `ngx_random()`. */
export type RandomInt = (n: number) => number;

export const mathRandomInt: RandomInt = (n) => Math.floor(Math.random() * n);

/**
 * `random` (docs/nginx-semantics.md 4.3): a peer drawn by weight; an unusable draw draws
 * again; after 20 failed draws, or for a single server, round robin.
 */
export function pickRandom(group: PeerGroup, state: PickState, nowSec: number, random: RandomInt): Peer | null {
  if (state.tries > 20 || group.isSingle || state.onBackup) return pickRoundRobin(group, state, nowSec);
  for (;;) {
    const peer = peerAtWeight(group.primary, random(group.totalWeight));
    if (!state.tried.has(peer) && isUsable(peer, nowSec)) {
      state.tried.add(peer);
      return take(peer, nowSec);
    }
    if (++state.tries > 20) return pickRoundRobin(group, state, nowSec);
  }
}

/**
 * `random two [least_conn]`: two distinct usable peers drawn by weight, the one with fewer
 * `conns / weight` wins, a tie goes to the second draw.
 */
export function pickRandomTwo(group: PeerGroup, state: PickState, nowSec: number, random: RandomInt): Peer | null {
  if (state.tries > 20 || group.primary.length < 2 || state.onBackup) return pickRoundRobin(group, state, nowSec);
  let first: Peer | null = null;
  for (;;) {
    const peer = peerAtWeight(group.primary, random(group.totalWeight));
    if (peer !== first && !state.tried.has(peer) && isUsable(peer, nowSec)) {
      if (first) {
        const chosen = peer.conns * first.server.weight > first.conns * peer.server.weight ? first : peer;
        state.tried.add(chosen);
        return take(chosen, nowSec);
      }
      first = peer;
    }
    if (++state.tries > 20) return pickRoundRobin(group, state, nowSec);
  }
}
