import type { ProxyResponse } from "../exchange.ts";

/**
 * What a phase handler decides, as nginx's phase checkers read a handler's return code: go on
 * to the next phase (`NGX_DECLINED`), finish with nginx's own page for a status
 * (`ngx_http_finalize_request(r, status)`, with `Location` when it is a redirect), or finish with
 * a response the handler made.
 */
export type Outcome =
  | { readonly kind: "next" }
  | { readonly kind: "status"; readonly status: number; readonly location?: string }
  | { readonly kind: "response"; readonly response: ProxyResponse };

/** On to the next phase. */
export const NEXT: Outcome = { kind: "next" };
