import type { Peer } from "../balance/peer-group.ts";
import type { Capabilities } from "../capabilities.ts";
import type { Config, Location, ProxyPass, Server } from "../config/model.ts";
import type { Directive } from "../config/parse.ts";
import type { HeaderPairs } from "../exchange.ts";
import { findConfig } from "../phases/find-config.ts";
import type { Outcome } from "../phases/outcome.ts";
import { type LocationPlan, type ProxyPlan, planProxy, type UpstreamPlan } from "../phases/plan.ts";
import { passOfName, targetNow } from "../phases/proxy-target.ts";
import { readRequest } from "../phases/read.ts";
import { rewrite, serverRewrite } from "../phases/rewrite.ts";
import type { LocationMatcher } from "../route/location-match.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { buildRequestHeaders } from "../shape/request-headers.ts";
import { renderTemplate } from "../shape/template.ts";
import { upstreamTarget } from "../shape/upstream-target.ts";
import { type AppliedDirective, appliedDirectives } from "./applied-directives.ts";
import type { ExplainInput } from "./explain-request.ts";
import { at, locationText, matchRule } from "./rules.ts";

/** Where a request goes and why: what `edgeproxy explain` prints (as text, or as this object with --json). */
export interface Explanation {
  readonly request: { readonly method: string; readonly target: string; readonly headers: HeaderPairs; readonly from: string };
  /** The server block, `file:line`, and the rule that chose it; null when no server takes the address. */
  readonly server: { readonly at: string; readonly names: readonly string[]; readonly rule: string } | null;
  /** The location the request ends in, and the rule that chose it; null at server level. */
  readonly location: { readonly at: string; readonly location: string; readonly rule: string } | null;
  /** What happened on the way, in phase order: rewrites, location searches, `if` blocks. */
  readonly steps: readonly string[];
  /** Every directive of the blocks the request ran in, innermost first, with the block it came from. */
  readonly directives: readonly AppliedDirective[];
  readonly answer: Answer;
}

/** How the request is answered: proxied (the upstream request and the balancer's pick), or by edgeproxy itself. */
export type Answer =
  | {
      readonly kind: "proxy";
      readonly upstream: string;
      readonly balancer: string;
      /** The request line and headers the upstream gets. */
      readonly request: { readonly method: string; readonly target: string; readonly httpVersion: string; readonly headers: HeaderPairs };
      /** The peer the balancer picks first, as this process sees the peers; null is 502 "no live upstreams". */
      readonly pick: string | null;
      readonly peers: readonly PeerState[];
    }
  | {
      readonly kind: "status";
      readonly status: number;
      readonly location?: string;
      /** The body of a `return` with text. */
      readonly body?: string;
      readonly why: string;
    };

/** One peer and its state as this process knows it. */
export interface PeerState {
  readonly address: string;
  readonly weight: number;
  readonly isBackup: boolean;
  /** `up`, `down` (config), `unhealthy` (health_check), `failed` (max_fails within fail_timeout), `full` (max_conns). */
  readonly state: "up" | "down" | "unhealthy" | "checking" | "failed" | "full";
}

/**
 * `edgeproxy explain`: builds the proxy's tables from `config` as a server starting on it would
 * (peer states as `caps.failures` holds them, read at each explanation) and explains requests.
 */
export function createExplainer(
  config: Config,
  caps: Capabilities,
): (input: ExplainInput, tree: readonly Directive[] | null) => Explanation {
  const plan = planProxy(config, caps);
  return (input, tree) => explain(plan, input, tree, caps.clock.now());
}

const RESTART_AT = { "server-rewrite": 0, "find-config": 1, rewrite: 2 } as const;

/**
 * Follows a request through the phases the proxy runs (read, server rewrite, find config,
 * rewrite) with the same tables, then says what the content phase would do, without sending
 * anything: the upstream request is shaped and the balancer picks as for a real request.
 * `tree` is the parsed config, for the directives that applied; null leaves them out.
 */
