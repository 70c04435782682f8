import type { ClientBody } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { statusPage } from "../status/pages.ts";
import { stubStatus } from "../status/stub-status.ts";
import type { Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";
import { proxyContent } from "./proxy-handler.ts";
import { proxyTarget } from "./proxy-target.ts";

/**
 * nginx's content phase: the handler the request's blocks set answers. `proxy_pass` proxies,
 * with the proxy settings of the block the request is in: an `if` block that leaves the
 * handler of an earlier one but has no `proxy_pass` to inherit is nginx's "no upstream
 * configuration" (500). `stub_status` and edgeproxy's status pages answer from the counters.
 * Without a handler, nginx's static module would serve files, which a pure proxy has none of: 404.
 */
export function content(plan: ProxyPlan, r: RequestContext, body: ClientBody): Promise<Outcome> | Outcome {
  switch (r.handler) {
    case "stub_status":
      return stubStatus(r.head.method, plan.counters);
    case "metrics":
    case "status":
      return statusPage(plan, r.head.method, r.handler);
    case "proxy":
      return proxy(plan, r, body);
    case null:
      return { kind: "status", status: 404 };
  }
}

async function proxy(plan: ProxyPlan, r: RequestContext, body: ClientBody): Promise<Outcome> {
  const location = r.location;
  if (location === null) return { kind: "status", status: 404 };
  if (location.proxy === null) {
    r.log.alert("no upstream configuration");
    return { kind: "status", status: 500 };
  }
  const target = await proxyTarget(plan, r, location, location.proxy);
  if ("kind" in target) return target;
  return proxyContent(plan, r, location, target, body);
}
