import type { Settings } from "../config/model.ts";
import type { HeaderPairs } from "../exchange.ts";
import { rewriteSetCookie, rewritesCookies } from "./cookies.ts";
import { absoluteUrl, type RedirectPlan, rewriteRedirect } from "./redirect.ts";
import type { RequestContext } from "./request-context.ts";

/**
 * Upstream headers never copied, whatever `proxy_pass_header` says: edgeproxy frames the client
 * response itself (the writer sends `Content-Length` from the typed length), as nginx writes its
 * own framing and connection headers.
 */
const HOP_BY_HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);
/** Hidden unless `proxy_pass_header` names them (`ngx_http_proxy_hide_headers`). */
const HIDDEN_BY_DEFAULT = [
  "date",
  "server",
  "x-pad",
  "x-accel-expires",
  "x-accel-redirect",
  "x-accel-limit-rate",
  "x-accel-buffering",
  "x-accel-charset",
];

/** Which upstream response headers a location drops or rewrites, resolved once at load. */
export interface ResponseHeaderPlan {
  readonly hide: ReadonlySet<string>;
  readonly redirect: RedirectPlan;
  /** The location's settings when it rewrites Set-Cookie (`proxy_cookie_*`); null otherwise. */
  readonly cookies: Settings | null;
  /** The config's variable slots, for captures of named groups. */
  readonly slotCount: number;
}

/** `proxy_hide_header` plus nginx's hidden set, less `proxy_pass_header` (6.9). */
export function planResponseHeaders(settings: Settings, redirect: RedirectPlan, slotCount: number): ResponseHeaderPlan {
  const hide = new Set([...HIDDEN_BY_DEFAULT, ...settings.proxyHideHeaders, ...HOP_BY_HOP_HEADERS]);
  for (const name of settings.proxyPassHeaders) if (!HOP_BY_HOP_HEADERS.has(name)) hide.delete(name);
  return { hide, redirect, cookies: rewritesCookies(settings) ? settings : null, slotCount };
}

/**
 * The upstream's headers as the client gets them: hidden ones dropped, `Location` and
 * `Refresh` rewritten by `proxy_redirect`, `Set-Cookie` by `proxy_cookie_*`. `Server` goes
 * first and `Content-Type` second, where nginx's header filter writes them.
 */
export function buildResponseHeaders(plan: ResponseHeaderPlan, upstream: HeaderPairs, ctx: RequestContext, hadHost: boolean): HeaderPairs {
  // With `proxy_pass_header Server` the upstream's stands where it came, and nginx adds none.
  const out: HeaderPairs = plan.hide.has("server") ? [["Server", "edgeproxy"]] : [];
  const typeAt = out.length;
  for (const pair of upstream) {
    const lower = pair[0].toLowerCase();
    if (plan.hide.has(lower)) continue;
    if (lower === "content-type" && out.length > typeAt && !isContentType(out[typeAt])) {
      out.splice(typeAt, 0, pair);
      continue;
    }
    if (lower === "location") {
      const rewritten = rewriteRedirect(plan.redirect, pair[1], 0, ctx, plan.slotCount);
      if (rewritten !== null) {
        out.push([pair[0], rewritten.startsWith("/") ? absoluteUrl(rewritten, ctx, hadHost) : rewritten]);
        continue;
      }
    } else if (lower === "refresh") {
      const at = pair[1].toLowerCase().indexOf("url=");
      const rewritten = at < 0 ? null : rewriteRedirect(plan.redirect, pair[1], at + 4, ctx, plan.slotCount);
      if (rewritten !== null) {
        out.push([pair[0], rewritten]);
        continue;
      }
    } else if (lower === "set-cookie" && plan.cookies) {
      const rewritten = rewriteSetCookie(plan.cookies, pair[1], ctx, plan.slotCount);
      if (rewritten !== null) {
        out.push([pair[0], rewritten]);
        continue;
      }
    }
    out.push(pair);
  }
  return out;
}

function isContentType(pair: [string, string] | undefined): boolean {
  return pair !== undefined && pair[0].length === 12 && pair[0].toLowerCase() === "content-type";
}
