import type { ValueRewrite } from "../config/model.ts";
import { recordMatch } from "../variables/request-variables.ts";
import type { RequestContext } from "./request-context.ts";
import { renderTemplate } from "./template.ts";

/** How a text rule finds its match (`ngx_http_proxy_rewrite_complex_handler()`, `..._domain_handler()`). */
export type TextMatch = "prefix" | "domain";

/**
 * The first of `rules` that matches `value` from `start` on, applied (`ngx_http_proxy_rewrite()`):
 * a text rule's match (a prefix, or for domains the whole value past a leading dot, in any
 * case) is replaced; a regex that matches anywhere replaces the whole rest, its captures the
 * request's for the replacement. Null when none matches.
 */
export function rewriteValue(
  rules: readonly ValueRewrite[],
  value: string,
  start: number,
  ctx: RequestContext,
  match: TextMatch,
  slotCount: number,
): string | null {
  for (const rule of rules) {
    const rest = value.slice(start);
    if (rule.kind === "regex") {
      const m = rule.from.exec(rest);
      if (m === null) continue;
      recordMatch(ctx, m, rule.named, slotCount);
      return value.slice(0, start) + renderTemplate(rule.to, ctx);
    }
    const from = renderTemplate(rule.from, ctx);
    if (match === "prefix") {
      if (!rest.startsWith(from)) continue;
      return value.slice(0, start) + renderTemplate(rule.to, ctx) + rest.slice(from.length);
    }
    const dot = rest.startsWith(".") ? 1 : 0;
    if (rest.length - dot !== from.length || rest.slice(dot).toLowerCase() !== from.toLowerCase()) continue;
    return value.slice(0, start + dot) + renderTemplate(rule.to, ctx);
  }
  return null;
}
