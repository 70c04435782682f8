import { formatAddress, parseAddress } from "../access/address.ts";
import { forwardedAddress } from "../access/forwarded-address.ts";
import type { Settings } from "../config/model.ts";
import { findHeader, findHeaders, type RequestContext } from "../shape/request-context.ts";
import { NEXT, type Outcome } from "./outcome.ts";

/**
 * The realip module (ngx_http_realip_module.c), in nginx's post-read phase with the server's
 * settings and again before the access phase with the location's: when the peer is trusted
 * (`set_real_ip_from`), the address its header names becomes the client's for the rest of the
 * request (`$remote_addr`, `allow`/`deny`, limit keys, `ip_hash`), once per request. The port
 * is the header's, or none.
 */
export function realip(r: RequestContext, settings: Settings): Outcome {
  const trusted = settings.realIpFrom;
  if (trusted === null || r.realipFrom !== undefined) return NEXT;
  const lines = headerLines(r, settings.realIpHeader);
  if (lines.length === 0) return NEXT;
  const peer = parseAddress(r.connection.remoteAddress);
  if (!peer) return NEXT;
  const forwarded = forwardedAddress(peer, lines, trusted, settings.realIpRecursive);
  if (forwarded.kind === "declined") return NEXT;
  r.realipFrom = r.connection;
  r.connection = { ...r.connection, remoteAddress: formatAddress(forwarded.client.address), remotePort: forwarded.client.port };
  // nginx changes the connection's address: the error log's `client:` names the real client too.
  r.log.connection = r.connection;
  return NEXT;
}

/** The header lines the setting reads: every `X-Forwarded-For` line, else the first line of the name. */
function headerLines(r: RequestContext, header: Settings["realIpHeader"]): readonly string[] {
  if (header.kind === "x-forwarded-for") return findHeaders(r.head, "x-forwarded-for");
  const value = findHeader(r.head, header.kind === "x-real-ip" ? "x-real-ip" : header.lowerName);
  return value === undefined ? [] : [value];
}
