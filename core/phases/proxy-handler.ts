import { bodySize, readBody } from "../buffer/read-body.ts";
import { bufferResponse } from "../buffer/response-buffer.ts";
import type { Location, Settings } from "../config/model.ts";
import type { BodyFraming, BodyStream, ClientBody, HeaderPairs, Tunnel, UpstreamTunnel } from "../exchange.ts";
import { Cancel } from "../forward/cancel.ts";
import { type Forwarded, forward, type Outgoing, type Relay } from "../forward/forward.ts";
import type { RequestContext, UpstreamAttempt } from "../shape/request-context.ts";
import { buildRequestHeaders } from "../shape/request-headers.ts";
import { buildResponseHeaders } from "../shape/response-headers.ts";
import { renderTemplate, type Template } from "../shape/template.ts";
import { upstreamTarget } from "../shape/upstream-target.ts";
import type { Outcome } from "./outcome.ts";
import type { LocationPlan, ProxyPlan } from "./plan.ts";
import type { ProxyTarget } from "./proxy-target.ts";

/**
 * The proxy content handler (`ngx_http_proxy_handler()`): read or stream the client body as the
 * location says, shape the upstream request, balance and forward it, and relay the answer.
 */
export async function proxyContent(
  plan: ProxyPlan,
  r: RequestContext,
  location: Location,
  target: ProxyTarget,
  body: ClientBody,
): Promise<Outcome> {
  const locationPlan = plan.plans.get(location) as LocationPlan;
  const { pass, upstream } = target;
  r.pass = pass;
  const settings = location.settings;
  const read = await requestBody(plan, r, location, body);
  if ("outcome" in read) return read.outcome;
  const { outBody, framing } = settings.proxySetBody ? setBody(settings.proxySetBody, r) : read;

  // Until the response head comes, a client that leaves cancels the upstream request (499).
  const cancel = body.watchClient && !settings.proxyIgnoreClientAbort ? new Cancel() : null;
  const outgoing: Outgoing = {
    method: settings.proxyMethod ? renderTemplate(settings.proxyMethod, r) : r.method,
    target: upstreamTarget(pass, location, r),
    headers: buildRequestHeaders(locationPlan.headers, r, framing, r.head),
    framing,
    upgrade: r.head.upgrade === true,
    body: outBody,
    ...(cancel ? { cancel } : {}),
  };
  const unwatch = cancel && body.watchClient ? body.watchClient(() => cancel.cancel()) : null;
  let forwarded: Forwarded;
  try {
    forwarded = await forward(plan.caps, upstream.group, upstream.balancer, settings, r, outgoing, r.log);
    r.exchange.upstreamGroups++;
  } finally {
    unwatch?.();
  }
  if (forwarded.kind === "gone") return { kind: "response", response: { kind: "close", logStatus: 499 } };
  if (forwarded.kind === "status") return forwarded;
  const { response, finish, attempt } = forwarded;
  r.exchange.upstreamHeaders = response.headers;
  if (intercepts(settings, response.status)) {
    // ngx_http_upstream_intercept_errors(): the answer is dropped, the peer kept as a success.
    if (response.status === 401) keepAuthenticate(r, response.headers);
    response.discard();
    finish();
    return { kind: "status", status: response.status };
  }
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
      body: buffered(measured(response.body, response.contentLength, attempt), response, locationPlan, plan),
      contentLength: response.contentLength,
      ...(tunnel ? { tunnel } : {}),
      closeConnection: false,
      log: r.log,
      done: finish,
    },
  };
}

/** A streamed body under `proxy_buffering`: read as fast as the upstream sends it, waiting in memory, then in a temp file. */
function buffered(
  body: BodyStream | Uint8Array,
  response: Relay["response"],
  locationPlan: LocationPlan,
  plan: ProxyPlan,
): BodyStream | Uint8Array {
  if (!response.buffering || body instanceof Uint8Array) return body;
  return bufferResponse(body, locationPlan.responseBuffers, plan.caps.spool, response.discard);
}

