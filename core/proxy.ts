import { type Balancer, createBalancer } from "./balance/balancer.ts";
import { createPeerGroup, type PeerGroup } from "./balance/peer-group.ts";
import { type BufferedBody, bodySize, readBody, releaseBody } from "./buffer/read-body.ts";
import type { Capabilities, Logger } from "./capabilities.ts";
import type { Action, Config, ErrorLogTarget, Location, Server, Settings } from "./config/model.ts";
import type { ClientBody, ConnectionInfo, HeaderPairs, ProxyResponse, RequestHead } from "./exchange.ts";
import { fetchThroughHandle } from "./fetch-entry.ts";
import { Cancel } from "./forward/cancel.ts";
import { type Forwarded, forward, type Outgoing } from "./forward/forward.ts";
import { REASON_PHRASES, REDIRECT_CODES, statusResponse, textResponse } from "./forward/status-page.ts";
import { LARGE_HEADER_BUFFER_BYTES } from "./http1/request-parser.ts";
import { withAccessLog } from "./log/access-log.ts";
import { validateHost } from "./route/host.ts";
import { LocationMatcher } from "./route/location-match.ts";
import { ServerSelector } from "./route/server-select.ts";
import { type ParsedTarget, parseTarget } from "./route/uri.ts";
import { absoluteUrl, planRedirect } from "./shape/redirect.ts";
import type { Exchange, RequestContext } from "./shape/request-context.ts";
import { type BodyFraming, buildRequestHeaders, type HeaderPlan, planHeaders } from "./shape/request-headers.ts";
import { buildResponseHeaders, planResponseHeaders, type ResponseHeaderPlan } from "./shape/response-headers.ts";
import { renderTemplate } from "./shape/template.ts";
import { upstreamTarget } from "./shape/upstream-target.ts";

/** The proxy built from one configuration: two entries over the same logic (DESIGN.md). */
export interface EdgeProxy {
  /** For adapters that own their sockets: plain data in, plain data out, no Fetch objects. */
  handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo): Promise<ProxyResponse>;
  /** For Fetch-native platforms and for mounting inside a Hono app. */
  fetch(request: Request, connection: ConnectionInfo): Promise<Response>;
  /**
   * Logs a request the adapter's own parser refused and answered with nginx's page for
   * `status` (`head` as far as it could be read), as nginx logs it.
   */
  refused(head: RequestHead, status: number, connection: ConnectionInfo): void;
  readonly config: Config;
}

/** Everything a location needs per request, computed once at load. */
interface LocationPlan {
  readonly headers: HeaderPlan;
  readonly response: ResponseHeaderPlan;
  readonly upstream: { readonly group: PeerGroup; readonly balancer: Balancer } | null;
  /** The location's `error_log` (or the main one). */
  readonly log: Logger;
}

const VALID_HEADER_NAME = /^[A-Za-z0-9-]+$/;
const VALID_HEADER_NAME_UNDERSCORE = /^[A-Za-z0-9_-]+$/;

