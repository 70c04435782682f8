import type { Peer } from "../balance/peer-group.ts";
import type { Upstream } from "../config/model.ts";
import type { UpstreamPlan } from "../phases/plan.ts";
import type { StatusCounters } from "./counters.ts";
import {
  ACCEPTED,
  ACTIVE,
  BUCKET_BOUNDS_MS,
  HANDLED,
  type Histogram,
  histogramAt,
  PEER_ACTIVE,
  PEER_FAILS,
  PEER_HEADER_TIME,
  PEER_HEADERS,
  PEER_REQUESTS,
  PEER_RESPONSE_TIME,
  PEER_RESPONSES,
  PEER_UNAVAIL,
  READING,
  REQUEST_TIME,
  REQUESTS,
  RESPONSES,
  WAITING,
  WRITING,
} from "./layout.ts";
import { PEER_STATES, peerAddress, peerState } from "./peer-state.ts";

/** The media type of the text exposition format, version 0.0.4 (what Prometheus scrapes by default). */
export const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = readonly (readonly [name: string, value: string])[];
type Sample = readonly [suffix: string, labels: Labels, value: number];

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * The metrics page (`edgeproxy_metrics`): the counters of every thread and each peer's state
 * now, in Prometheus's text exposition format: one `# HELP` and `# TYPE` line per family, then
 * its samples; histograms with cumulative `le` buckets in seconds, `_sum` and `_count`.
 */
export function prometheusText(upstreams: ReadonlyMap<Upstream, UpstreamPlan>, counters: StatusCounters, nowMs: number): string {
  const t = counters.serverTotals();
  const nowSec = Math.floor(nowMs / 1000);
  const peers: { peer: Peer; labels: Labels; totals: Float64Array; state: string }[] = [];
  for (const [upstream, { group }] of upstreams) {
    const repeats = new Map<string, number>();
    for (const peer of [...group.primary, ...group.backup]) {
      const address = peerAddress(peer);
      const n = (repeats.get(address) ?? 0) + 1;
      repeats.set(address, n);
      // A `server` repeated in one upstream is one peer per line: the later ones are told apart.
      const labels: Labels = [
        ["upstream", upstream.name],
        ["peer", n > 1 ? `${address}#${n}` : address],
      ];
      peers.push({ peer, labels, totals: counters.peerTotals(peer.key), state: peerState(group, peer, nowSec) });
    }
  }
  const perPeer = (word: number): Sample[] => peers.map((p) => ["", p.labels, p.totals[word] as number]);
  return [
    family("edgeproxy_connections_accepted_total", "counter", "Client connections accepted (stub_status accepts).", [
      ["", [], t[ACCEPTED] as number],
    ]),
    family("edgeproxy_connections_handled_total", "counter", "Client connections handled (stub_status handled).", [
      ["", [], t[HANDLED] as number],
    ]),
    family("edgeproxy_connections_active", "gauge", "Client connections open now (stub_status Active connections).", [
      ["", [], t[ACTIVE] as number],
    ]),
    family("edgeproxy_connections", "gauge", "Client connections by state now (stub_status Reading, Writing, Waiting).", [
      ["", [["state", "reading"]], t[READING] as number],
      ["", [["state", "writing"]], t[WRITING] as number],
      ["", [["state", "waiting"]], t[WAITING] as number],
    ]),
    family("edgeproxy_http_requests_total", "counter", "Client requests (stub_status requests).", [["", [], t[REQUESTS] as number]]),
    family(
      "edgeproxy_http_responses_total",
      "counter",
      "Responses to clients by status class (requests closed without one by the status they are logged with).",
      CLASSES.map((c, i) => ["", [["code", c]], t[RESPONSES + i] as number]),
    ),
    family(
      "edgeproxy_http_request_duration_seconds",
      "histogram",
      "Client requests from their first byte to the last byte of the response.",
      histogramSamples([], histogramAt(t, REQUEST_TIME)),
    ),
    family(
      "edgeproxy_upstream_peer_state",
      "gauge",
      "Each upstream peer's state now: 1 for the one it is in (up, down, unavail after max_fails, checking once fail_timeout passed or before a first mandatory health check, unhealthy by its health checks).",
      peers.flatMap((p) => PEER_STATES.map((s): Sample => ["", [...p.labels, ["state", s]], p.state === s ? 1 : 0])),
    ),
    family("edgeproxy_upstream_peer_active", "gauge", "Attempts in flight to each upstream peer now.", perPeer(PEER_ACTIVE)),
    family("edgeproxy_upstream_peer_requests_total", "counter", "Attempts sent to each upstream peer.", perPeer(PEER_REQUESTS)),
    family(
      "edgeproxy_upstream_peer_responses_total",
      "counter",
      "Responses from each upstream peer by status class.",
      peers.flatMap((p) => CLASSES.map((c, i): Sample => ["", [...p.labels, ["code", c]], p.totals[PEER_RESPONSES + i] as number])),
    ),
    family(
      "edgeproxy_upstream_peer_fails_total",
      "counter",
      "Failed attempts to each upstream peer (error, timeout, invalid_header, and a retried http_5xx or http_429).",
      perPeer(PEER_FAILS),
    ),
    family(
      "edgeproxy_upstream_peer_unavailable_total",
      "counter",
      "Times each upstream peer became unavailable by max_fails.",
      perPeer(PEER_UNAVAIL),
    ),
    family(
      "edgeproxy_upstream_peer_health_fails",
      "gauge",
      "Failures each upstream peer has counted toward max_fails now.",
      peers.map((p): Sample => ["", p.labels, p.peer.health.fails]),
    ),
    family(
      "edgeproxy_upstream_peer_header_duration_seconds",
      "summary",
      "Time from an attempt's start to the upstream's response head.",
      peers.flatMap((p): Sample[] => [
        ["_sum", p.labels, seconds(p.totals[PEER_HEADER_TIME] as number)],
        ["_count", p.labels, p.totals[PEER_HEADERS] as number],
      ]),
    ),
    family(
      "edgeproxy_upstream_peer_response_duration_seconds",
      "histogram",
      "Time from an attempt's start to the last byte of the upstream's response relayed.",
      peers.flatMap((p) => histogramSamples(p.labels, histogramAt(p.totals, PEER_RESPONSE_TIME))),
    ),
  ].join("");
}

/** The buckets (cumulative, in seconds), sum and count of a histogram. */
function histogramSamples(labels: Labels, h: Histogram): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  h.buckets.forEach((count, i) => {
    cumulative += count;
    const bound = BUCKET_BOUNDS_MS[i];
    out.push(["_bucket", [...labels, ["le", bound === undefined ? "+Inf" : String(seconds(bound))]], cumulative]);
  });
  out.push(["_sum", labels, seconds(h.sumMs)], ["_count", labels, h.count]);
  return out;
}

/** One metric family: its help and type lines, then each sample (none for an empty family). */
function family(name: string, type: string, help: string, samples: readonly Sample[]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const [suffix, labels, value] of samples) out += `${name}${suffix}${labelText(labels)} ${value}\n`;
  return out;
}

function labelText(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`;
}

/** Label values escape backslash, double quote and line feed (the exposition format's three escapes). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function seconds(ms: number): number {
  return ms / 1000;
}
