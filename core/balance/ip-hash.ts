import ipaddr from "ipaddr.js";
import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { type PickState, peerAtWeight, pickRoundRobin } from "./round-robin.ts";

const UNIX_KEY = new Uint8Array(3);

/**
 * The bytes `ip_hash` folds (docs/nginx-semantics.md 3.1): the first three octets of an IPv4
 * client, all sixteen bytes of an IPv6 one, three zero bytes for anything else (unix sockets).
 */
export function ipHashKey(address: string): Uint8Array {
  if (!ipaddr.isValid(address)) return UNIX_KEY;
  const bytes = ipaddr.parse(address).toByteArray();
  return Uint8Array.from(bytes.length === 4 ? bytes.slice(0, 3) : bytes);
}

/**
 * `ngx_http_upstream_get_ip_hash_peer()` (3.1-3.4): h = (h * 113 + byte) % 6271 over the key,
 * continuing from the previous value on each rehash; an unusable candidate rehashes; after 20
 * rehashes, or for a single-server upstream, round robin decides.
 */
export function pickIpHash(group: PeerGroup, state: PickState, key: Uint8Array, nowSec: number): Peer | null {
  if (state.tries > 20 || group.isSingle || state.onBackup) return pickRoundRobin(group, state, nowSec);
  let hash = state.hash;
  for (;;) {
    for (const byte of key) hash = (hash * 113 + byte) % 6271;
    const peer = peerAtWeight(group.primary, hash % group.totalWeight);
    if (!state.tried.has(peer) && isUsable(peer, nowSec)) {
      state.hash = hash;
      state.tried.add(peer);
      return take(peer, nowSec);
    }
    if (++state.tries > 20) return pickRoundRobin(group, state, nowSec);
  }
}
