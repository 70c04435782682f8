import type { HeaderPairs, ProxyResponse } from "../exchange.ts";

/** Where a restarted request picks up the phases again. */
export type RestartAt = "server-rewrite" | "find-config" | "rewrite";

/**
 * What a phase handler decides, as nginx's phase checkers read a handler's return code: go on
 * to the next phase (`NGX_DECLINED`), finish with nginx's own page for a status
 * (`ngx_http_finalize_request(r, status)`, with `Location` for a redirect), finish with a
 * response the handler made, or run the phases again from one of them: a rewritten URI looks
 * for its location again, an internal redirect starts over at server rewrite, a named location
 * at rewrite.
 */
export type Outcome =
  | { readonly kind: "next" }
  | { readonly kind: "status"; readonly status: number; readonly location?: string; readonly headers?: HeaderPairs }
  | { readonly kind: "response"; readonly response: ProxyResponse }
  | { readonly kind: "restart"; readonly at: RestartAt };

/** On to the next phase. */
export const NEXT: Outcome = { kind: "next" };
