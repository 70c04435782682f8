import type { ExpiresSetting } from "../config/model.ts";
import { parseExpires } from "../config/modules/headers.ts";
import type { RequestContext } from "./request-context.ts";
import { renderTemplate } from "./template.ts";

/** The `Expires` and `Cache-Control` values `expires` sets, or null when it sets none. */
export interface ExpiresHeaders {
  readonly expires: string;
  readonly cacheControl: string;
}

const EPOCH: ExpiresHeaders = { expires: "Thu, 01 Jan 1970 00:00:01 GMT", cacheControl: "no-cache" };
// "10 years", as nginx words it, against an Expires just before 2038.
const MAX: ExpiresHeaders = { expires: "Thu, 31 Dec 2037 23:55:55 GMT", cacheControl: "max-age=315360000" };

/**
 * What `expires` writes at `nowMs` (`ngx_http_set_expires()`). `modified` counts from the
 * response's `Last-Modified` (`lastModifiedMs`); without one it counts from now, as `access` does.
 */
export function expiresHeaders(
  setting: ExpiresSetting,
  r: RequestContext,
  nowMs: number,
  lastModifiedMs: number | null,
): ExpiresHeaders | null {
  let resolved: ExpiresSetting | string = setting;
  let configured = 0;
  if (setting.kind === "variable") {
    resolved = parseExpires(renderTemplate(setting.value, r), setting.isModified);
    // A value that does not parse sets nothing.
    if (typeof resolved === "string") return null;
  } else if ("seconds" in setting) configured = setting.seconds;
  switch (resolved.kind) {
    case "off":
    case "variable":
      return null;
    case "epoch":
      return EPOCH;
    case "max":
      return MAX;
    default:
      break;
  }
  const now = Math.floor(nowMs / 1000);
  if (resolved.seconds === 0 && resolved.kind !== "daily") return { expires: httpTime(now), cacheControl: "max-age=0" };
  const from = resolved.kind === "modified" && lastModifiedMs !== null ? Math.floor(lastModifiedMs / 1000) : now;
  const at = resolved.kind === "daily" ? nextTime(resolved.seconds, nowMs) : from + resolved.seconds;
  const maxAge = at - now;
  return { expires: httpTime(at), cacheControl: configured < 0 || maxAge < 0 ? "no-cache" : `max-age=${maxAge}` };
}

/** `ngx_http_time()`: `Thu, 01 Jan 1970 00:00:01 GMT`. */
function httpTime(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/** `ngx_next_time()`: the next moment the local clock shows this time of day, in seconds. */
function nextTime(secondsOfDay: number, nowMs: number): number {
  const d = new Date(Math.floor(nowMs / 1000) * 1000);
  d.setHours(Math.floor(secondsOfDay / 3600), Math.floor((secondsOfDay % 3600) / 60), secondsOfDay % 60, 0);
  if (d.getTime() > nowMs - (nowMs % 1000)) return d.getTime() / 1000;
  d.setDate(d.getDate() + 1);
  return d.getTime() / 1000;
}
