import type { Peer } from "../balance/peer-group.ts";
import type { Capabilities, Logger, UpstreamRequest } from "../capabilities.ts";
import type { HealthCheck, Location, PeerAddress, Server } from "../config/model.ts";
import type { BodyStream, RequestHead } from "../exchange.ts";
import { tlsOptions } from "../forward/forward.ts";
import { upstreamAction, whileDoing } from "../log/upstream-errors.ts";
import { newRequest } from "../phases/read.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { buildRequestHeaders, type HeaderPlan } from "../shape/request-headers.ts";
import { MemoryCounters } from "../status/counters.ts";
import { MATCH_BODY_LIMIT, type MatchResult, matchResponse } from "./match.ts";

/** Where one check runs: the location whose `proxy_*` settings shape it, and its server. */
export interface CheckSite {
  readonly check: HealthCheck;
  readonly location: Location;
  readonly server: Server;
  /** The location's `proxy_set_header` plan, merged once at load. */
  readonly headers: HeaderPlan;
  /** The location's error log. */
  readonly log: Logger;
}

/** How one check of one peer ended, with the step nginx Plus's log line names. */
export type ProbeResult = { readonly passed: true; readonly step: MatchResult["step"] } | { readonly passed: false; readonly step: string };

/** The connection facts of a check: nobody's client, so `$remote_addr` and friends are empty. */
const NO_CLIENT = { remoteAddress: "", remotePort: 0, listenKey: "", localAddress: "", localPort: 0, isTls: false } as const;

/**
 * One health check request to one peer (nginx Plus's ngx_http_upstream_hc_module): `GET uri`
 * sent as the location would send a request, with its `proxy_set_header` lines (a check has no
 * client, so most variables are empty, as nginx Plus says), its HTTP version, timeouts and TLS
 * settings, to the peer's address (or `port=`); the connection is closed afterwards. The
 * response must pass the check's `match` block, or be 2xx or 3xx. Failures are logged as nginx
 * Plus logs them, with `, health check "MATCH" of peer ADDRESS in upstream "NAME"` after them.
 */
export async function probe(caps: Capabilities, site: CheckSite, peer: Peer, upstreamName: string): Promise<ProbeResult> {
  const { check, location } = site;
  const settings = location.settings;
  const address = checkedAddress(peer.server.address, check.port);
  const log = suffixed(site.log, checkContext(check, peer, upstreamName));
  const ctx = checkRequest(caps, site, log);
  const head = ctx.head;
  const tls = ctx.pass?.scheme === "https" ? tlsOptions(settings, ctx) : null;
  const request: UpstreamRequest = {
    peer: address,
    tls,
    method: "GET",
    target: check.uri,
    httpVersion: settings.proxyHttpVersion,
    headers: buildRequestHeaders(site.headers, ctx, { kind: "none" }, head),
    body: null,
    framing: { kind: "none" },
    buffering: true,
    maxHeaderBytes: settings.proxyBufferSize,
    keepalive: null,
    connectTimeoutMs: settings.proxyConnectTimeoutMs,
    sendTimeoutMs: settings.proxySendTimeoutMs,
    readTimeoutMs: settings.proxyReadTimeoutMs,
    log,
  };
  const startedMs = caps.clock.now();
  const result = await caps.transport.request(request);
  if (result.kind === "failed") {
    log.error(result.detail + whileDoing(result.stage));
    return { passed: false, step: upstreamAction(result.stage) };
  }
  const headerMs = caps.clock.now();
  // `$upstream_status` and friends in a `require` read the check's own attempt.
  ctx.exchange.upstreams.push({
    addr: addressText(address),
    status: result.status,
    group: 0,
    startMs: startedMs,
    connectedMs: null,
    headerMs,
    endMs: headerMs,
    responseLength: 0,
  });
  let body: Uint8Array;
  try {
    body = await readStart(result.body, MATCH_BODY_LIMIT);
  } catch {
    // The transport logged the body's failure where it happened.
    result.discard();
    return { passed: false, step: upstreamAction("reading-body") };
  }
  result.discard();
  const match = matchResponse(check.match, { status: result.status, headers: result.headers, body }, ctx);
  return match;
}

/** The peer's address, or the same host on the check's `port=`. */
function checkedAddress(address: PeerAddress, port: number | null): PeerAddress {
  return port === null || address.kind !== "tcp" ? address : { ...address, port };
}

/** `127.0.0.1:8080`, `[::1]:8080`, `unix:/path`: the peer as nginx names it in logs. */
export function addressText(a: PeerAddress): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

/** nginx Plus's context for a check's log lines; `port=` adds `, port N`. */
export function checkContext(check: HealthCheck, peer: Peer, upstreamName: string): string {
  const address = addressText(checkedAddress(peer.server.address, check.port));
  const port = check.port === null ? "" : `, port ${check.port}`;
  return `, health check "${check.match?.name ?? ""}" of peer ${address} in upstream "${upstreamName}"${port}`;
}

/** Where a check's own request counts: nowhere the status pages read, as it is no client's. */
const UNCOUNTED = new MemoryCounters();

/** A check's own request, for the header values and `require` (`$upstream_status` is its answer's). */
function checkRequest(caps: Capabilities, site: CheckSite, log: Logger): RequestContext {
  const head: RequestHead = { method: "GET", target: site.check.uri, httpVersion: "1.1", headers: [], framing: { kind: "none" } };
  const query = site.check.uri.indexOf("?");
  const uri = query < 0 ? site.check.uri : site.check.uri.slice(0, query);
  const args = query < 0 ? "" : site.check.uri.slice(query + 1);
  const target = { uri, args, requestUri: site.check.uri, isQuoted: false, hasPlus: false, host: null };
  const ctx = newRequest(head, NO_CLIENT, site.server, target, null, { caps, counters: UNCOUNTED }, log);
  ctx.location = site.location;
  // Checks run where proxy_pass names an upstream (compile.ts refuses them beside one with variables).
  ctx.pass = site.location.proxy?.kind === "static" ? site.location.proxy : null;
  return ctx;
}

/** The first `limit` bytes of a body (all of it when shorter). */
async function readStart(body: BodyStream | Uint8Array, limit: number): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body.subarray(0, limit);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.byteLength;
    if (size >= limit) break;
  }
  const out = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const part of parts) {
    const take = Math.min(part.byteLength, out.byteLength - at);
    out.set(part.subarray(0, take), at);
    at += take;
  }
  return out;
}

/** A logger that ends every line with the check's context. */
export function suffixed(log: Logger, suffix: string): Logger {
  return {
    alert: (m) => log.alert(m + suffix),
    crit: (m) => log.crit(m + suffix),
    error: (m) => log.error(m + suffix),
    warn: (m) => log.warn(m + suffix),
    notice: (m) => log.notice(m + suffix),
    info: (m) => log.info(m + suffix),
  };
}