/** Builds the proxy: matching tables, header plans and peer groups are made here, not per request. */
export function createProxy(config: Config, caps: Capabilities): EdgeProxy {
  const selector = new ServerSelector(config);
  const matchers = new Map<Server, LocationMatcher>(config.servers.map((s) => [s, new LocationMatcher(s.locations)]));
  const upstreams = new Map(
    config.upstreams.map((u) => {
      const group = createPeerGroup(u, caps.failures);
      return [u, { group, balancer: createBalancer(group, u.balancer) }] as const;
    }),
  );
  // One logger per error_log target, opened here at load.
  const logs = new Map<string, Logger>();
  const logFor = (target: ErrorLogTarget | null): Logger => {
    if (!target || !caps.openLog) return caps.log;
    const key = `${target.level} ${target.path}`;
    let log = logs.get(key);
    if (!log) {
      log = caps.openLog(target);
      logs.set(key, log);
    }
    return log;
  };
  const plans = new Map<Location, LocationPlan>();
  const visit = (loc: Location) => {
    const redirect = planRedirect(loc.settings.proxyRedirect, loc);
    plans.set(loc, {
      headers: planHeaders(loc.settings),
      response: planResponseHeaders(loc.settings, redirect),
      upstream: loc.action?.kind === "proxy" ? (upstreams.get(loc.action.pass.upstream) ?? null) : null,
      log: logFor(loc.settings.errorLog),
    });
    loc.children.forEach(visit);
  };
  for (const s of config.servers) s.locations.forEach(visit);
  const nameFilter = !config.ignoreInvalidHeaders ? null : config.underscoresInHeaders ? VALID_HEADER_NAME_UNDERSCORE : VALID_HEADER_NAME;

  async function handle(rawHead: RequestHead, body: ClientBody, connection: ConnectionInfo): Promise<ProxyResponse> {
    // Headers nginx ignores while reading the request never exist for it (5.6).
    const head = nameFilter ? dropInvalidHeaders(rawHead, nameFilter) : rawHead;
    const facts = scanHeaders(head.headers);
    const limit = headLimitStatus(head, facts);
    if (limit) return refuse(limit, head, connection, facts);
    const target = parseTarget(head.target, config.mergeSlashes);
    if (!target) return refuse(400, head, connection, facts, null);
    // nginx refuses TRACE outright, and CONNECT (1.22 has no tunnels).
    if (head.method === "TRACE" || head.method === "CONNECT") return refuse(405, head, connection, facts, target);
    if (facts.hostCount > 1) return refuse(400, head, connection, facts, target);
    const hostValue = target.host ?? facts.host;
    if (hostValue === undefined && head.httpVersion === "1.1") return refuse(400, head, connection, facts, target);
    const host = hostValue === undefined ? null : validateHost(hostValue);
    if (hostValue !== undefined && host === null) return refuse(400, head, connection, facts, target);
    const server = selector.select(connection.listenKey, connection.localAddress, connection.localPort, host);
    if (!server) return statusResponse(400);

    const base: RequestContext = {
      head,
      connection,
      server,
      uri: target.uri,
      args: target.args,
      requestUri: target.requestUri,
      host: host ?? server.names[0] ?? "",
      pass: null,
      exchange: newExchange(),
    };
    const framingStatus = framingError(head, facts);
    if (framingStatus) return logged(server.settings, base, statusResponse(framingStatus));
    if (server.action) return logged(server.settings, base, respond(server.action, base, server.settings, host !== null));
    const match = (matchers.get(server) as LocationMatcher).match(target.uri);
    if (match.kind === "none") return logged(server.settings, base, statusResponse(404));
    const location = match.location;
    const settings = location.settings;
    if (match.kind === "redirect") {
      // The 301 nginx sends for `/dir` when `location /dir/` proxies (7.4).
      const path = `${target.uri}/${target.args ? `?${target.args}` : ""}`;
      return logged(settings, base, statusResponse(301, [["Location", absoluteUrl(path, base, host !== null)]]));
    }
    const action = location.action;
    if (!action) return logged(settings, base, statusResponse(404));
    if (action.kind === "return") return logged(settings, base, respond(action, base, settings, host !== null));
    const ctx: RequestContext = { ...base, pass: action.pass };
    return logged(settings, ctx, await proxy(location, plans.get(location) as LocationPlan, ctx, target, facts, body, host !== null));
  }

  /**
   * A request refused before its server was chosen: nginx's error page, logged by the server
   * its Host names (the first Host, when valid) or else the default one of its address, with
   * the URI when the request line could be read, as nginx logs it. What `handle` had already
   * read of the head is passed on, so only an adapter's refusal reads it here.
   */
  function refuse(
    status: number,
    head: RequestHead,
    connection: ConnectionInfo,
    facts: HeaderFacts = scanHeaders(head.headers),
    target: ParsedTarget | null = parseTarget(head.target, config.mergeSlashes),
  ): ProxyResponse {
    const response = statusResponse(status);
    const hostValue = target?.host ?? facts.host;
    const host = hostValue === undefined ? null : validateHost(hostValue);
    const server = selector.select(connection.listenKey, connection.localAddress, connection.localPort, host);
    if (!server) return response;
    const ctx: RequestContext = {
      head,
      connection,
      server,
      uri: target?.uri ?? "",
      args: target?.args ?? "",
      requestUri: target?.requestUri ?? head.target,
      host: host ?? server.names[0] ?? "",
      pass: null,
      exchange: newExchange(),
    };
    return logged(server.settings, ctx, response);
  }

  function newExchange(): Exchange {
    return { startedMs: caps.clock.now(), endedMs: 0, status: 0, bodyBytes: 0, upstreams: [] };
  }

  /** The response, written to the location's access logs once it is done. */
  function logged(settings: Settings, ctx: RequestContext, response: ProxyResponse): ProxyResponse {
    const sink = caps.accessLog;
    if (!sink || settings.accessLogs.length === 0) return response;
    return withAccessLog(response, ctx, settings.accessLogs, sink, () => caps.clock.now());
  }

  async function proxy(
    location: Location,
    plan: LocationPlan,
    ctx: RequestContext,
    target: ParsedTarget,
    facts: HeaderFacts,
    body: ClientBody,
    hadHost: boolean,
  ): Promise<ProxyResponse> {
    const settings = location.settings;
    const isChunked = facts.transferEncoding !== undefined;
    const hasBody = facts.contentLength !== null || isChunked;
    // 413 straight from Content-Length, before a byte of the body is read (6.4).
    if (settings.clientMaxBodySize > 0 && facts.contentLength !== null && facts.contentLength > settings.clientMaxBodySize) {
      return statusResponse(413);
    }
    let streams =
      hasBody && !settings.proxyRequestBuffering && settings.proxyPassRequestBody && (!isChunked || settings.proxyHttpVersion === "1.1");
    if (streams && body.isPrereadComplete && (await body.isPrereadComplete())) streams = false;
    let buffered: BufferedBody | null = null;
    let outBody: Outgoing["body"] = null;
    let framing: BodyFraming = { kind: "none" };
    if (streams) {
      outBody = { kind: "streamed", stream: body };
      framing = isChunked ? { kind: "chunked" } : { kind: "length", length: facts.contentLength as number };
    } else if (hasBody) {
      const read = await readBody(
        body,
        {
          maxSize: settings.clientMaxBodySize,
          bufferSize: settings.clientBodyBufferSize,
          timeoutMs: settings.clientBodyTimeoutMs,
          tempPath: settings.clientBodyTempPath,
          contentLength: facts.contentLength,
        },
        caps.spool,
      );
      if ("failed" in read) {
        const f = read.failed;
        if (f.kind === "too-large") return statusResponse(413);
        if (f.kind === "malformed") return statusResponse(400);
        // nginx logs 408 / 400 here and closes without a word (6.4).
        return { kind: "close", logStatus: f.kind === "timeout" ? 408 : 400 };
      }
      buffered = read.ok;
      framing = { kind: "length", length: bodySize(buffered) };
      if (settings.proxyPassRequestBody) outBody = { kind: "buffered", body: buffered };
    }

    // Until the response head comes, a client that leaves cancels the upstream request (499).
    const cancel = body.watchClient && !settings.proxyIgnoreClientAbort ? new Cancel() : null;
    const outgoing: Outgoing = {
      method: settings.proxyMethod ?? ctx.head.method,
      target: upstreamTarget(ctx.pass as NonNullable<RequestContext["pass"]>, location, target),
      headers: buildRequestHeaders(plan.headers, ctx, framing, ctx.head),
      body: outBody,
      ...(cancel ? { cancel } : {}),
    };
    const upstream = plan.upstream as NonNullable<LocationPlan["upstream"]>;
    const unwatch = cancel && body.watchClient ? body.watchClient(() => cancel.cancel()) : null;
    let forwarded: Forwarded;
    try {
      forwarded = await forward(caps, upstream.group, upstream.balancer, settings, ctx, outgoing, plan.log);
    } catch (error) {
      releaseBody(buffered);
      throw error;
    } finally {
      unwatch?.();
    }
    if (forwarded.kind === "answer") {
      releaseBody(buffered);
      return forwarded.response;
    }
    const { response, finish } = forwarded;
    return {
      kind: "response",
      status: response.status,
      reason: response.reason,
      headers: buildResponseHeaders(plan.response, response.headers, ctx, hadHost),
      body: response.body,
      closeConnection: response.isHttp09,
      isHttp09: response.isHttp09,
      done: () => {
        finish();
        releaseBody(buffered);
      },
    };
  }

  function respond(action: Action, ctx: RequestContext, settings: Settings, hadHost: boolean): ProxyResponse {
    if (action.kind !== "return") throw new Error("respond() takes a return action");
    if (action.status === 444) return { kind: "close", logStatus: 444 };
    const text = action.body ? renderTemplate(action.body, ctx) : null;
    if (REDIRECT_CODES.has(action.status)) {
      const location = text ?? "";
      return statusResponse(action.status, [["Location", location.startsWith("/") ? absoluteUrl(location, ctx, hadHost) : location]]);
    }
    if (text !== null) return textResponse(action.status, text, settings.defaultType);
    if (action.status >= 300 && REASON_PHRASES[action.status]) return statusResponse(action.status);
    return textResponse(action.status, "", settings.defaultType);
  }

  return {
    config,
    handle,
    fetch: (request, connection) => fetchThroughHandle(handle, request, connection),
    refused: (head, status, connection) => {
      const response = refuse(status, head, connection);
      if (response.kind === "response") response.done?.();
    },
  };
}

