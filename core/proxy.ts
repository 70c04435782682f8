import { releaseBody } from "./buffer/read-body.ts";
import type { Capabilities } from "./capabilities.ts";
import type { Config } from "./config/model.ts";
import type { ClientLimits } from "./config/settings.ts";
import type { BodyStream, ClientBody, ConnectionInfo, ProxyResponse, RequestHead, RequestWire } from "./exchange.ts";
import { fetchThroughHandle } from "./fetch-entry.ts";
import { statusResponse } from "./forward/status-page.ts";
import { access } from "./phases/access.ts";
import { content } from "./phases/content.ts";
import { findConfig } from "./phases/find-config.ts";
import { gzipFilter } from "./phases/gzip-filter.ts";
import { headersFilter } from "./phases/headers-filter.ts";
import { limitConn, limitReq } from "./phases/limits.ts";
import { logRequest } from "./phases/log.ts";
import type { Outcome, RestartAt } from "./phases/outcome.ts";
import type { SubrequestResult } from "./phases/plan.ts";
import { planProxy } from "./phases/plan.ts";
import { newRequest, readRequest, refusedRequest } from "./phases/read.ts";
import { realip } from "./phases/realip.ts";
import { rewrite, serverRewrite } from "./phases/rewrite.ts";
import { asErrorPage, finishWith } from "./phases/special-response.ts";
import { parseTarget } from "./route/uri.ts";
import type { RequestContext } from "./shape/request-context.ts";

/** The proxy built from one configuration: two entries over the same logic (DESIGN.md). */
export interface EdgeProxy {
  /**
   * For adapters that own their sockets: plain data in, plain data out, no Fetch objects.
   * `wire`: what the HTTP/1 server knows of the request on its connection.
   */
  handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo, wire?: RequestWire): Promise<ProxyResponse>;
  /** For Fetch-native platforms and for mounting inside a Hono app. */
  fetch(request: Request, connection: ConnectionInfo): Promise<Response>;
  /**
   * Logs a request the adapter's own parser refused and answered with nginx's page for
   * `status` (`head` as far as it could be read), as nginx logs it: `reason` in the error log
   * (info), the request in the access log.
   */
  refused(head: RequestHead, status: number, connection: ConnectionInfo, reason: string): void;
  readonly config: Config;
  /**
   * A connection's client settings: its address's default server's (nginx reads a head with
   * them before it knows the request's server), else the http level's.
   */
  clientLimits(connection: ConnectionInfo): ClientLimits;
  /** The client settings of the server a host names on a connection; null when all servers read heads alike. */
  clientLimitsByHost(connection: ConnectionInfo): ((host: string) => ClientLimits) | null;
}

/** One phase of the request's path: nginx's phase handlers, one module each under phases/. */
type Phase = (r: RequestContext, body: ClientBody) => Outcome | Promise<Outcome>;

/**
 * Builds the proxy. Tables, plans and peer groups are made here, at load (phases/plan.ts);
 * each request then runs nginx's phases in nginx's order (DESIGN.md, "The request's path").
 */