export function explain(plan: ProxyPlan, input: ExplainInput, tree: readonly Directive[] | null, nowMs: number): Explanation {
  const { head, connection } = input;
  const request = { method: head.method, target: head.target, headers: head.headers, from: connection.remoteAddress };
  if (input.refused) {
    const answer: Answer = {
      kind: "status",
      status: input.refused.status,
      why: `the HTTP/1 reader refuses the head: ${input.refused.reason}`,
    };
    return { request, server: null, location: null, steps: [], directives: [], answer };
  }
  const read = readRequest(plan, head, connection, null);
  if (read.kind === "refused") {
    const why = read.request ? "the request line or Host is refused by the read phase" : `no server listens on ${connection.listenKey}`;
    return { request, server: null, location: null, steps: [], directives: [], answer: { kind: "status", status: read.status, why } };
  }
  const r = read.request;
  const chosen = plan.servers.explain(connection, r.hadHost ? r.host : null);
  const server = { at: at(r.server.at), names: r.server.names, rule: chosen?.rule ?? "" };
  const steps: string[] = [];
  const outcome = runPhases(plan, r, steps);
  const location = r.location ? { at: at(r.location.at), location: locationText(r.location), rule: lastRule(steps) } : null;
  const directives = tree ? appliedDirectives(tree, r.server, locationChain(r.server, r.location)) : [];
  const answer = outcome.kind === "next" ? content(plan, r, nowMs) : statusAnswer(outcome, r, steps);
  return { request, server, location, steps, directives, answer };
}

/** The phases before content, as createProxy runs them, noting each turn in `steps`. */
function runPhases(plan: ProxyPlan, r: RequestContext, steps: string[]): Exclude<Outcome, { kind: "restart" }> {
  let at = 0;
  for (;;) {
    const uri = r.uri;
    const location = r.location;
    const outcome = at === 0 ? serverRewrite(plan, r) : at === 1 ? findConfig(plan, r) : rewrite(plan, r);
    if (at === 0 && r.uri !== uri) steps.push(`server rewrite: $uri ${uri} -> ${r.uri}`);
    if (at === 1) steps.push(matchStep(plan, r));
    if (at === 2 && r.location !== location && r.location?.modifier === "if") steps.push(`if block at ${at2(r.location)} holds`);
    if (at === 2 && outcome.kind === "restart") steps.push(`rewrite: $uri ${uri} -> ${r.uri}, location searched again`);
    if (outcome.kind === "next") {
      if (++at === 3) return outcome;
    } else if (outcome.kind === "restart") at = RESTART_AT[outcome.at];
    else return outcome;
  }
}

const at2 = (location: Location) => at(location.at);

function matchStep(plan: ProxyPlan, r: RequestContext): string {
  const match = (plan.locations.get(r.server) as LocationMatcher).match(r.uri);
  return `location for ${r.uri}: ${matchRule(match)}`;
}

function lastRule(steps: readonly string[]): string {
  const step = [...steps].reverse().find((s) => s.startsWith("location for "));
  return step ? step.slice(step.indexOf(": ") + 2) : "";
}

/** The location and the locations it is nested in, outermost first (an `if` block last). */
function locationChain(server: Server, location: Location | null): Location[] {
  if (!location) return [];
  const path = (list: readonly Location[]): Location[] | null => {
    for (const l of list) {
      if (l === location) return [l];
      const inner = path([...l.children, ...ifBlocksOf(l)]);
      if (inner) return [l, ...inner];
    }
    return null;
  };
  return path(server.locations) ?? [location];
}

/** A location's `if` blocks: each an unnamed location the request may switch to. */
function ifBlocksOf(location: Location): Location[] {
  return (location.script ?? []).flatMap((op) => (op.kind === "if" && op.block ? [op.block] : []));
}

function statusAnswer(outcome: Exclude<Outcome, { kind: "next" | "restart" }>, r: RequestContext, steps: readonly string[]): Answer {
  if (outcome.kind === "response") {
    const response = outcome.response;
    if (response.kind !== "response")
      return { kind: "status", status: response.logStatus, why: "the connection is closed without a response" };
    const body = response.body instanceof Uint8Array ? String.fromCharCode(...response.body) : undefined;
    return { kind: "status", status: response.status, ...(body === undefined ? {} : { body }), why: "return" };
  }
  const location = outcome.location === undefined ? {} : { location: outcome.location };
  return { kind: "status", status: outcome.status, ...location, why: statusWhy(outcome.status, r, steps) };
}

