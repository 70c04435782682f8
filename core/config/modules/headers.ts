import type { VariableScope } from "../../variables/scope.ts";
import { type DirectiveSpec, list, type Setter } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { AddHeader, ExpiresSetting } from "../model.ts";
import type { Directive } from "../parse.ts";
import { templateOf } from "../settings.ts";
import { parseTimeSec } from "../values.ts";

/** Where the headers filter's directives may stand (`NGX_HTTP_MAIN_CONF|SRV|LOC|LIF`). */
const CONTEXTS = ["http", "server", "location", "lif"] as const;

/** ngx_http_headers_filter_module: `add_header`, `add_trailer`, `expires`. */
export const HEADERS_DIRECTIVES = {
  add_header: list(CONTEXTS, 2, 3, (own, d, env) => {
    own.addHeaders = [...(own.addHeaders ?? []), addHeader(d, env.scope, true)];
  }),
  add_trailer: list(CONTEXTS, 2, 3, (own, d, env) => {
    own.addTrailers = [...(own.addTrailers ?? []), addHeader(d, env.scope, false)];
  }),
  // Not `single`: nginx words its duplicate in its own way, from the setter.
  expires: list(CONTEXTS, 1, 2, (own, d, env) => setExpires(own, d, env)),
} satisfies Record<string, DirectiveSpec>;

/** Names whose value replaces the response's own header (`ngx_http_set_headers`). */
const REPLACING = new Set(["etag", "last-modified"]);

/** `add_header NAME VALUE [always]` (`ngx_http_headers_add()`). */
function addHeader(d: Directive, scope: VariableScope, isHeader: boolean): AddHeader {
  const [name, value, flag] = d.args as [string, string, string | undefined];
  if (flag !== undefined && flag !== "always") {
    throw new ConfigError("invalid-value", `invalid parameter "${flag}"`, d.at);
  }
  return { name, value: templateOf(d, value, scope), always: flag === "always", replaces: isHeader && REPLACING.has(name.toLowerCase()) };
}

/** `expires [modified] TIME|epoch|max|off|@TIME` (`ngx_http_headers_expires()`). */
const setExpires: Setter = (own, d, env) => {
  const fail = (reason: string): never => {
    throw new ConfigError(reason === "is duplicate" ? "duplicate" : "invalid-value", `"expires" directive ${reason}`, d.at);
  };
  if (own.expires) fail("is duplicate");
  const isModified = d.args.length === 2;
  if (isModified && d.args[0] !== "modified") fail("invalid value");
  const text = d.args[isModified ? 1 : 0] as string;
  const value = templateOf(d, text, env.scope);
  if (!value.isConstant) {
    own.expires = { kind: "variable", isModified, value };
    return;
  }
  const parsed = parseExpires(text, isModified);
  if (typeof parsed === "string") fail(parsed);
  own.expires = parsed as ExpiresSetting;
};

/**
 * An `expires` value (`ngx_http_parse_expires()`): the setting, or nginx's reason for refusing
 * it. Shared by the load and by values with variables, which are parsed per response.
 */
export function parseExpires(text: string, isModified: boolean): ExpiresSetting | string {
  if (!isModified && (text === "epoch" || text === "max" || text === "off")) return { kind: text };
  let rest = text;
  let sign = 1;
  let kind: "access" | "modified" | "daily" = isModified ? "modified" : "access";
  if (rest.startsWith("@")) {
    if (isModified) return 'daily time cannot be used with "modified" parameter';
    kind = "daily";
    rest = rest.slice(1);
  } else if (rest.startsWith("+")) rest = rest.slice(1);
  else if (rest.startsWith("-")) {
    sign = -1;
    rest = rest.slice(1);
  }
  const seconds = parseTimeSec(rest);
  if (seconds === null) return "invalid value";
  if (kind === "daily" && seconds > 24 * 60 * 60) return "daily time value must be less than 24 hours";
  return { kind, seconds: sign * seconds };
}
