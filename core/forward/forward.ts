import type { Balancer } from "../balance/balancer.ts";
import { type AttemptEnd, release } from "../balance/health.ts";
import type { Peer, PeerGroup } from "../balance/peer-group.ts";
import type { BufferedBody } from "../buffer/read-body.ts";
import type { Capabilities, FailureReason, Logger, UpstreamRequest, UpstreamResult } from "../capabilities.ts";
import type { NextUpstreamToken, Settings } from "../config/model.ts";
import type { BodyFraming, BodyStream, HeaderPairs } from "../exchange.ts";
import type { RequestLog } from "../log/request-log.ts";
import { type UpstreamStage, whileDoing } from "../log/upstream-errors.ts";
import type { RequestContext, UpstreamAttempt } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { countAttempt, countAttemptEnd, countPeerResponse } from "../status/peer-stats.ts";
import type { Cancel } from "./cancel.ts";

/** The request as it will go to every peer tried. */
export interface Outgoing {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderPairs;
  /** How the body goes: the `Content-Length` or `Transfer-Encoding` in `headers`. */
  readonly framing: BodyFraming;
  /** Buffered (replayable), streamed (sent once), or none. */
  readonly body:
    | { readonly kind: "buffered"; readonly body: BufferedBody }
    | { readonly kind: "streamed"; readonly stream: BodyStream }
    | null;
  /** Cancelled when the client leaves (nginx's 499); none with `proxy_ignore_client_abort on`. */
  readonly cancel?: Cancel;
  /** The client asked for an upgrade: a 101 may become a tunnel. */
  readonly upgrade: boolean;
}

/** An upstream answer to relay, and what to call once it has been relayed. */
export interface Relay {
  readonly kind: "relay";
  readonly response: Extract<UpstreamResult, { kind: "response" }>;
  /** The peer that answered. */
  readonly peer: Peer;
  /** Ends the attempt as a success for the failure state (2.5) and frees its `max_conns` slot. */
  readonly finish: () => void;
  /** The attempt's record, for the length of the body relayed. */
  readonly attempt: UpstreamAttempt;
}

/**
 * What forwarding ends in: an upstream response to relay, nginx's error for the request
 * (502, 504: its page, or the location's error_page), or the silent close of a client that left (499).
 */
export type Forwarded = Relay | { readonly kind: "status"; readonly status: 502 | 504 } | { readonly kind: "gone" };

/** Methods nginx does not retry once sent, unless `non_idempotent` is listed (6.7). */
const NON_IDEMPOTENT = new Set(["POST", "LOCK", "PATCH"]);

/** Statuses `proxy_next_upstream` can retry; 403 and 404 never count as failures (6.7). */
const RETRYABLE_STATUS = new Set([500, 502, 503, 504, 403, 404, 429]);

/**
 * Tries peers until one answers or the `proxy_next_upstream` rules stop it
 * (docs/nginx-semantics.md 2.5-2.8, 6.6, 6.7), recording each attempt in the failure state:
 * 504 when the last failure was a timeout, 502 otherwise and for "no live upstreams".
 */