/** Which rule answered with a status of edgeproxy's own. */
function statusWhy(status: number, r: RequestContext, steps: readonly string[]): string {
  if (status === 301 && steps.at(-1)?.includes("trailing slash")) return "nginx's redirect to the location with its slash";
  if (status === 404 && r.location?.isInternal) return "the location is internal";
  if (status === 413) return "Content-Length above client_max_body_size";
  if (status === 500 && r.uriChanges === 0) return "rewrite or internal redirection cycle";
  return "return, or a rewrite that redirects";
}

/** The content phase's decision (phases/content.ts, proxy-handler.ts), stopping before anything is sent. */
function content(plan: ProxyPlan, r: RequestContext, nowMs: number): Answer {
  const location = r.location;
  if (r.handler !== "proxy" || location === null)
    return { kind: "status", status: 404, why: "no proxy_pass for this request: nothing to serve" };
  if (location.proxy === null)
    return { kind: "status", status: 500, why: "no upstream configuration (an if block without proxy_pass to inherit)" };
  // A proxy_pass with variables is evaluated as the request would evaluate it; a name is not resolved here.
  const target = targetNow(plan, r, location, location.proxy);
  if (!("kind" in target)) return proxied(plan, r, location, target.pass, target.upstream, nowMs);
  if (target.kind === "status")
    return { kind: "status", status: target.status, why: "proxy_pass with variables: its URL or its name cannot be used" };
  if (target.kind !== "resolve") return { kind: "status", status: 500, why: "unexpected proxy_pass target" };
  return {
    ...proxyRequest(plan, r, location, passOfName(target)),
    kind: "proxy",
    upstream: target.host,
    balancer: "the resolver's addresses, round robin",
    pick: `${target.host}, asked of the resolver when the request comes`,
    peers: [],
  };
}

/** The request line and headers the upstream would get. */
function proxyRequest(
  plan: ProxyPlan,
  r: RequestContext,
  location: Location,
  pass: ProxyPass,
): { request: Extract<Answer, { kind: "proxy" }>["request"] } {
  const locationPlan = plan.plans.get(location) as LocationPlan;
  r.pass = pass;
  const settings = location.settings;
  const framing = r.head.framing.kind === "none" || !settings.proxyPassRequestBody ? ({ kind: "none" } as const) : r.head.framing;
  return {
    request: {
      method: settings.proxyMethod ? renderTemplate(settings.proxyMethod, r) : r.method,
      target: upstreamTarget(pass, location, r),
      httpVersion: settings.proxyHttpVersion,
      headers: buildRequestHeaders(locationPlan.headers, r, framing, r.head),
    },
  };
}

function proxied(plan: ProxyPlan, r: RequestContext, location: Location, pass: ProxyPass, upstream: UpstreamPlan, nowMs: number): Answer {
  const { request } = proxyRequest(plan, r, location, pass);
  const nowSec = Math.floor(nowMs / 1000);
  const peer = upstream.balancer.pick(upstream.balancer.begin(r), nowSec);
  // Nothing is sent: the pick's in-flight count goes back at once.
  if (peer) peer.conns--;
  const u = upstream.group.upstream;
  const group = upstream.group;
  return {
    kind: "proxy",
    upstream: u.name,
    balancer: `${u.balancer.kind}${u.sticky ? ` with sticky ${u.sticky.kind}` : ""}`,
    request,
    pick: peer ? addressOf(peer) : null,
    peers: [...group.primary, ...group.backup].map((p) => peerState(p, group.backup.includes(p), nowSec)),
  };
}

function addressOf(peer: Peer): string {
  const a = peer.server.address;
  return a.kind === "unix" ? `unix:${a.path}` : `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

function peerState(peer: Peer, isBackup: boolean, nowSec: number): PeerState {
  const s = peer.server;
  const h = peer.health;
  const state: PeerState["state"] = s.isDown
    ? "down"
    : h.active !== "up"
      ? h.active
      : s.maxFails > 0 && h.fails >= s.maxFails && nowSec - h.checked <= s.failTimeoutSec
        ? "failed"
        : s.maxConns > 0 && peer.conns >= s.maxConns
          ? "full"
          : "up";
  return { address: addressOf(peer), weight: s.weight, isBackup, state };
}
