import { checkAccess } from "../access/access-rules.ts";
import { parseAddress } from "../access/address.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { authBasic } from "./auth-basic.ts";
import { authRequest } from "./auth-request.ts";
import { NEXT, type Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";
import { type AccessCheck, ALLOWED, DECLINED, type Verdict } from "./verdict.ts";

/** The access module's rules (`ngx_http_access_handler()`): the first rule of the client's family decides. */
const accessRules: AccessCheck = (_plan, r, isAll) => {
  const rules = (r.location ?? r.server).settings.access;
  if (rules === null) return DECLINED;
  const address = parseAddress(r.connection.remoteAddress);
  const verdict = address ? checkAccess(rules, address) : "none";
  if (verdict === "none") return DECLINED;
  if (verdict === "allow") return ALLOWED;
  if (isAll) r.log.error("access forbidden by rule");
  return { kind: "refused", status: 403 };
};

/** The access-phase handlers in nginx's order: `allow`/`deny`, then `auth_basic`, then `auth_request`. */
const CHECKS: readonly AccessCheck[] = [accessRules, authBasic, authRequest];

/**
 * nginx's access and post-access phases (`ngx_http_core_access_phase()`): a subrequest skips
 * them. With `satisfy all` every check must let the request in (the first refusal answers);
 * with `satisfy any` the first check that allows it ends the phase, and when none does, the
 * refusal stands, a 401 over a 403, so the client is asked for credentials. Synchronous until a
 * check has to wait (`auth_request`).
 */
export function access(plan: ProxyPlan, r: RequestContext): Outcome | Promise<Outcome> {
  if (r.isSubrequest) return NEXT;
  const run: AccessRun = { isAll: (r.location ?? r.server).settings.satisfy === "all", refusal: null };
  for (let i = 0; i < CHECKS.length; i++) {
    const verdict = (CHECKS[i] as AccessCheck)(plan, r, run.isAll);
    if (verdict instanceof Promise) return finishAsync(plan, r, run, verdict, i);
    const outcome = decide(run, verdict);
    if (outcome) return outcome;
  }
  return postAccess(r, run);
}

/** The phase so far: `satisfy`, and the refusal kept under `satisfy any`. */
interface AccessRun {
  readonly isAll: boolean;
  refusal: Extract<Verdict, { kind: "refused" }> | null;
}

async function finishAsync(plan: ProxyPlan, r: RequestContext, run: AccessRun, pending: Promise<Verdict>, at: number): Promise<Outcome> {
  const first = decide(run, await pending);
  if (first) return first;
  for (let i = at + 1; i < CHECKS.length; i++) {
    const outcome = decide(run, await (CHECKS[i] as AccessCheck)(plan, r, run.isAll));
    if (outcome) return outcome;
  }
  return postAccess(r, run);
}

/** What one verdict does to the phase: ends it (an outcome), or lets it go on (null). */
function decide(run: AccessRun, verdict: Verdict): Outcome | null {
  if (verdict.kind === "declined") return null;
  if (verdict.kind === "allowed") return run.isAll ? null : NEXT;
  if (run.isAll || (verdict.status !== 401 && verdict.status !== 403)) return refusedOutcome(verdict);
  if (run.refusal?.status !== 401) run.refusal = verdict;
  return null;
}

/** `ngx_http_core_post_access_phase()`: a refusal kept under `satisfy any` answers now. */
function postAccess(r: RequestContext, run: AccessRun): Outcome {
  const refusal = run.refusal;
  if (refusal === null) return NEXT;
  if (refusal.status === 403) r.log.error("access forbidden by rule");
  return refusedOutcome(refusal);
}

function refusedOutcome(verdict: Extract<Verdict, { kind: "refused" }>): Outcome {
  return verdict.headers
    ? { kind: "status", status: verdict.status, headers: verdict.headers }
    : { kind: "status", status: verdict.status };
}
