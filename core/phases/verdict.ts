import type { HeaderPairs } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import type { ProxyPlan } from "./plan.ts";

/**
 * What one access check says (nginx's access-phase handler codes): no opinion (`NGX_DECLINED`),
 * let the request in (`NGX_OK`), or refuse it with a status (and its headers, such as
 * `WWW-Authenticate`).
 */
export type Verdict =
  | { readonly kind: "declined" }
  | { readonly kind: "allowed" }
  | { readonly kind: "refused"; readonly status: number; readonly headers?: HeaderPairs };

/** One access-phase handler; `isAll`: `satisfy all`, under which a refusal is logged where it happens. */
export type AccessCheck = (plan: ProxyPlan, r: RequestContext, isAll: boolean) => Verdict | Promise<Verdict>;

/** No opinion: the next check decides. */
export const DECLINED: Verdict = { kind: "declined" };
/** Let in (under `satisfy any`, the phase ends here). */
export const ALLOWED: Verdict = { kind: "allowed" };
