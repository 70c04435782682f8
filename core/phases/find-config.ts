import type { Location, Settings } from "../config/model.ts";
import type { LocationMatcher } from "../route/location-match.ts";
import { findHeader, type RequestContext } from "../shape/request-context.ts";
import { recordMatch } from "../variables/request-variables.ts";
import { NEXT, type Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";

/**
 * nginx's find-config phase (`ngx_http_core_find_config_phase()`): the location for `$uri`,
 * its captures and handler on the request; 404 for an `internal` one the client asked for,
 * 413 when `Content-Length` is above its `client_max_body_size`, or the 301 that adds a
 * trailing slash to `/dir` (docs/nginx-semantics.md 7.4). A URI no location takes goes on at
 * server level: the content phase answers it 404.
 */
export function findConfig(plan: ProxyPlan, r: RequestContext): Outcome {
  const match = (plan.locations.get(r.server) as LocationMatcher).match(r.uri);
  enterLocation(plan, r, match.kind === "none" ? null : match.location);
  if (match.kind === "location" && match.captures) {
    recordMatch(r, match.captures, match.location.named ?? [], plan.config.variableSlots);
  }
  if (match.kind !== "none" && match.location.isInternal && !r.internal) return { kind: "status", status: 404 };
  const settings = (r.location ?? r.server).settings;
  const framing = r.head.framing;
  if (framing.kind === "length" && settings.clientMaxBodySize > 0 && framing.length > settings.clientMaxBodySize) {
    r.log.error(`client intended to send too large body: ${framing.length} bytes`);
    return { kind: "status", status: 413 };
  }
  if (match.kind === "redirect") return { kind: "status", status: 301, location: `${r.uri}/${r.args ? `?${r.args}` : ""}` };
  return NEXT;
}

/**
 * Puts the request in a location (`ngx_http_update_location_config()`): its settings, its error
 * log, and its content handler, which an `if` block without one leaves as it was. Null is the
 * server level, with the server's handler (`stub_status` there), usually none.
 */
export function enterLocation(plan: ProxyPlan, r: RequestContext, location: Location | null): void {
  if (location === null) {
    r.location = null;
    r.handler = r.server.handler;
    updateKeepalive(plan, r, r.server.settings);
    r.log.block = plan.serverLog(r.server);
    return;
  }
  // A method `limit_except` does not list runs in its block (`ngx_http_update_location_config()`).
  const limit = location.limitExcept;
  const block = limit && !limit.methods.has(r.head.method) ? limit.block : location;
  r.location = block;
  updateKeepalive(plan, r, block.settings);
  if (block.modifier !== "if" || block.handler) r.handler = block.handler;
  r.log.block = plan.locationLog(block);
}

/**
 * A block the request enters may end keep-alive for it (`ngx_http_update_location_config()`):
 * `keepalive_timeout 0`, `keepalive_requests` reached, `keepalive_time` past, or a browser
 * `keepalive_disable` names. Once off, it stays off.
 */
export function updateKeepalive(plan: ProxyPlan, r: RequestContext, s: Settings): void {
  if (r.closesConnection) return;
  const wire = r.wire;
  if (
    s.keepaliveTimeoutMs === 0 ||
    (wire !== null && wire.requests >= s.keepaliveRequests) ||
    (wire?.connectedMs !== undefined && plan.caps.clock.now() - wire.connectedMs > s.keepaliveTimeMs) ||
    (s.keepaliveDisable.msie6 && r.method === "POST" && isMsie6(userAgent(r))) ||
    (s.keepaliveDisable.safari && isSafari(userAgent(r)))
  ) {
    r.closesConnection = true;
  }
}

function userAgent(r: RequestContext): string {
  return findHeader(r.head, "user-agent") ?? "";
}

/** `ngx_http_process_user_agent()`: "MSIE " with room for a version after it, and not Opera. */
function isMsie(ua: string): boolean {
  const at = ua.indexOf("MSIE ");
  return at >= 0 && at + 7 < ua.length && !ua.includes("Opera");
}

/** ...MSIE 4 and 5, and 6 without SV1. */
function isMsie6(ua: string): boolean {
  if (!isMsie(ua)) return false;
  const at = ua.indexOf("MSIE ");
  if (ua[at + 6] !== ".") return false;
  const major = ua[at + 5];
  return major === "4" || major === "5" || (major === "6" && !ua.includes("SV1", at + 8));
}

/** ...Safari on a Mac: neither MSIE, Opera, Gecko nor Chrome. */
function isSafari(ua: string): boolean {
  if (isMsie(ua) || ua.includes("Opera") || ua.includes("Gecko/") || ua.includes("Chrome/")) return false;
  return ua.includes("Safari/") && ua.includes("Mac OS X");
}
