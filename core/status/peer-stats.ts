import {
  add,
  observe,
  PEER_ACTIVE,
  PEER_FAILS,
  PEER_HEADER_TIME,
  PEER_HEADERS,
  PEER_REQUESTS,
  PEER_RESPONSE_TIME,
  PEER_RESPONSES,
  PEER_SELECTED,
  PEER_UNAVAIL,
  statusClass,
} from "./layout.ts";

/** An attempt begins on the peer a balancer chose: counted, in flight, and when it was chosen. */
export function countAttempt(stats: Float64Array, nowMs: number): void {
  add(stats, PEER_REQUESTS);
  add(stats, PEER_ACTIVE);
  stats[PEER_SELECTED] = nowMs;
}

/** The peer answered with a head: its status class, and how long the head took. */
export function countPeerResponse(stats: Float64Array, status: number, headerMs: number): void {
  add(stats, PEER_RESPONSES + statusClass(status));
  add(stats, PEER_HEADER_TIME, headerMs);
  add(stats, PEER_HEADERS);
}

/**
 * The attempt is over: no longer in flight, a failure counted, and for a response relayed to
 * its end, its whole time in the histogram (null for the others).
 */
export function countAttemptEnd(stats: Float64Array, isFailed: boolean, responseMs: number | null): void {
  add(stats, PEER_ACTIVE, -1);
  if (isFailed) add(stats, PEER_FAILS);
  if (responseMs !== null) observe(stats, PEER_RESPONSE_TIME, responseMs);
}

/** The peer became unavailable by `max_fails` (nginx's "upstream server temporarily disabled"). */
export function countUnavailable(stats: Float64Array): void {
  add(stats, PEER_UNAVAIL);
}