interface HeaderFacts {
  readonly host: string | undefined;
  readonly hostCount: number;
  /** NaN when it is not a decimal number. */
  readonly contentLength: number | null;
  readonly contentLengthCount: number;
  readonly transferEncoding: string | undefined;
  readonly transferEncodingCount: number;
  /** The longest `Name: value` line in bytes, CRLF included. */
  readonly longestHeaderLine: number;
}

/**
 * nginx's limits on the head (docs/nginx-semantics.md 6.5, 7.1): HTTP major version above 1 is
 * 505, a request line longer than one large header buffer is 414, a header line longer than
 * one buffer is 494 (sent as 400). Returns the status, or null.
 */
function headLimitStatus(head: RequestHead, facts: HeaderFacts): number | null {
  if (!head.httpVersion.startsWith("1.") && head.httpVersion !== "0.9") return 505;
  if (head.method.length + head.target.length + 12 > LARGE_HEADER_BUFFER_BYTES) return 414;
  return facts.longestHeaderLine > LARGE_HEADER_BUFFER_BYTES ? 494 : null;
}

/**
 * nginx's checks of the body framing headers (`ngx_http_process_request_header()`,
 * docs/nginx-semantics.md 7.2), in its order: a request that could be read two ways never
 * reaches an upstream. Returns the status to answer, or null.
 */
