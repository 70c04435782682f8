import type { PeerGroup } from "../balance/peer-group.ts";
import { newPickState, pickRoundRobin } from "../balance/round-robin.ts";
import type { BufferedBody } from "../buffer/read-body.ts";
import type { Capabilities, UpstreamRequest, UpstreamResult } from "../capabilities.ts";
import type { NextUpstreamToken, Settings } from "../config/model.ts";
import type { BodyStream, HeaderPairs, ProxyResponse } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { statusResponse } from "./status-page.ts";

/** The request as it will go to every peer tried. */
export interface Outgoing {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderPairs;
  /** Buffered (replayable), streamed (sent once), or none. */
  readonly body:
    | { readonly kind: "buffered"; readonly body: BufferedBody }
    | { readonly kind: "streamed"; readonly stream: BodyStream }
    | null;
}

/** A relayed upstream answer, before its headers are shaped for the client. */
export type Relayed = Extract<UpstreamResult, { kind: "response" }>;

/** Methods nginx does not retry once sent, unless `non_idempotent` is listed (6.7). */
const NON_IDEMPOTENT = new Set(["POST", "LOCK", "PATCH"]);

/**
 * Tries peers until one answers or the `proxy_next_upstream` rules stop it
 * (docs/nginx-semantics.md 2.8, 6.6, 6.7): 504 when the last failure was a timeout,
 * 502 otherwise and for "no live upstreams".
 */
export async function forward(
  caps: Capabilities,
  group: PeerGroup,
  settings: Settings,
  ctx: RequestContext,
  out: Outgoing,
): Promise<Relayed | ProxyResponse> {
  const pass = ctx.pass;
  if (!pass) throw new Error("forward() needs a proxy_pass location");
  const next = settings.proxyNextUpstream;
  const startedAt = caps.clock.now();
  const state = newPickState();
  let tries = settings.proxyNextUpstreamTries > 0 ? Math.min(group.maxTries, settings.proxyNextUpstreamTries) : group.maxTries;
  const retryBlocked = (sent: boolean): boolean =>
    (sent && NON_IDEMPOTENT.has(out.method) && !next.has("non_idempotent")) ||
    (sent && out.body?.kind === "streamed") ||
    (settings.proxyNextUpstreamTimeoutMs > 0 && caps.clock.now() - startedAt >= settings.proxyNextUpstreamTimeoutMs);
  const tls = pass.scheme === "https" ? tlsOptions(settings, ctx) : null;

  for (;;) {
    const peer = pickRoundRobin(group, state);
    if (!peer) {
      caps.log.error(`no live upstreams while connecting to upstream "${group.upstream.name}"`);
      return statusResponse(502);
    }
    peer.conns++;
    const request: UpstreamRequest = {
      peer: peer.server.address,
      tls,
      method: out.method,
      target: out.target,
      httpVersion: settings.proxyHttpVersion,
      headers: out.headers,
      body: bodyFor(out),
      maxHeaderBytes: settings.proxyBufferSize,
      keepalive: group.keepalive,
      connectTimeoutMs: settings.proxyConnectTimeoutMs,
      sendTimeoutMs: settings.proxySendTimeoutMs,
      readTimeoutMs: settings.proxyReadTimeoutMs,
    };
    const result = await caps.transport.request(request);
    peer.conns--;
    tries = group.isSingle ? 0 : tries - 1;

    if (result.kind === "failed") {
      caps.log.error(`upstream ${result.reason} (${result.detail}) while talking to upstream "${peer.server.text}"`);
      if (tries > 0 && next.has(result.reason) && !retryBlocked(result.requestSent)) continue;
      return statusResponse(result.reason === "timeout" ? 504 : 502);
    }
    // Status-code retries look at statuses >= 300 only, and need a try left (6.7).
    const token = `http_${result.status}` as NextUpstreamToken;
    if (result.status >= 300 && tries > 0 && next.has(token) && !retryBlocked(true)) {
      result.discard();
      continue;
    }
    return result;
  }
}

function bodyFor(out: Outgoing): UpstreamRequest["body"] {
  if (!out.body) return null;
  if (out.body.kind === "streamed") return out.body.stream;
  const b = out.body.body;
  return b.kind === "memory" ? b.bytes : b.file.read();
}

/** SNI only when `proxy_ssl_server_name on`, and never an IP literal (5.9). */
function tlsOptions(settings: Settings, ctx: RequestContext): UpstreamRequest["tls"] {
  if (!settings.proxySslServerName) return { servername: null, verify: settings.proxySslVerify };
  const pass = ctx.pass;
  const name = settings.proxySslName ? renderTemplate(settings.proxySslName, ctx) : (pass?.proxyHost ?? "");
  const host = name.startsWith("[") ? name : name.replace(/:\d+$/, "");
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
  return { servername: isIp || host === "" ? null : host, verify: settings.proxySslVerify };
}
