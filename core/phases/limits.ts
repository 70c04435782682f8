import type { LimitLogLevel, LimitZone } from "../config/model.ts";
import type { ClientBody } from "../exchange.ts";
import { limitConnections } from "../limit/limit-conn.ts";
import { limitRequests } from "../limit/limit-req.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { NEXT, type Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";

/** The level one below, where nginx logs delays (`delay_log_level`): info stays info. */
const BELOW: Readonly<Record<LimitLogLevel, LimitLogLevel>> = { info: "info", notice: "info", warn: "notice", error: "warn" };

/**
 * `limit_req` in nginx's preaccess phase (`ngx_http_limit_req_handler()`), once per request (a
 * subrequest goes through when its main request has not): a request over its limit's `burst`
 * is answered `limit_req_status`, one over `delay` waits its turn first; `limit_req_dry_run`
 * only logs. `$limit_req_status` says which.
 */
export function limitReq(plan: ProxyPlan, r: RequestContext, body: ClientBody): Outcome | Promise<Outcome> {
  const settings = (r.location ?? r.server).settings;
  const main = r.main ?? r;
  if (settings.limitReqs.length === 0 || main.limitReqStatus !== undefined) return NEXT;
  const decision = limitRequests(
    settings.limitReqs,
    plan.zoneTable,
    keyOf(r),
    plan.caps.clock.now(),
    longKey(r, 65535),
    plan.caps.limitReqFeed,
  );
  if (decision.kind === "declined") return NEXT;
  if (decision.kind === "passed") {
    main.limitReqStatus = "PASSED";
    return NEXT;
  }
  const dry = settings.limitReqDryRun;
  const excess = `${Math.trunc(decision.excess / 1000)}.${String(decision.excess % 1000).padStart(3, "0")}`;
  if (decision.kind === "rejected") {
    if (decision.busy) {
      r.log[settings.limitReqLogLevel](`limiting requests${dry ? ", dry run" : ""}, excess: ${excess} by zone "${decision.zone.name}"`);
    }
    main.limitReqStatus = dry ? "REJECTED_DRY_RUN" : "REJECTED";
    return dry ? NEXT : { kind: "status", status: settings.limitReqStatus };
  }
  r.log[BELOW[settings.limitReqLogLevel]](`delaying request${dry ? ", dry run" : ""}, excess: ${excess}, by zone "${decision.zone.name}"`);
  main.limitReqStatus = dry ? "DELAYED_DRY_RUN" : "DELAYED";
  return dry ? NEXT : delay(decision.delayMs, body);
}

/**
 * `limit_conn` after `limit_req` (`ngx_http_limit_conn_handler()`): the request counts in each
 * zone until it ends; a key at its limit is answered `limit_conn_status`.
 */
export function limitConn(plan: ProxyPlan, r: RequestContext): Outcome {
  const settings = (r.location ?? r.server).settings;
  const main = r.main ?? r;
  if (settings.limitConns.length === 0 || main.limitConnStatus !== undefined) return NEXT;
  const decision = limitConnections(settings.limitConns, plan.zoneTable, keyOf(r), longKey(r, 255));
  if (decision.kind === "declined") return NEXT;
  if (decision.kind === "passed") {
    main.limitConnStatus = "PASSED";
    r.cleanups ??= [];
    r.cleanups.push(decision.release);
    return NEXT;
  }
  const dry = settings.limitConnDryRun;
  if (decision.busy) r.log[settings.limitConnLogLevel](`limiting connections${dry ? ", dry run," : ""} by zone "${decision.zone.name}"`);
  main.limitConnStatus = dry ? "REJECTED_DRY_RUN" : "REJECTED";
  return dry ? NEXT : { kind: "status", status: settings.limitConnStatus };
}

function keyOf(r: RequestContext): (zone: LimitZone) => string {
  return (zone) => renderTemplate(zone.key, r);
}

function longKey(r: RequestContext, max: number): (zone: LimitZone, key: string) => void {
  return (zone, key) => r.log.error(`the value of the "${zone.key.text}" key is more than ${max} bytes: "${key}"`);
}

/**
 * A delayed request waits, as nginx's timer on the connection; a client that leaves meanwhile
 * ends it unanswered (499), as `ngx_http_test_reading()` finds.
 */
function delay(ms: number, body: ClientBody): Promise<Outcome> {
  return new Promise((resolve) => {
    let unwatch: (() => void) | undefined;
    const timer = setTimeout(() => {
      unwatch?.();
      resolve(NEXT);
    }, ms);
    unwatch = body.watchClient?.(() => {
      clearTimeout(timer);
      resolve({ kind: "response", response: { kind: "close", logStatus: 499 } });
    });
  });
}