function framingError(head: RequestHead, facts: HeaderFacts): number | null {
  if (facts.contentLengthCount > 1 || facts.transferEncodingCount > 1) return 400;
  if (facts.contentLength !== null && Number.isNaN(facts.contentLength)) return 400;
  if (facts.transferEncoding === undefined) return null;
  if (head.httpVersion === "1.0") return 400;
  if (facts.transferEncoding.toLowerCase() !== "chunked") return 501;
  return facts.contentLength !== null ? 400 : null;
}

/** One pass over the headers: the few nginx interprets itself, and their size. */
function scanHeaders(headers: HeaderPairs): HeaderFacts {
  let host: string | undefined;
  let hostCount = 0;
  let contentLength: number | null = null;
  let contentLengthCount = 0;
  let transferEncoding: string | undefined;
  let transferEncodingCount = 0;
  let longestHeaderLine = 0;
  for (const [name, value] of headers) {
    const line = name.length + value.length + 4;
    if (line > longestHeaderLine) longestHeaderLine = line;
    if (name.length === 4 && name.toLowerCase() === "host") {
      host ??= value;
      hostCount++;
    } else if (name.length === 14 && name.toLowerCase() === "content-length") {
      contentLength = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      contentLengthCount++;
    } else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      transferEncoding = value;
      transferEncodingCount++;
    }
  }
  return { host, hostCount, contentLength, contentLengthCount, transferEncoding, transferEncodingCount, longestHeaderLine };
}

function dropInvalidHeaders(head: RequestHead, valid: RegExp): RequestHead {
  if (head.headers.every(([name]) => valid.test(name))) return head;
  return { ...head, headers: head.headers.filter(([name]) => valid.test(name)) };
}
