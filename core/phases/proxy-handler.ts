import { type BufferedBody, bodySize, readBody, releaseBody } from "../buffer/read-body.ts";
import { bufferResponse } from "../buffer/response-buffer.ts";
import type { Location, ProxyPass, Settings } from "../config/model.ts";
import type { BodyFraming, BodyStream, ClientBody, Tunnel, UpstreamTunnel } from "../exchange.ts";
import { Cancel } from "../forward/cancel.ts";
import { type Forwarded, forward, type Outgoing, type Relay } from "../forward/forward.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { buildRequestHeaders } from "../shape/request-headers.ts";
import { buildResponseHeaders } from "../shape/response-headers.ts";
import { upstreamTarget } from "../shape/upstream-target.ts";
import type { Outcome } from "./outcome.ts";
import type { LocationPlan, ProxyPlan, UpstreamPlan } from "./plan.ts";

/**
 * The proxy content handler (`ngx_http_proxy_handler()`): read or stream the client body as the
 * location says, shape the upstream request, balance and forward it, and relay the answer.
 */
export async function proxyContent(
  plan: ProxyPlan,
  r: RequestContext,
  location: Location,
  pass: ProxyPass,
  body: ClientBody,
): Promise<Outcome> {
  const locationPlan = plan.plans.get(location) as LocationPlan;
  r.pass = pass;
  const settings = location.settings;
  const read = await requestBody(plan, r, location, body);
  if ("outcome" in read) return read.outcome;
  const { buffered, outBody, framing } = read;

  // Until the response head comes, a client that leaves cancels the upstream request (499).
  const cancel = body.watchClient && !settings.proxyIgnoreClientAbort ? new Cancel() : null;
  const outgoing: Outgoing = {
    method: settings.proxyMethod ?? r.head.method,
    target: upstreamTarget(pass, location, r),
    headers: buildRequestHeaders(locationPlan.headers, r, framing, r.head),
    framing,
    upgrade: r.head.upgrade === true,
    body: outBody,
    ...(cancel ? { cancel } : {}),
  };
  const upstream = locationPlan.upstream as UpstreamPlan;
  const unwatch = cancel && body.watchClient ? body.watchClient(() => cancel.cancel()) : null;
  let forwarded: Forwarded;
  try {
    forwarded = await forward(plan.caps, upstream.group, upstream.balancer, settings, r, outgoing, r.log);
  } catch (error) {
    releaseBody(buffered);
    throw error;
  } finally {
    unwatch?.();
  }
  if (forwarded.kind === "answer") {
    releaseBody(buffered);
    return { kind: "response", response: forwarded.response };
  }
  const { response, finish } = forwarded;
  r.exchange.upstreamHeaders = response.headers;
  const tunnel = response.tunnel ? tunnelOf(response.tunnel, settings, r) : null;
  const headers = buildResponseHeaders(locationPlan.response, response.headers, r, r.hadHost);
  // `sticky`: the cookie naming the peer that answered, or the session it created, learned.
  const binding = upstream.sticky?.answered(forwarded.peer, r, response.headers, plan.caps.clock.now());
  if (binding) headers.push(binding);
  return {
    kind: "response",
    response: {
      kind: "response",
      status: response.status,
      reason: response.reason,
      headers,
      body: response.buffering && !(response.body instanceof Uint8Array) ? bufferedResponse(response, locationPlan, plan) : response.body,
      contentLength: response.contentLength,
      ...(tunnel ? { tunnel } : {}),
      closeConnection: false,
      log: r.log,
      done: () => {
        finish();
        releaseBody(buffered);
      },
    },
  };
}

/** A streamed body under `proxy_buffering`: read as fast as the upstream sends it, waiting in memory, then in a temp file. */
function bufferedResponse(response: Relay["response"], locationPlan: LocationPlan, plan: ProxyPlan): BodyStream {
  return bufferResponse(response.body as BodyStream, locationPlan.responseBuffers, plan.caps.spool, response.discard);
}

/** The body as it will go upstream: streamed, buffered whole (memory or spool), or none. */
type RequestBody =
  | { readonly buffered: BufferedBody | null; readonly outBody: Outgoing["body"]; readonly framing: BodyFraming }
  | { readonly outcome: Outcome };

/**
 * Reads the client body whole before any upstream is contacted, unless the location streams it
 * (`proxy_request_buffering off`) and nginx would (docs/nginx-semantics.md 5.8, 6.4).
 */
async function requestBody(plan: ProxyPlan, r: RequestContext, location: Location, body: ClientBody): Promise<RequestBody> {
  const settings = location.settings;
  const inFraming = r.head.framing;
  const isChunked = inFraming.kind === "chunked";
  const hasBody = inFraming.kind !== "none";
  let streams =
    hasBody && !settings.proxyRequestBuffering && settings.proxyPassRequestBody && (!isChunked || settings.proxyHttpVersion === "1.1");
  if (streams && body.isPrereadComplete && (await body.isPrereadComplete())) streams = false;
  if (streams) return { buffered: null, outBody: { kind: "streamed", stream: body }, framing: inFraming };
  if (!hasBody) return { buffered: null, outBody: null, framing: { kind: "none" } };
  const read = await readBody(
    body,
    {
      maxSize: settings.clientMaxBodySize,
      bufferSize: settings.clientBodyBufferSize,
      timeoutMs: settings.clientBodyTimeoutMs,
      tempPath: settings.clientBodyTempPath,
      contentLength: inFraming.kind === "length" ? inFraming.length : null,
    },
    plan.caps.spool,
  );
  if ("failed" in read) {
    const f = read.failed;
    if (f.kind === "too-large") return { outcome: { kind: "status", status: 413 } };
    if (f.kind === "malformed") return { outcome: { kind: "status", status: 400 } };
    // nginx logs 408 / 400 here and closes without a word (6.4).
    return { outcome: { kind: "response", response: { kind: "close", logStatus: f.kind === "timeout" ? 408 : 400 } } };
  }
  const buffered = read.ok;
  return {
    buffered,
    outBody: settings.proxyPassRequestBody ? { kind: "buffered", body: buffered } : null,
    framing: { kind: "length", length: bodySize(buffered) },
  };
}

/** A 101 the client asked for: the tunnel runs with the location's timeouts, its bytes counted for the log. */
function tunnelOf(upstream: UpstreamTunnel, settings: Settings, r: RequestContext): Tunnel {
  const exchange = r.exchange;
  return {
    upstream,
    readTimeoutMs: settings.proxyReadTimeoutMs,
    sendTimeoutMs: settings.proxySendTimeoutMs,
    counted: (toClient) => {
      exchange.bodyBytes += toClient;
    },
  };
}
