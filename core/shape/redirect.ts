import type { Location, RedirectSetting } from "../config/model.ts";
import type { RequestContext } from "./request-context.ts";
import { renderTemplate } from "./template.ts";

/** The `proxy_redirect` rules of a location, resolved once at load. */
export type RedirectPlan =
  | { readonly kind: "off" }
  | { readonly kind: "rules"; readonly rules: readonly { readonly from: string | RegExp; readonly to: (ctx: RequestContext) => string }[] };

/**
 * Resolves `proxy_redirect` for a location (docs/nginx-semantics.md 6.8): `default` is
 * "the proxy_pass URL becomes the location name", or `scheme://host/` becomes `/` when
 * `proxy_pass` has no URI part or the location is a regex.
 */
export function planRedirect(setting: RedirectSetting, location: Location): RedirectPlan {
  if (setting.kind === "off") return { kind: "off" };
  if (setting.kind === "rules") {
    return { kind: "rules", rules: setting.rules.map((r) => ({ from: r.from, to: (ctx) => renderTemplate(r.to, ctx) })) };
  }
  const pass = location.proxy;
  if (pass === null) return { kind: "off" };
  const isRegex = location.modifier === "~" || location.modifier === "~*";
  if (pass.uri !== null && !isRegex) {
    const name = location.name;
    return { kind: "rules", rules: [{ from: pass.url, to: () => name }] };
  }
  const base = pass.uri === null ? `${pass.url}/` : pass.url.slice(0, pass.url.length - pass.uri.length + 1);
  return { kind: "rules", rules: [{ from: base, to: () => "/" }] };
}

/** The rewritten value, or null when no rule matched (the header then passes untouched). */
export function rewriteRedirect(plan: RedirectPlan, value: string, ctx: RequestContext): string | null {
  if (plan.kind === "off") return null;
  for (const rule of plan.rules) {
    if (typeof rule.from === "string") {
      if (value.startsWith(rule.from)) return rule.to(ctx) + value.slice(rule.from.length);
    } else {
      const m = rule.from.exec(value);
      if (m) {
        // The match is the request's captures for `$1`..`$9` in the replacement (ngx_http_regex_exec()).
        ctx.captures = m;
        return rule.to(ctx) + value.slice(m[0].length);
      }
    }
  }
  return null;
}

/**
 * A path made absolute as nginx's header filter does for `Location`: the client's scheme, the
 * request host (or the local address when there is none), and the listening port unless it
 * is the scheme's default.
 */
export function absoluteUrl(path: string, ctx: RequestContext, hadHost: boolean): string {
  const scheme = ctx.connection.isTls ? "https" : "http";
  const local = ctx.connection.localAddress;
  const host = hadHost ? ctx.host : local.includes(":") ? `[${local}]` : local;
  const port = ctx.connection.localPort;
  const isDefault = ctx.connection.listenKey.startsWith("unix:") || port === (scheme === "https" ? 443 : 80);
  return `${scheme}://${host}${isDefault ? "" : `:${port}`}${path}`;
}
