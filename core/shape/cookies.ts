import type { CookieFlags, Settings } from "../config/model.ts";
import { recordMatch } from "../variables/request-variables.ts";
import type { RequestContext } from "./request-context.ts";
import { renderTemplate } from "./template.ts";
import { rewriteValue } from "./value-rewrite.ts";

/** One `name[=value]` of a Set-Cookie value; a null name is left out when it is written back. */
interface Attribute {
  name: string | null;
  value: string | null;
}

/** Whether a location rewrites Set-Cookie at all (decided at load). */
export function rewritesCookies(settings: Settings): boolean {
  return settings.proxyCookieDomains.length > 0 || settings.proxyCookiePaths.length > 0 || settings.proxyCookieFlags.length > 0;
}

/**
 * An upstream `Set-Cookie` as `proxy_cookie_domain`, `proxy_cookie_path` and
 * `proxy_cookie_flags` leave it (`ngx_http_proxy_rewrite_cookie()`): each Domain and Path
 * attribute through its rules, the cookie's flags set or removed; when anything applied, the
 * value is written back as `name=value; attr=value; Flag`. Null leaves it as it came.
 */
export function rewriteSetCookie(settings: Settings, value: string, ctx: RequestContext, slotCount: number): string | null {
  const attrs = parseCookie(value);
  if ((attrs[0] as Attribute).value === null) return null;
  let changed = false;
  for (const attr of attrs.slice(1)) {
    if (attr.value === null || attr.name === null) continue;
    const name = attr.name.toLowerCase();
    const rules = name === "domain" ? settings.proxyCookieDomains : name === "path" ? settings.proxyCookiePaths : null;
    if (!rules || rules.length === 0) continue;
    const rewritten = rewriteValue(rules, attr.value, 0, ctx, name === "domain" ? "domain" : "prefix", slotCount);
    if (rewritten === null) continue;
    attr.value = rewritten;
    changed = true;
  }
  if (settings.proxyCookieFlags.length > 0 && editFlags(settings.proxyCookieFlags, attrs, ctx, slotCount)) changed = true;
  if (!changed) return null;
  return attrs
    .filter((a) => a.name !== null)
    .map((a) => (a.value === null ? a.name : `${a.name}=${a.value}`))
    .join("; ");
}

/** `ngx_http_proxy_parse_cookie()`: `;`-separated, spaces around names and values dropped. */
function parseCookie(value: string): Attribute[] {
  return value.split(";").map((part) => {
    const eq = part.indexOf("=");
    if (eq < 0) return { name: part.replace(/^ +| +$/g, ""), value: null };
    return { name: part.slice(0, eq).replace(/^ +| +$/g, ""), value: part.slice(eq + 1).replace(/^ +| +$/g, "") };
  });
}

const FLAGS = ["secure", "nosecure", "httponly", "nohttponly", "samesite=strict", "samesite=lax", "samesite=none", "nosamesite"] as const;
type Flag = (typeof FLAGS)[number];

/**
 * `proxy_cookie_flags` (`ngx_http_proxy_rewrite_cookie_flags()`): the first line whose cookie
 * names this one; its flags (unknown ones ignored) add `Secure`, `HttpOnly`, `SameSite=...`
 * where missing, set `SameSite`, or remove them. Whether any flag applied.
 */
function editFlags(lines: readonly CookieFlags[], attrs: Attribute[], ctx: RequestContext, slotCount: number): boolean {
  const cookie = (attrs[0] as Attribute).name ?? "";
  const line = lines.find((l) => {
    if ("regex" in l.cookie) {
      const m = l.cookie.regex.exec(cookie);
      if (m) recordMatch(ctx, m, l.cookie.named, slotCount);
      return m !== null;
    }
    return renderTemplate(l.cookie, ctx).toLowerCase() === cookie.toLowerCase();
  });
  if (!line) return false;
  const flags = new Set<Flag>();
  for (const f of line.flags) {
    const v = renderTemplate(f, ctx).toLowerCase();
    if ((FLAGS as readonly string[]).includes(v)) flags.add(v as Flag);
  }
  if (flags.size === 0) return false;
  const sameSite = flags.has("samesite=strict") ? "Strict" : flags.has("samesite=lax") ? "Lax" : flags.has("samesite=none") ? "None" : null;
  let addSecure = flags.has("secure");
  let addHttpOnly = flags.has("httponly");
  let addSameSite = sameSite !== null;
  for (const attr of attrs.slice(1)) {
    const name = attr.name?.toLowerCase();
    if (name === "secure") {
      if (addSecure) addSecure = false;
      else if (flags.has("nosecure")) attr.name = null;
    } else if (name === "httponly") {
      if (addHttpOnly) addHttpOnly = false;
      else if (flags.has("nohttponly")) attr.name = null;
    } else if (name === "samesite") {
      if (addSameSite) {
        addSameSite = false;
        if (attr.value?.toLowerCase() !== sameSite?.toLowerCase()) {
          attr.name = "SameSite";
          attr.value = sameSite;
        }
      } else if (flags.has("nosamesite")) attr.name = null;
    }
  }
  if (addSecure) attrs.push({ name: "Secure", value: null });
  if (addHttpOnly) attrs.push({ name: "HttpOnly", value: null });
  if (addSameSite) attrs.push({ name: "SameSite", value: sameSite });
  return true;
}
