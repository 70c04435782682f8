import type { ClientBody } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import type { Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";
import { proxyContent } from "./proxy-handler.ts";

/**
 * nginx's content phase: the location's handler answers. `proxy_pass` proxies; a location
 * without one, or a URI no location takes, is what nginx's static module would serve from
 * files, which a pure proxy has none of: 404.
 */
export function content(plan: ProxyPlan, r: RequestContext, body: ClientBody): Promise<Outcome> | Outcome {
  const location = r.location;
  if (location?.action?.kind !== "proxy") return { kind: "status", status: 404 };
  return proxyContent(plan, r, location, body);
}
