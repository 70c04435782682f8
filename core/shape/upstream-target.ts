import type { Location, ProxyPass } from "../config/model.ts";
import { escapeUri } from "../route/uri.ts";
import type { RequestContext } from "./request-context.ts";

/**
 * The request-target sent upstream for a static `proxy_pass` (docs/nginx-semantics.md 5.2,
 * `ngx_http_proxy_create_request()`): without a URI part and with the URI as the client sent
 * it, the client's bytes; otherwise `$uri`, its location name replaced by the URI part (not
 * after `rewrite ... break`, which sends `$uri` whole), re-escaped when the client escaped or
 * a rewrite made it, then `?$args`.
 */
export function upstreamTarget(
  pass: ProxyPass,
  location: Location,
  r: Pick<RequestContext, "uri" | "args" | "requestUri" | "isQuoted" | "internal" | "validUnparsedUri" | "validLocation">,
): string {
  // A URL evaluated from variables sends its URI part whole: no location cut, no arguments (5.3).
  if (pass.fromVariables && pass.uri !== null) return pass.uri;
  if (pass.uri === null && r.validUnparsedUri) return r.requestUri;
  // Regex and named locations cannot carry a URI part (refused at load); `=` and prefix cut by name.
  const cut = r.validLocation && pass.uri !== null ? location.name.length : 0;
  const rest = r.uri.slice(cut);
  const path = (r.validLocation ? (pass.uri ?? "") : "") + (r.isQuoted || r.internal ? escapeUri(rest) : rest);
  return r.args ? `${path}?${r.args}` : path;
}
