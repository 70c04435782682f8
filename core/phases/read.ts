import type { Clock, Logger } from "../capabilities.ts";
import type { Server } from "../config/model.ts";
import type { ConnectionInfo, RequestHead, RequestWire } from "../exchange.ts";
import { RequestLog } from "../log/request-log.ts";
import { validateHost } from "../route/host.ts";
import { type ParsedTarget, parseTarget } from "../route/uri.ts";
import { type Exchange, findHeader, type RequestContext } from "../shape/request-context.ts";
import type { StatusCounters } from "../status/counters.ts";
import { tlsRefusal } from "../tls/tls-check.ts";
import type { ProxyPlan } from "./plan.ts";

/** The read phase's verdict: a request with its server, or nginx's refusal. */
export type ReadOutcome =
  | { readonly kind: "request"; readonly request: RequestContext }
  /** `request` is what the refusal is logged as: null when no server takes the address. */
  | { readonly kind: "refused"; readonly status: number; readonly request: RequestContext | null };

/**
 * The end of nginx's read phase (`ngx_http_process_request_uri()`, `ngx_http_validate_host()`,
 * `ngx_http_set_virtual_server()`): the target parsed and normalised, `Host` validated, the
 * server chosen, and what nginx checks of a TLS connection then (core/tls/tls-check.ts). The HTTP/1 parser (or the Fetch entry) has checked lengths, codings and the
 * methods nginx refuses, and decided the framing.
 */
export function readRequest(plan: ProxyPlan, head: RequestHead, connection: ConnectionInfo, wire: RequestWire | null): ReadOutcome {
  const target = parseTarget(head.target, plan.clientLimits(connection).mergeSlashes);
  if (!target) return { kind: "refused", status: 400, request: refusedRequest(plan, head, connection, null) };
  const hostValue = target.host ?? findHeader(head, "host");
  const host = hostValue === undefined ? null : validateHost(hostValue);
  if (hostValue !== undefined && host === null) {
    return { kind: "refused", status: 400, request: refusedRequest(plan, head, connection, target) };
  }
  // Without a Host, the server SNI named answers (nginx's conf_ctx after ngx_http_ssl_servername()).
  const named = host ?? (connection.tls?.serverName || null);
  const server = plan.servers.select(connection, named);
  if (!server) return { kind: "refused", status: 400, request: null };
  const request = newRequest(head, connection, server, target, host, plan, plan.serverLog(server), plan.caps.hostname);
  request.wire = wire;
  const refusal = connection.isTls || connection.isPlainOnTlsPort ? tlsRefusal(connection, server, host, request.log) : 0;
  if (refusal !== 0) return { kind: "refused", status: refusal, request };
  return { kind: "request", request };
}

/**
 * A request refused before its server was chosen, as nginx logs it: by the server its Host
 * names (the first Host, when valid) or else the default one of its address, with the URI when
 * the request line could be read. Null when no server takes the address.
 */
export function refusedRequest(
  plan: ProxyPlan,
  head: RequestHead,
  connection: ConnectionInfo,
  target: ParsedTarget | null,
): RequestContext | null {
  const hostValue = target?.host ?? findHeader(head, "host");
  const host = hostValue === undefined ? null : validateHost(hostValue);
  const server = plan.servers.select(connection, host);
  if (!server) return null;
  const parsed = target ?? { uri: "", args: "", requestUri: head.target, isQuoted: false, hasPlus: false, host: null };
  return newRequest(head, connection, server, parsed, host, plan, plan.serverLog(server), plan.caps.hostname);
}

/** nginx's `NGX_HTTP_MAX_URI_CHANGES`: rewrite cycles and internal redirects a request may go through. */
export const MAX_URI_CHANGES = 10;

/** A request as the read phase leaves it: routed to its server, no location yet. */
export function newRequest(
  head: RequestHead,
  connection: ConnectionInfo,
  server: Server,
  target: ParsedTarget,
  host: string | null,
  plan: { readonly caps: { readonly clock: Clock }; readonly counters: StatusCounters },
  log: Logger,
  hostname = "",
): RequestContext {
  return {
    head,
    method: head.method,
    connection,
    counters: plan.counters,
    server,
    uri: target.uri,
    args: target.args,
    requestUri: target.requestUri,
    isQuoted: target.isQuoted,
    hasPlus: target.hasPlus,
    host: host ?? server.names[0] ?? "",
    hadHost: host !== null,
    location: null,
    handler: null,
    log: new RequestLog(log, head, connection, server),
    pass: null,
    internal: false,
    errStatus: 0,
    inErrorPage: false,
    closesConnection: false,
    headersOut: null,
    requestBody: null,
    bodyUsed: false,
    wire: null,
    validUnparsedUri: true,
    uriChanges: MAX_URI_CHANGES + 1,
    validLocation: true,
    exchange: newExchange(plan.caps.clock, hostname),
  };
}

function newExchange(clock: Clock, hostname: string): Exchange {
  return {
    startedMs: clock.now(),
    endedMs: 0,
    clock,
    hostname,
    status: 0,
    bodyBytes: 0,
    upstreams: [],
    upstreamGroups: 0,
    upstreamHeaders: null,
    sent: null,
  };
}
