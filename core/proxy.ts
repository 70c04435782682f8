import { type Balancer, createBalancer } from "./balance/balancer.ts";
import { createPeerGroup, type PeerGroup } from "./balance/peer-group.ts";
import { type BufferedBody, bodySize, readBody, releaseBody } from "./buffer/read-body.ts";
import type { Capabilities, Logger } from "./capabilities.ts";
import type { Action, Config, ErrorLogTarget, Location, Server, Settings } from "./config/model.ts";
import type { BodyFraming, ClientBody, ConnectionInfo, ProxyResponse, RequestHead, Tunnel, UpstreamTunnel } from "./exchange.ts";
import { fetchThroughHandle } from "./fetch-entry.ts";
import { Cancel } from "./forward/cancel.ts";
import { type Forwarded, forward, type Outgoing } from "./forward/forward.ts";
import { REASON_PHRASES, REDIRECT_CODES, statusResponse, textResponse } from "./forward/status-page.ts";
import { withAccessLog } from "./log/access-log.ts";
import { validateHost } from "./route/host.ts";
import { LocationMatcher } from "./route/location-match.ts";
import { ServerSelector } from "./route/server-select.ts";
import { type ParsedTarget, parseTarget } from "./route/uri.ts";
import { absoluteUrl, planRedirect } from "./shape/redirect.ts";
import type { Exchange, RequestContext } from "./shape/request-context.ts";
import { findHeader } from "./shape/request-context.ts";
import { buildRequestHeaders, type HeaderPlan, planHeaders } from "./shape/request-headers.ts";
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

  async function handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo): Promise<ProxyResponse> {
    // The read phase (the HTTP/1 parser, or the Fetch entry) checked lengths, codings, Host and
    // the methods nginx refuses, and decided the framing; what is left is routing.
    const target = parseTarget(head.target, config.mergeSlashes);
    if (!target) return refuse(400, head, connection, null);
    const hostValue = target.host ?? findHeader(head, "host");
    const host = hostValue === undefined ? null : validateHost(hostValue);
    if (hostValue !== undefined && host === null) return refuse(400, head, connection, target);
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
    if (server.action) return logged(server.settings, base, respond(server.action, base, server.settings, host !== null));
    const match = (matchers.get(server) as LocationMatcher).match(target.uri);
    if (match.kind === "none") return logged(server.settings, base, statusResponse(404));
    if (match.kind === "location" && match.captures) base.captures = match.captures;
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
    return logged(settings, ctx, await proxy(location, plans.get(location) as LocationPlan, ctx, target, body, host !== null));
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
    target: ParsedTarget | null = parseTarget(head.target, config.mergeSlashes),
  ): ProxyResponse {
    const response = statusResponse(status);
    const hostValue = target?.host ?? findHeader(head, "host");
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
    return { startedMs: caps.clock.now(), endedMs: 0, clock: caps.clock, status: 0, bodyBytes: 0, upstreams: [] };
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
    body: ClientBody,
    hadHost: boolean,
  ): Promise<ProxyResponse> {
    const settings = location.settings;
    const inFraming = ctx.head.framing;
    const isChunked = inFraming.kind === "chunked";
    const hasBody = inFraming.kind !== "none";
    const contentLength = inFraming.kind === "length" ? inFraming.length : null;
    // 413 straight from Content-Length, before a byte of the body is read (6.4).
    if (settings.clientMaxBodySize > 0 && contentLength !== null && contentLength > settings.clientMaxBodySize) {
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
      framing = inFraming;
    } else if (hasBody) {
      const read = await readBody(
        body,
        {
          maxSize: settings.clientMaxBodySize,
          bufferSize: settings.clientBodyBufferSize,
          timeoutMs: settings.clientBodyTimeoutMs,
          tempPath: settings.clientBodyTempPath,
          contentLength,
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
      framing,
      upgrade: ctx.head.upgrade === true,
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
    const tunnel = response.tunnel ? tunnelOf(response.tunnel, settings, ctx) : null;
    return {
      kind: "response",
      status: response.status,
      reason: response.reason,
      headers: buildResponseHeaders(plan.response, response.headers, ctx, hadHost),
      body: response.body,
      contentLength: response.contentLength,
      ...(tunnel ? { tunnel } : {}),
      closeConnection: false,
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

  const fetchSetup = { rules: config, log: caps.log, webSockets: caps.webSockets ?? null };
  return {
    config,
    handle,
    fetch: (request, connection) => fetchThroughHandle(handle, refuse, request, connection, fetchSetup),
    refused: (head, status, connection) => {
      const response = refuse(status, head, connection);
      if (response.kind === "response") response.done?.();
    },
  };
}

/** A 101 the client asked for: the tunnel runs with the location's timeouts, its bytes counted for the log. */
function tunnelOf(upstream: UpstreamTunnel, settings: Settings, ctx: RequestContext): Tunnel {
  const exchange = ctx.exchange;
  return {
    upstream,
    readTimeoutMs: settings.proxyReadTimeoutMs,
    sendTimeoutMs: settings.proxySendTimeoutMs,
    counted: (toClient) => {
      exchange.bodyBytes += toClient;
    },
  };
}
