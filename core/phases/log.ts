import type { Capabilities } from "../capabilities.ts";
import type { ProxyResponse } from "../exchange.ts";
import { withAccessLog } from "../log/access-log.ts";
import type { RequestContext } from "../shape/request-context.ts";

/**
 * nginx's log phase: once the response is done, each `access_log` of the block the request
 * ended in (its location, else its server) gets its line.
 */
export function logRequest(caps: Capabilities, r: RequestContext, response: ProxyResponse): ProxyResponse {
  const sink = caps.accessLog;
  const logs = (r.location ?? r.server).settings.accessLogs;
  if (!sink || logs.length === 0) return response;
  return withAccessLog(response, r, logs, sink, () => caps.clock.now());
}
