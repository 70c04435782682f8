import type { FailureState } from "../capabilities.ts";
import { countUnavailable } from "../status/peer-stats.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";

/**
 * Whether a balancer may choose this peer now (docs/nginx-semantics.md 2.3): not `down`, not
 * failed within its `fail_timeout` (whole seconds, inclusive), not at `max_conns`; and, as
 * nginx Plus adds, not `unhealthy` nor `checking` under active health checks. The passive and
 * the active state are kept apart and each must allow the peer.
 */
export function isUsable(peer: Peer, nowSec: number): boolean {
  const s = peer.server;
  if (s.isDown) return false;
  const h = peer.health;
  if (h.active !== "up") return false;
  if (s.maxFails > 0 && h.fails >= s.maxFails && nowSec - h.checked <= s.failTimeoutSec) return false;
  return s.maxConns === 0 || peer.conns < s.maxConns;
}

/** What every balancer does to the peer it chose: count the attempt, move `checked` (2.4 step 3). */
export function take(peer: Peer, nowSec: number): Peer {
  peer.conns++;
  if (nowSec - peer.health.checked > peer.server.failTimeoutSec) peer.health.checked = nowSec;
  return peer;
}

/** How an attempt ended, for the failure state machine. */
export type AttemptEnd = "failed" | "ok";

/**
 * `ngx_http_upstream_free_round_robin_peer()` (2.5): a failure counts and lowers the peer's
 * effective weight; a success resets `fails` only after a post-timeout check (`accessed <
 * checked`). A single-server upstream keeps no accounting (2.6).
 */
export function release(
  group: PeerGroup,
  peer: Peer,
  end: AttemptEnd,
  nowSec: number,
  failures: FailureState,
  warn: (m: string) => void,
): void {
  peer.conns--;
  if (group.isSingle) return;
  const h = peer.health;
  const s = peer.server;
  if (end === "failed") {
    h.fails++;
    h.accessed = nowSec;
    h.checked = nowSec;
    if (s.maxFails > 0) {
      peer.effectiveWeight -= Math.floor(s.weight / s.maxFails);
      if (h.fails >= s.maxFails) {
        warn("upstream server temporarily disabled");
        countUnavailable(peer.stats);
        failures.changed(peer.key, h, "unavailable");
      }
    }
    if (peer.effectiveWeight < 0) peer.effectiveWeight = 0;
    return;
  }
  if (h.accessed < h.checked && h.fails > 0) {
    const wasUnavailable = s.maxFails > 0 && h.fails >= s.maxFails;
    h.fails = 0;
    if (wasUnavailable) failures.changed(peer.key, h, "recovered");
  }
}
