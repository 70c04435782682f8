import type { Location } from "../config/model.ts";
import type { LocationMatcher } from "../route/location-match.ts";
import type { RequestContext } from "../shape/request-context.ts";
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
    r.log.block = plan.serverLog(r.server);
    return;
  }
  // A method `limit_except` does not list runs in its block (`ngx_http_update_location_config()`).
  const limit = location.limitExcept;
  const block = limit && !limit.methods.has(r.head.method) ? limit.block : location;
  r.location = block;
  if (block.modifier !== "if" || block.handler) r.handler = block.handler;
  r.log.block = plan.locationLog(block);
}