/** The body as it will go upstream: streamed, buffered whole (memory or spool), or none. */
type RequestBody = { readonly outBody: Outgoing["body"]; readonly framing: BodyFraming } | { readonly outcome: Outcome };

/** `proxy_set_body`: its text is the body, the client's read and left (`ngx_http_proxy_create_request()`). */
function setBody(template: Template, r: RequestContext): { outBody: Outgoing["body"]; framing: BodyFraming } {
  const text = renderTemplate(template, r);
  // Config text is a byte string: one char per byte.
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return { outBody: { kind: "buffered", body: { kind: "memory", bytes } }, framing: { kind: "length", length: bytes.byteLength } };
}

/**
 * The upstream body, its length kept for `$upstream_response_length`: known for whole bodies
 * and lengths, counted as it passes for the rest.
 */
function measured(body: BodyStream | Uint8Array, contentLength: number | null, attempt: UpstreamAttempt): BodyStream | Uint8Array {
  if (body instanceof Uint8Array) {
    attempt.responseLength = body.byteLength;
    return body;
  }
  if (contentLength !== null) {
    attempt.responseLength = contentLength;
    return body;
  }
  return counted(body, attempt);
}

async function* counted(body: BodyStream, attempt: UpstreamAttempt): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    attempt.responseLength += chunk.byteLength;
    yield chunk;
  }
}

/** `proxy_intercept_errors` takes this status: 300 and up, with an `error_page` for it here. */
function intercepts(settings: Settings, status: number): boolean {
  return settings.proxyInterceptErrors && status >= 300 && settings.errorPages.some((p) => p.status === status);
}

/** An intercepted 401's `WWW-Authenticate` lines stay for the page that answers instead. */
function keepAuthenticate(r: RequestContext, headers: HeaderPairs): void {
  const kept = headers.filter(([n]) => n.toLowerCase() === "www-authenticate");
  if (kept.length > 0) r.headersOut = [...(r.headersOut ?? []), ...kept];
}

/**
 * Reads the client body whole before any upstream is contacted, unless the location streams it
 * (`proxy_request_buffering off`) and nginx would (docs/nginx-semantics.md 5.8, 6.4). A body
 * read before (for an upstream whose error page proxies again) is sent again; one streamed
 * before is gone.
 */
async function requestBody(plan: ProxyPlan, r: RequestContext, location: Location, body: ClientBody): Promise<RequestBody> {
  const settings = location.settings;
  const kept = r.requestBody;
  if (kept) {
    return { outBody: settings.proxyPassRequestBody ? { kind: "buffered", body: kept.buffered } : null, framing: kept.framing };
  }
  if (r.bodyUsed) return { outBody: null, framing: { kind: "none" } };
  r.bodyUsed = true;
  const inFraming = r.head.framing;
  const isChunked = inFraming.kind === "chunked";
  const hasBody = inFraming.kind !== "none";
  let streams =
    hasBody &&
    !settings.proxyRequestBuffering &&
    settings.proxySetBody === null &&
    settings.proxyPassRequestBody &&
    (!isChunked || settings.proxyHttpVersion === "1.1");
  if (streams && body.isPrereadComplete && (await body.isPrereadComplete())) streams = false;
  if (streams) return { outBody: { kind: "streamed", stream: body }, framing: inFraming };
  if (!hasBody) {
    // Reading an absent body still answers `Expect: 100-continue`, as nginx's proxy module does.
    for await (const _ of body);
    return { outBody: null, framing: { kind: "none" } };
  }
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
  const framing: BodyFraming = { kind: "length", length: bodySize(buffered) };
  // Kept for the request: released when its response is done (proxy.ts).
  r.requestBody = { buffered, framing };
  return { outBody: settings.proxyPassRequestBody ? { kind: "buffered", body: buffered } : null, framing };
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
