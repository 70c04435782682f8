import { crc32, crc32Final, crc32Update, latin1 } from "./crc32.ts";
import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { type PickState, pickRoundRobin } from "./round-robin.ts";

/** The ketama ring of `hash KEY consistent`: sorted point hashes and the server text of each. */
export interface HashRing {
  readonly hashes: Uint32Array;
  readonly servers: readonly string[];
}

/**
 * Builds the ring once at load (docs/nginx-semantics.md 4.1, Cache::Memcached::Fast
 * compatible): `weight * 160` points per primary peer, each the CRC-32 of
 * `HOST \0 PORT` continued over the previous point's 4 little-endian bytes.
 */
export function buildRing(group: PeerGroup): HashRing {
  const points: { hash: number; server: string }[] = [];
  for (const peer of group.primary) {
    const text = peer.server.text;
    const [host, port] = splitServer(text);
    const base = crc32Update(crc32Update(crc32Update(0xffffffff, latin1(host)), new Uint8Array(1)), latin1(port));
    const prev = new Uint8Array(4);
    const view = new DataView(prev.buffer);
    for (let j = 0; j < peer.server.weight * 160; j++) {
      const hash = crc32Final(crc32Update(base, prev));
      points.push({ hash, server: text });
      view.setUint32(0, hash, true);
    }
  }
  points.sort((a, b) => a.hash - b.hash);
  const unique = points.filter((p, i) => i === 0 || p.hash !== points[i - 1]?.hash);
  return { hashes: Uint32Array.from(unique, (p) => p.hash), servers: unique.map((p) => p.server) };
}

/** Host and port of a configured server text; `unix:` servers have no port. */
function splitServer(text: string): [string, string] {
  if (text.toLowerCase().startsWith("unix:")) return [text.slice(5), ""];
  const m = /^(.*):(\d*)$/.exec(text);
  return m ? [m[1] as string, m[2] as string] : [text, ""];
}

/** The first point whose hash is >= `hash` (the ring wraps with the modulo at lookup). */
export function findPoint(ring: HashRing, hash: number): number {
  let i = 0;
  let j = ring.hashes.length;
  while (i < j) {
    const k = (i + j) >>> 1;
    const h = ring.hashes[k] as number;
    if (hash > h) i = k + 1;
    else if (hash < h) j = k;
    else return k;
  }
  return i;
}

/** The start of a request's walk round the ring. */
export function ringStart(ring: HashRing, key: string): number {
  return findPoint(ring, crc32(latin1(key)));
}

/**
 * `ngx_http_upstream_get_chash_peer()`: at the current point, smooth weighted round robin
 * among usable peers with that server text (a host name's several addresses); none usable
 * moves one point on; after 20 moves, an empty key or a single server: round robin.
 */
export function pickConsistentHash(group: PeerGroup, ring: HashRing, state: PickState, key: string, nowSec: number): Peer | null {
  if (state.tries > 20 || group.isSingle || key === "" || state.onBackup) return pickRoundRobin(group, state, nowSec);
  for (;;) {
    const server = ring.servers[state.hash % ring.servers.length];
    let best: Peer | null = null;
    let total = 0;
    for (const peer of group.primary) {
      if (state.tried.has(peer) || peer.server.text !== server || !isUsable(peer, nowSec)) continue;
      peer.currentWeight += peer.effectiveWeight;
      total += peer.effectiveWeight;
      if (peer.effectiveWeight < peer.server.weight) peer.effectiveWeight++;
      if (best === null || peer.currentWeight > best.currentWeight) best = peer;
    }
    if (best) {
      best.currentWeight -= total;
      state.tried.add(best);
      return take(best, nowSec);
    }
    state.hash++;
    if (++state.tries > 20) return pickRoundRobin(group, state, nowSec);
  }
}
