import type { Peer, PeerGroup } from "../balance/peer-group.ts";

/**
 * A peer's state, in the nginx Plus API's words: `down` in the config, `unavail` after
 * `max_fails` failures within `fail_timeout` (docs/nginx-semantics.md 2.5), `checking` once
 * `fail_timeout` has passed and the next request will probe it, `up` otherwise. A
 * single-server upstream is never marked failed (2.6). With `health_check`, a peer failing its
 * checks is `unhealthy`, and one waiting for its first `mandatory` check `checking`.
 */
export type PeerState = "up" | "down" | "unavail" | "checking" | "unhealthy";

/** The state of `peer` at `nowSec` (whole seconds, as the failure state counts). */
export function peerState(group: PeerGroup, peer: Peer, nowSec: number): PeerState {
  const s = peer.server;
  if (s.isDown) return "down";
  if (peer.health.active !== "up") return peer.health.active;
  if (group.isSingle || s.maxFails === 0 || peer.health.fails < s.maxFails) return "up";
  // As isUsable() (balance/health.ts) reads it: unusable within fail_timeout of the last check.
  return nowSec - peer.health.checked <= s.failTimeoutSec ? "unavail" : "checking";
}

/** Every state, in the order the metrics list them. */
export const PEER_STATES: readonly PeerState[] = ["up", "down", "unavail", "checking", "unhealthy"];

/** The address a peer is reached at, as nginx's `$upstream_addr` writes it. */
export function peerAddress(peer: Peer): string {
  const a = peer.server.address;
  return a.kind === "unix" ? `unix:${a.path}` : `${a.host}:${a.port}`;
}
