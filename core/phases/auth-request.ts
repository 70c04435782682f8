import type { HeaderPairs } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { requestVariables } from "../variables/request-variables.ts";
import type { ProxyPlan } from "./plan.ts";
import { type AccessCheck, ALLOWED, DECLINED, type Verdict } from "./verdict.ts";

/**
 * `auth_request URI` (`ngx_http_auth_request_handler()`): a GET subrequest to URI decides. A 2xx
 * lets the request in, a 401 or 403 is the answer (a 401 with the subrequest's first
 * `WWW-Authenticate`), anything else is a 500. `auth_request_set` lines are evaluated in the
 * subrequest and set in this request either way.
 */
export const authRequest: AccessCheck = (plan, r) => {
  const uri = (r.location ?? r.server).settings.authRequest;
  if (uri === "") return DECLINED;
  return decide(plan, r, uri);
};

async function decide(plan: ProxyPlan, r: RequestContext, uri: string): Promise<Verdict> {
  const settings = (r.location ?? r.server).settings;
  const done = await plan.subrequest(r, uri);
  // Set now, so that they hold after an internal redirect too.
  if (settings.authRequestSet.length > 0) {
    const values = requestVariables(r, plan.config.variableSlots).values;
    for (const set of settings.authRequestSet) values[set.slot] = renderTemplate(set.value, done.request);
  }
  const status = done.status;
  if (status === 403) return { kind: "refused", status };
  if (status === 401) {
    const challenge = firstHeader(done.headers, "www-authenticate");
    return challenge === undefined ? { kind: "refused", status } : { kind: "refused", status, headers: [challenge] };
  }
  if (status >= 200 && status < 300) return ALLOWED;
  r.log.error(`auth request unexpected status: ${status}`);
  return { kind: "refused", status: 500 };
}

function firstHeader(headers: HeaderPairs, lower: string): [string, string] | undefined {
  return headers.find(([n]) => n.toLowerCase() === lower);
}
