import type { AddHeader } from "../config/model.ts";
import type { HeaderPairs, ProxyResponse } from "../exchange.ts";
import { expiresHeaders } from "../shape/expires.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";

/** The statuses `add_header` and `expires` apply to without `always` (`ngx_http_headers_filter()`). */
const SAFE_STATUSES: ReadonlySet<number> = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

/**
 * The headers filter, first of nginx's output filters (ngx_http_headers_filter_module), with
 * the settings of the block the request ended in: `expires` sets `Expires` and the first
 * `Cache-Control` (the others go), then each `add_header` that applies to the status adds its
 * line, or for `ETag` and `Last-Modified` replaces the response's own. `add_trailer` lines are
 * evaluated when the body has been sent.
 */
export function headersFilter(r: RequestContext, response: ProxyResponse, nowMs: number): ProxyResponse {
  if (response.kind !== "response") return response;
  const settings = (r.location ?? r.server).settings;
  const { addHeaders, addTrailers, expires } = settings;
  if (expires.kind === "off" && addHeaders.length === 0 && addTrailers.length === 0) return response;
  const isSafe = SAFE_STATUSES.has(response.status);
  const headers: HeaderPairs = [...response.headers];
  const set = isSafe && expires.kind !== "off" ? expiresHeaders(expires, r, nowMs, lastModified(headers)) : null;
  if (set) {
    replace(headers, "expires", "Expires", set.expires);
    replace(headers, "cache-control", "Cache-Control", set.cacheControl, true);
  }
  for (const h of addHeaders) {
    if (!isSafe && !h.always) continue;
    const value = renderTemplate(h.value, r);
    if (h.replaces) replace(headers, h.name.toLowerCase(), h.name, value);
    else if (value !== "") headers.push([h.name, value]);
  }
  const trailers = addTrailers.filter((t) => isSafe || t.always);
  if (trailers.length === 0) return { ...response, headers };
  return { ...response, headers, trailers: () => trailerLines(trailers, r) };
}

/**
 * Sets a header the response has one of: the first with this name takes the value where it
 * stands (with the add_header's spelling of the name), or it is added; an empty value removes
 * it. `dropOthers`: later ones with the name go (Cache-Control under `expires`).
 */
function replace(headers: HeaderPairs, lower: string, name: string, value: string, dropOthers = false): void {
  const at = headers.findIndex(([n]) => n.toLowerCase() === lower);
  if (at < 0) {
    if (value !== "") headers.push([name, value]);
    return;
  }
  if (dropOthers) {
    for (let i = headers.length - 1; i > at; i--) if ((headers[i] as [string, string])[0].toLowerCase() === lower) headers.splice(i, 1);
  }
  if (value === "") headers.splice(at, 1);
  else headers[at] = [name, value];
}

/** The response's `Last-Modified` as a time (`ngx_parse_http_time()`), or null without a readable one. */
function lastModified(headers: HeaderPairs): number | null {
  const pair = headers.find(([n]) => n.length === 13 && n.toLowerCase() === "last-modified");
  if (!pair) return null;
  const ms = Date.parse(pair[1]);
  return Number.isNaN(ms) ? null : ms;
}

/** The `add_trailer` lines, evaluated after the body (`ngx_http_trailers_filter()`); empty values are left out. */
function trailerLines(trailers: readonly AddHeader[], r: RequestContext): HeaderPairs {
  const out: HeaderPairs = [];
  for (const t of trailers) {
    const value = renderTemplate(t.value, r);
    if (value !== "") out.push([t.name, value]);
  }
  return out;
}