export function createProxy(config: Config, caps: Capabilities): EdgeProxy {
  const plan = planProxy(config, caps);
  const phases: readonly Phase[] = [
    (r) => realip(r, r.server.settings),
    (r) => serverRewrite(plan, r),
    (r) => findConfig(plan, r),
    (r) => rewrite(plan, r),
    (r) => realip(r, (r.location ?? r.server).settings),
    (r, body) => limitReq(plan, r, body),
    (r) => limitConn(plan, r),
    (r) => access(plan, r),
    (r, body) => content(plan, r, body),
  ];
  const restartAt: Readonly<Record<RestartAt, number>> = { "server-rewrite": 1, "find-config": 2, rewrite: 3 };

  async function handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo, wire?: RequestWire): Promise<ProxyResponse> {
    const read = readRequest(plan, head, connection, wire ?? null);
    if (read.kind === "refused") return refusal(read.status, read.request);
    const r = read.request;
    let response: ProxyResponse;
    try {
      response = asErrorPage(r, await runPhases(r, body));
    } catch (error) {
      releaseRequest(r);
      throw error;
    }
    return withRequestReleased(r, logRequest(caps, r, outputFilters(r, response)));
  }

  /**
   * The phases in order, from `from` or from where a rewrite or an internal redirect sends the
   * request back; a status goes through the special response handler (error_page).
   */
  async function runPhases(r: RequestContext, body: ClientBody, from = 0): Promise<ProxyResponse> {
    let at = from;
    for (;;) {
      // A phase that decides at once is not awaited: most do, on every request.
      let outcome = (phases[at] as Phase)(r, body);
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome.kind === "next") at++;
      else if (outcome.kind === "restart") at = restartAt[outcome.at];
      else if (outcome.kind === "response") return outcome.response;
      else {
        const special = finishWith(plan, r, outcome.status, outcome.location, outcome.headers);
        if (special.kind === "response") return special.response;
        at = restartAt[special.at];
      }
    }
  }

  /** nginx's output filters, in order: the headers filter (add_header, expires, add_trailer), then gzip. */
  function outputFilters(r: RequestContext, response: ProxyResponse): ProxyResponse {
    // `$status` is the response's from here on (r->headers_out.status), `$sent_http_*` its headers.
    const ex = r.exchange;
    if (response.kind !== "response") {
      ex.status = response.logStatus;
      return response;
    }
    ex.status = response.status;
    response = { ...response, client: plan.clientSettings(r) };
    ex.sent = { headers: response.headers, contentLength: sentLength(response) };
    const now = caps.clock.now();
    const filtered = gzipFilter(plan, r, headersFilter(r, response, now), now);
    if (filtered.kind === "response" && filtered !== response) ex.sent = { headers: filtered.headers, contentLength: sentLength(filtered) };
    return filtered;
  }

  /** A refusal of the read phase: nginx's page, through the server's filters and log when a server takes the address. */
  function refusal(status: number, r: RequestContext | null): ProxyResponse {
    const response = statusResponse(status);
    return r ? logRequest(caps, r, outputFilters(r, response)) : response;
  }

  /**
   * A subrequest (`ngx_http_subrequest()`): a GET to `uri` with the request's headers and no
   * body, internal, from the server-rewrite phase on (no access phase); its body is read and
   * dropped, and it is not logged, as nginx's `log_subrequest off`.
   */
  async function subrequest(parent: RequestContext, uri: string): Promise<SubrequestResult> {
    const target = parseTarget(uri, config.mergeSlashes);
    const requestLine = parent.head.requestLine ?? `${parent.head.method} ${parent.head.target} HTTP/${parent.head.httpVersion}`;
    const head: RequestHead = { ...parent.head, method: "GET", framing: { kind: "none" }, upgrade: false, requestLine };
    const parsed = target ?? { uri, args: "", requestUri: uri, isQuoted: false, hasPlus: false, host: null };
    const sr = newRequest(
      head,
      parent.connection,
      parent.server,
      { ...parsed, requestUri: parent.requestUri },
      parent.host,
      plan,
      parent.log.block,
    );
    sr.internal = true;
    sr.validUnparsedUri = false;
    sr.isSubrequest = true;
    sr.main = parent.main ?? parent;
    if (parent.realipFrom) sr.realipFrom = parent.realipFrom;
    const response = await runPhases(sr, NO_BODY, restartAt["server-rewrite"]);
    if (response.kind === "close") return { status: response.logStatus, headers: [], request: sr };
    await drain(response.body);
    response.done?.();
    return { status: response.status, headers: response.headers, request: sr };
  }
  plan.subrequest = subrequest;

  const fetchSetup = {
    rules: plan.clientLimits,
    log: caps.log,
    webSockets: caps.webSockets ?? null,
    counters: plan.counters,
    now: () => caps.clock.now(),
  };
  const targetOf = (head: RequestHead, connection: ConnectionInfo) => parseTarget(head.target, plan.clientLimits(connection).mergeSlashes);
  return {
    config,
    handle,
    clientLimits: plan.clientLimits,
    clientLimitsByHost: plan.clientLimitsByHost,
    fetch: (request, connection) =>
      fetchThroughHandle(
        handle,
        (status, head, conn) => refusal(status, refusedRequest(plan, head, conn, targetOf(head, conn))),
        request,
        connection,
        fetchSetup,
      ),
    refused: (head, status, connection, reason) => {
      const r = refusedRequest(plan, head, connection, targetOf(head, connection));
      if (r) r.log.info(reason);
      else caps.log.info(`${reason}, client: ${connection.remoteAddress}`);
      const response = refusal(status, r);
      if (response.kind === "response") response.done?.();
    },
  };
}

/** A subrequest's body: none. */
const NO_BODY: ClientBody = (async function* () {})();

/** Reads a subrequest's answer to its end, as nginx reads what it does not send on. */
async function drain(body: BodyStream | Uint8Array | null): Promise<void> {
  if (body === null || body instanceof Uint8Array) return;
  for await (const _ of body);
}

/**
 * What the request holds (its buffered body, `limit_conn` counts) is let go once its response
 * is done, or at once for a close: after the access log, as nginx's pool cleanups run after
 * the log phase.
 */
function withRequestReleased(r: RequestContext, response: ProxyResponse): ProxyResponse {
  if (r.requestBody === null && r.cleanups === undefined) return response;
  if (response.kind === "close") {
    releaseRequest(r);
    return response;
  }
  const done = response.done;
  return {
    ...response,
    done: () => {
      done?.();
      releaseRequest(r);
    },
  };
}

function releaseRequest(r: RequestContext): void {
  releaseBody(r.requestBody?.buffered ?? null);
  for (const cleanup of r.cleanups?.splice(0) ?? []) cleanup();
}

/** The length the response goes with (`$sent_http_content_length`); null for none (chunked, or no body). */
function sentLength(response: Extract<ProxyResponse, { kind: "response" }>): number | null {
  if (response.status === 204 || response.status === 304) return null;
  return response.body instanceof Uint8Array ? response.body.byteLength : response.contentLength;
}
