import type { LocationMatcher } from "../route/location-match.ts";
import { absoluteUrl } from "../shape/redirect.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { NEXT, type Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";

/**
 * nginx's find-config phase (`ngx_http_core_find_config_phase()`): the location for `$uri`, its
 * captures and `proxy_pass` on the request, or the 301 that adds a trailing slash to `/dir`
 * (docs/nginx-semantics.md 7.4). A URI no location takes goes on with none: the content phase
 * answers it 404.
 */
export function findConfig(plan: ProxyPlan, r: RequestContext): Outcome {
  const match = (plan.locations.get(r.server) as LocationMatcher).match(r.uri);
  if (match.kind === "none") return NEXT;
  const location = match.location;
  r.location = location;
  if (match.kind === "redirect") {
    const path = `${r.uri}/${r.args ? `?${r.args}` : ""}`;
    return { kind: "status", status: 301, location: absoluteUrl(path, r, r.hadHost) };
  }
  if (match.captures) r.captures = match.captures;
  if (location.action?.kind === "proxy") r.pass = location.action.pass;
  return NEXT;
}
