import { crc32, latin1 } from "./crc32.ts";
import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { type PickState, peerAtWeight, pickRoundRobin } from "./round-robin.ts";

/**
 * `hash KEY` without `consistent` (docs/nginx-semantics.md 4.1), Cache::Memcached compatible:
 * each draw adds `(crc32([rehash] KEY) >> 16) & 0x7fff` to the running value; an unusable
 * candidate draws again; an empty key, a single server, or 20 failed draws mean round robin.
 */
export function pickHash(group: PeerGroup, state: PickState, key: string, nowSec: number): Peer | null {
  if (state.tries > 20 || group.isSingle || key === "" || state.onBackup) return pickRoundRobin(group, state, nowSec);
  for (;;) {
    const data = state.rehash > 0 ? `${state.rehash}${key}` : key;
    state.hash += (crc32(latin1(data)) >>> 16) & 0x7fff;
    state.rehash++;
    const peer = peerAtWeight(group.primary, state.hash % group.totalWeight);
    if (!state.tried.has(peer) && isUsable(peer, nowSec)) {
      state.tried.add(peer);
      return take(peer, nowSec);
    }
    if (++state.tries > 20) return pickRoundRobin(group, state, nowSec);
  }
}
