import type { Settings } from "../config/model.ts";
import type { HeaderPairs, RequestHead } from "../exchange.ts";
import { findHeader } from "../shape/request-context.ts";

/**
 * Whether the client takes gzip for this response (`ngx_http_gzip_ok()`): `Accept-Encoding`
 * names gzip with a quality above 0, the User-Agent is not one `gzip_disable` names, the request
 * is at least `gzip_http_version`, and a request that came through a proxy (`Via`) meets
 * `gzip_proxied` with what the response says of caching. `nowSec` stands in for a missing `Date`.
 */
export function acceptsGzip(head: RequestHead, response: HeaderPairs, settings: Settings, nowSec: number): boolean {
  const ae = findHeader(head, "accept-encoding");
  if (ae === undefined || ae.length < 4) return false;
  if (!ae.startsWith("gzip,") && !namesGzip(ae)) return false;
  const userAgent = findHeader(head, "user-agent");
  const disable = settings.gzipDisable;
  if (disable.msie6 && userAgent !== undefined && isMsie6(userAgent)) return false;
  if (settings.gzipHttpVersion === "1.1" && head.httpVersion === "1.0") return false;
  if (findHeader(head, "via") !== undefined && !proxiedOk(head, response, settings.gzipProxied, nowSec)) return false;
  if (userAgent !== undefined) for (const re of disable.patterns) if (re.test(userAgent)) return false;
  return true;
}

/** `gzip_proxied` for a request with `Via`, from the response's caching headers. */
function proxiedOk(head: RequestHead, response: HeaderPairs, p: ReadonlySet<string>, nowSec: number): boolean {
  if (p.has("off")) return false;
  if (p.has("any")) return true;
  if (p.has("auth") && findHeader(head, "authorization") !== undefined) return true;
  const expires = header(response, "expires");
  if (expires !== undefined) {
    if (!p.has("expired")) return false;
    const at = httpTime(expires);
    if (at === null) return false;
    const dateText = header(response, "date");
    const date = dateText === undefined ? nowSec : httpTime(dateText);
    return date !== null && at < date;
  }
  const cacheControl = response.filter(([n]) => n.toLowerCase() === "cache-control").map(([, v]) => v);
  if (cacheControl.length > 0) {
    return (
      (p.has("no-cache") && hasToken(cacheControl, "no-cache")) ||
      (p.has("no-store") && hasToken(cacheControl, "no-store")) ||
      (p.has("private") && hasToken(cacheControl, "private"))
    );
  }
  if (p.has("no_last_modified") && header(response, "last-modified") !== undefined) return false;
  if (p.has("no_etag") && header(response, "etag") !== undefined) return false;
  return true;
}

/**
 * `ngx_http_gzip_accept_encoding()`: a `gzip` that starts the value or follows a comma or
 * space, then a comma, the end, or `;q=` with a quality that is not zero.
 */
function namesGzip(ae: string): boolean {
  const lower = ae.toLowerCase();
  let p = -1;
  for (let from = 0; ; from = p + 4) {
    p = lower.indexOf("gzip", from);
    if (p < 0) return false;
    if (p === 0 || lower[p - 1] === "," || lower[p - 1] === " ") break;
  }
  let i = p + 4;
  for (; i < ae.length; i++) {
    const c = ae[i];
    if (c === ",") return true;
    if (c === ";") break;
    if (c !== " ") return false;
  }
  if (i >= ae.length) return true;
  for (i++; i < ae.length; i++) {
    const c = ae[i];
    if (c === "q" || c === "Q") break;
    if (c !== " ") return false;
  }
  if (i >= ae.length) return true;
  i++;
  if (i + 2 > ae.length || ae[i] !== "=") return false;
  return quality(ae, i + 1) !== 0;
}

/** `ngx_http_gzip_quantity()`: 0 or 1, then an optional fraction of up to three digits; 0 for what does not read. */
function quality(text: string, start: number): number {
  const c = text[start];
  if (c !== "0" && c !== "1") return 0;
  let q = (c === "1" ? 1 : 0) * 100;
  let i = start + 1;
  if (i === text.length || text[i] === "," || text[i] === " ") return q;
  if (text[i] !== ".") return 0;
  let digits = 0;
  for (i++; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d === 44 || d === 32) break;
    if (d < 48 || d > 57) return 0;
    // nginx adds the digits up as they come: only whether the sum is 0 matters.
    q += d - 48;
    digits++;
  }
  return q > 100 || digits > 3 ? 0 : q;
}

/** nginx's `msie6` (`ngx_http_process_user_agent()`): MSIE 4 or 5, or 6 without SV1. */
function isMsie6(userAgent: string): boolean {
  const at = userAgent.indexOf("MSIE ");
  if (at < 0 || at + 7 >= userAgent.length || userAgent[at + 6] !== ".") return false;
  const major = userAgent[at + 5];
  return major === "4" || major === "5" || (major === "6" && !userAgent.slice(at + 8).includes("SV1"));
}

function header(headers: HeaderPairs, lower: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Whether any of the header lines lists `token` (`ngx_http_parse_multi_header_lines()`). */
function hasToken(lines: readonly string[], token: string): boolean {
  return lines.some((line) => line.split(",").some((item) => item.trim().toLowerCase() === token));
}

/** An HTTP date in seconds (`ngx_parse_http_time()`), or null. */
function httpTime(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
