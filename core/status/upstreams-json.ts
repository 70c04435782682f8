import type { Peer } from "../balance/peer-group.ts";
import type { Upstream } from "../config/model.ts";
import type { UpstreamPlan } from "../phases/plan.ts";
import type { StatusCounters } from "./counters.ts";
import {
  histogramAt,
  PEER_ACTIVE,
  PEER_FAILS,
  PEER_HEADER_TIME,
  PEER_HEADERS,
  PEER_REQUESTS,
  PEER_RESPONSE_TIME,
  PEER_RESPONSES,
  PEER_SELECTED,
  PEER_UNAVAIL,
} from "./layout.ts";
import { peerAddress, peerState } from "./peer-state.ts";

/** One peer as the nginx Plus API's `/http/upstreams/{name}` lists it, with the fields edgeproxy has. */
export interface PeerView {
  readonly id: number;
  /** The address it is reached at. */
  readonly server: string;
  /** The `server` line's address as written (a host name stays a name). */
  readonly name: string;
  readonly backup: boolean;
  readonly weight: number;
  readonly state: string;
  /** Attempts in flight now. */
  readonly active: number;
  readonly max_conns?: number;
  readonly requests: number;
  readonly responses: Readonly<Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx" | "total", number>>;
  readonly fails: number;
  readonly unavail: number;
  /** Average time to the response head, ms. */
  readonly header_time?: number;
  /** Average time of a response relayed to its end, ms. */
  readonly response_time?: number;
  /** When it was last chosen. */
  readonly selected?: string;
  /** edgeproxy's own: the passive-health record behind `state` (docs/nginx-semantics.md 2.5). */
  readonly health: {
    /** Failures counted since the last success after a check. */
    readonly fails: number;
    readonly max_fails: number;
    /** Seconds. */
    readonly fail_timeout: number;
    /** The last failure, if any. */
    readonly failed_at?: string;
    /** When the balancers may try it again (while `unavail`). */
    readonly retry_at?: string;
  };
}

/** The upstreams by name, each with its peers in the order of its `server` lines. */
export type UpstreamsView = Record<string, { readonly peers: readonly PeerView[] }>;

/** Every upstream's peers: their state now, their health and their counts over every thread. */
export function upstreamsView(upstreams: ReadonlyMap<Upstream, UpstreamPlan>, counters: StatusCounters, nowMs: number): UpstreamsView {
  const view: UpstreamsView = {};
  const nowSec = Math.floor(nowMs / 1000);
  for (const [upstream, { group }] of upstreams) {
    const peers = [...group.primary, ...group.backup];
    const inOrder = upstream.servers.map((s) => peers.find((p) => p.server === s) as Peer);
    view[upstream.name] = { peers: inOrder.map((p, id) => peerView(p, id, peerState(group, p, nowSec), counters.peerTotals(p.key))) };
  }
  return view;
}

function peerView(peer: Peer, id: number, state: string, t: Float64Array): PeerView {
  const s = peer.server;
  const h = peer.health;
  const responses = [0, 1, 2, 3, 4].map((c) => t[PEER_RESPONSES + c] as number);
  const heads = t[PEER_HEADERS] as number;
  const relayed = histogramAt(t, PEER_RESPONSE_TIME);
  const selected = t[PEER_SELECTED] as number;
  return {
    id,
    server: peerAddress(peer),
    name: s.text,
    backup: s.isBackup,
    weight: s.weight,
    state,
    active: t[PEER_ACTIVE] as number,
    ...(s.maxConns > 0 ? { max_conns: s.maxConns } : {}),
    requests: t[PEER_REQUESTS] as number,
    responses: {
      "1xx": responses[0] as number,
      "2xx": responses[1] as number,
      "3xx": responses[2] as number,
      "4xx": responses[3] as number,
      "5xx": responses[4] as number,
      total: responses.reduce((a, b) => a + b, 0),
    },
    fails: t[PEER_FAILS] as number,
    unavail: t[PEER_UNAVAIL] as number,
    ...(heads > 0 ? { header_time: Math.round((t[PEER_HEADER_TIME] as number) / heads) } : {}),
    ...(relayed.count > 0 ? { response_time: Math.round(relayed.sumMs / relayed.count) } : {}),
    ...(selected > 0 ? { selected: new Date(selected).toISOString() } : {}),
    health: {
      fails: h.fails,
      max_fails: s.maxFails,
      fail_timeout: s.failTimeoutSec,
      ...(h.accessed > 0 ? { failed_at: new Date(h.accessed * 1000).toISOString() } : {}),
      ...(state === "unavail" ? { retry_at: new Date((h.checked + s.failTimeoutSec + 1) * 1000).toISOString() } : {}),
    },
  };
}