export async function forward(
  caps: Capabilities,
  group: PeerGroup,
  balancer: Balancer,
  settings: Settings,
  ctx: RequestContext,
  out: Outgoing,
  log: RequestLog,
): Promise<Forwarded> {
  const next = settings.proxyNextUpstream;
  const startedAt = caps.clock.now();
  // A read-through store (a Durable Object) brings the peers' records up to date first.
  const reading = caps.failures.readThrough?.(group.keys);
  if (reading) await reading;
  const state = balancer.begin(ctx);
  const isNonIdempotent = NON_IDEMPOTENT.has(ctx.method);
  const tls = ctx.pass?.scheme === "https" ? tlsOptions(settings, ctx) : null;
  const nowSec = () => Math.floor(caps.clock.now() / 1000);
  // nginx's warning when a failure disables a peer ends with where the attempt was.
  const warnWhile = (stage: UpstreamStage) => (m: string) => log.warn(m + whileDoing(stage));
  const scheme = `${ctx.pass?.scheme ?? "http"}://`;
  let tries = settings.proxyNextUpstreamTries > 0 ? Math.min(group.maxTries, settings.proxyNextUpstreamTries) : group.maxTries;
  tries = Math.min(tries, caps.maxAttemptsPerRequest ?? tries);

  /** Whether the rules allow another attempt after this one failed with `token`. */
  const mayRetry = (token: FailureReason | NextUpstreamToken, requestSent: boolean): boolean =>
    next.has(token) &&
    !(requestSent && isNonIdempotent && !next.has("non_idempotent")) &&
    !(requestSent && out.body?.kind === "streamed") &&
    !(settings.proxyNextUpstreamTimeoutMs > 0 && caps.clock.now() - startedAt >= settings.proxyNextUpstreamTimeoutMs);

  for (;;) {
    const peer = balancer.pick(state, nowSec());
    if (!peer) {
      log.upstream = `${scheme}${group.upstream.name}${out.target}`;
      log.error(`no live upstreams${whileDoing("connecting")}`);
      ctx.exchange.upstreams.push(newAttempt(ctx, group.upstream.name, caps.clock.now()));
      return { kind: "status", status: 502 };
    }
    const a = peer.server.address;
    const addr = a.kind === "unix" ? `unix:${a.path}` : `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
    log.upstream = `${scheme}${addr}${out.target}`;
    const attemptStart = caps.clock.now();
    countAttempt(peer.stats, attemptStart);
    const attempt = newAttempt(ctx, a.kind === "unix" ? `unix:${a.path}` : `${a.host}:${a.port}`, attemptStart);
    const connected = () => {
      attempt.connectedMs = caps.clock.now();
    };
    const result = await caps.transport.request({ ...upstreamRequest(settings, group, peer, tls, out, log), connected });
    if (out.cancel?.isCancelled) {
      // The client left while waiting: nginx drops the request, logs 499, and does not hold it
      // against the peer (ngx_http_upstream_check_broken_connection()).
      if (result.kind === "response") result.discard();
      const stage = result.kind === "failed" ? result.stage : "reading-header";
      log.info(`epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too${whileDoing(stage)}`);
      endAttempt(caps, group, peer, "ok", null, warnWhile(stage));
      return { kind: "gone" };
    }
    attempt.status = result.kind === "response" ? result.status : result.reason === "timeout" ? 504 : 502;
    attempt.endMs = caps.clock.now();
    if (result.kind === "response") attempt.headerMs = attempt.endMs;
    ctx.exchange.upstreams.push(attempt);
    const headerMs = attempt.endMs - attemptStart;

    if (result.kind === "failed") {
      log.error(result.detail + whileDoing(result.stage));
      endAttempt(caps, group, peer, "failed", null, warnWhile(result.stage));
      tries = group.isSingle ? 0 : tries - 1;
      // An error on a cached connection does not use up a try (`u->peer.cached`); the other
      // rules still hold, so a POST that may have been sent is never sent again.
      if (result.cached && result.reason === "error") tries++;
      if (tries > 0 && mayRetry(result.reason, result.requestSent)) continue;
      return { kind: "status", status: result.reason === "timeout" ? 504 : 502 };
    }
    countPeerResponse(peer.stats, result.status, headerMs);
    // Status retries look at statuses >= 300 only, and need a try left after this one (6.7).
    const token = `http_${result.status}` as NextUpstreamToken;
    if (RETRYABLE_STATUS.has(result.status) && tries > 1 && !group.isSingle && mayRetry(token, true)) {
      result.discard();
      const end = result.status === 403 || result.status === 404 ? "ok" : "failed";
      endAttempt(caps, group, peer, end, null, warnWhile("reading-header"));
      tries--;
      continue;
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      attempt.endMs = caps.clock.now();
      endAttempt(caps, group, peer, "ok", attempt.endMs - attemptStart, warnWhile("reading-header"));
    };
    return { kind: "relay", response: result, peer, finish, attempt };
  }
}

/**
 * An attempt ends: in the failure state (2.5) and in the peer's counts, with the whole
 * response time of an answer relayed to its end (null for the others).
 */
function endAttempt(
  caps: Capabilities,
  group: PeerGroup,
  peer: Peer,
  how: AttemptEnd,
  responseMs: number | null,
  warn: (m: string) => void,
) {
  release(group, peer, how, Math.floor(caps.clock.now() / 1000), caps.failures, warn);
  countAttemptEnd(peer.stats, how === "failed", responseMs);
}

/** A new attempt's record, in the request's current `proxy_pass` group. */
function newAttempt(ctx: RequestContext, addr: string, nowMs: number): UpstreamAttempt {
  const group = ctx.exchange.upstreamGroups;
  return { addr, status: 502, group, startMs: nowMs, connectedMs: null, headerMs: null, endMs: nowMs, responseLength: 0 };
}

function upstreamRequest(
  settings: Settings,
  group: PeerGroup,
  peer: Peer,
  tls: UpstreamRequest["tls"],
  out: Outgoing,
  log: Logger,
): UpstreamRequest {
  return {
    peer: peer.server.address,
    tls: tls ? { ...tls, sessionKey: peer.key } : null,
    method: out.method,
    target: out.target,
    httpVersion: settings.proxyHttpVersion,
    headers: out.headers,
    // A buffered body is read again from its first byte for every attempt.
    body: bodyFor(out),
    framing: out.framing,
    buffering: settings.proxyBuffering,
    maxHeaderBytes: settings.proxyBufferSize,
    keepalive: group.keepalive,
    connectTimeoutMs: settings.proxyConnectTimeoutMs,
    sendTimeoutMs: settings.proxySendTimeoutMs,
    readTimeoutMs: settings.proxyReadTimeoutMs,
    log,
    upgrade: out.upgrade,
    ...(out.cancel ? { cancel: out.cancel } : {}),
  };
}

function bodyFor(out: Outgoing): UpstreamRequest["body"] {
  if (!out.body) return null;
  if (out.body.kind === "streamed") return out.body.stream;
  const b = out.body.body;
  return b.kind === "memory" ? b.bytes : b.file.read();
}

/**
 * SNI only when `proxy_ssl_server_name on`, and never an IP literal; the name is verified
 * against `proxy_ssl_name`, else the proxied host, port stripped, with or without SNI (5.9).
 */
export function tlsOptions(settings: Settings, ctx: RequestContext): UpstreamRequest["tls"] {
  const pass = ctx.pass;
  const written = settings.proxySslName ? renderTemplate(settings.proxySslName, ctx) : (pass?.proxyHost ?? "");
  const name = written.startsWith("[") ? written : written.replace(/:\d+$/, "");
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith("[");
  const servername = settings.proxySslServerName && !isIp && name !== "" ? name : null;
  return { servername, verify: settings.proxySslVerify, name, settings };
}
