import type { VariableScope } from "../variables/scope.ts";
import type { ValueRewrite } from "./model.ts";
import type { Directive } from "./parse.ts";
import { compileRegex, namedGroups } from "./regex.ts";
import { templateOf } from "./settings.ts";

/**
 * A `proxy_redirect`, `proxy_cookie_domain` or `proxy_cookie_path` rule
 * (`ngx_http_proxy_rewrite_regex()` and the complex-value form): `~` (`~*` caseless, or
 * `caseless` for domains) makes FROM a regex whose named groups are variables; otherwise a
 * text with variables.
 */
export function compileValueRewrite(d: Directive, from: string, to: string, scope: VariableScope, caseless = false): ValueRewrite {
  const replacement = templateOf(d, to, scope);
  if (!from.startsWith("~")) return { kind: "text", from: templateOf(d, from, scope), to: replacement };
  const star = from.startsWith("~*");
  const regex = compileRegex(from.slice(star ? 2 : 1), caseless || star, d.at);
  const named = namedGroups(regex).map((group) => [group, scope.defineSlot(group, d.at)] as const);
  return { kind: "regex", from: regex, named, to: replacement };
}
