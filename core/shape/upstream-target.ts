import type { Location, ProxyPass } from "../config/model.ts";
import { escapeUri, type ParsedTarget } from "../route/uri.ts";

/**
 * The request-target sent upstream for a static `proxy_pass` (docs/nginx-semantics.md 5.2):
 * without a URI part, the client's bytes as received; with one, the location name is cut off
 * `$uri` by its length and the rest appended to the URI part, re-escaped if the client escaped.
 */
export function upstreamTarget(
  pass: ProxyPass,
  location: Location,
  target: Pick<ParsedTarget, "uri" | "args" | "requestUri" | "isQuoted">,
): string {
  if (pass.uri === null) return target.requestUri;
  // Regex and named locations cannot carry a URI part (refused at load); `=` and prefix cut by name.
  const rest = target.uri.slice(location.name.length);
  const path = pass.uri + (target.isQuoted ? escapeUri(rest) : rest);
  return target.args ? `${path}?${target.args}` : path;
}
