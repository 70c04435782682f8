import { ANY, type CompileEnv, type DirectiveSpec, HSL, list, type Setter, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { CookieFlags, HeaderSetting, NextUpstreamToken, ProxyPass, ValueRewrite } from "../model.ts";
import type { Directive } from "../parse.ts";
import { compileRegex, namedGroups } from "../regex.ts";
import { arg0, fail, flagSetting, type OwnSettings, sizeSetting, templateOf, timeSetting } from "../settings.ts";
import { compileValueRewrite } from "../value-rewrite.ts";
import { parseNumber, parseSize } from "../values.ts";

const NEXT_UPSTREAM_TOKENS = new Set<string>([
  "error",
  "timeout",
  "invalid_header",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_403",
  "http_404",
  "http_429",
  "non_idempotent",
]);

/** ngx_http_proxy_module's directives (`proxy_pass` itself is compiled with its location). */
export const PROXY_DIRECTIVES = {
  proxy_pass: single(["location", "lif", "limit_except"]),
  proxy_buffer_size: single(HSL, 1, 1, sizeSetting("proxyBufferSize")),
  proxy_connect_timeout: single(HSL, 1, 1, timeSetting("proxyConnectTimeoutMs")),
  proxy_send_timeout: single(HSL, 1, 1, timeSetting("proxySendTimeoutMs")),
  proxy_read_timeout: single(HSL, 1, 1, timeSetting("proxyReadTimeoutMs")),
  proxy_http_version: single(HSL, 1, 1, (own, d) => {
    const v = arg0(d);
    if (v !== "1.0" && v !== "1.1") fail(d, `invalid value "${v}" in "proxy_http_version" directive`);
    own.proxyHttpVersion = v as "1.0" | "1.1";
  }),
  proxy_request_buffering: single(HSL, 1, 1, flagSetting("proxyRequestBuffering")),
  proxy_buffering: single(HSL, 1, 1, flagSetting("proxyBuffering")),
  proxy_pass_request_headers: single(HSL, 1, 1, flagSetting("proxyPassRequestHeaders")),
  proxy_pass_request_body: single(HSL, 1, 1, flagSetting("proxyPassRequestBody")),
  proxy_method: single(HSL, 1, 1, (own, d, env) => {
    own.proxyMethod = templateOf(d, arg0(d), env.scope);
  }),
  proxy_set_body: single(HSL, 1, 1, (own, d, env) => {
    own.proxySetBody = templateOf(d, arg0(d), env.scope);
  }),
  proxy_set_header: list(HSL, 2, 2, (own, d, env) => {
    const name = arg0(d);
    const header: HeaderSetting = { name, lowerName: name.toLowerCase(), value: templateOf(d, d.args[1] as string, env.scope) };
    own.proxySetHeaders = [...(own.proxySetHeaders ?? []), header];
  }),
  proxy_hide_header: list(HSL, 1, 1, (own, d) => {
    own.proxyHideHeaders = [...(own.proxyHideHeaders ?? []), arg0(d).toLowerCase()];
  }),
  proxy_pass_header: list(HSL, 1, 1, (own, d) => {
    own.proxyPassHeaders = [...(own.proxyPassHeaders ?? []), arg0(d).toLowerCase()];
  }),
  proxy_redirect: list(HSL, 1, 2, setRedirect),
  proxy_cookie_domain: list(HSL, 1, 2, setCookieDomain),
  proxy_cookie_path: list(HSL, 1, 2, setCookiePath),
  proxy_cookie_flags: list(HSL, 1, 9, setCookieFlags),
  proxy_next_upstream: list(HSL, 1, ANY, (own, d, env) => setNextUpstream(own, d, env.warn)),
  proxy_next_upstream_tries: single(HSL, 1, 1, (own, d) => {
    own.proxyNextUpstreamTries = parseNumber(arg0(d)) ?? fail(d, `"proxy_next_upstream_tries" directive invalid value`);
  }),
  proxy_next_upstream_timeout: single(HSL, 1, 1, timeSetting("proxyNextUpstreamTimeoutMs")),
  proxy_ignore_client_abort: single(HSL, 1, 1, flagSetting("proxyIgnoreClientAbort")),
  proxy_intercept_errors: single(HSL, 1, 1, flagSetting("proxyInterceptErrors")),
  proxy_ssl_server_name: single(HSL, 1, 1, flagSetting("proxySslServerName")),
  proxy_ssl_name: single(HSL, 1, 1, (own, d, env) => {
    own.proxySslName = templateOf(d, arg0(d), env.scope);
  }),
  proxy_ssl_verify: single(HSL, 1, 1, flagSetting("proxySslVerify")),
  proxy_buffers: single(HSL, 2, 2, (own, d) => {
    const [count, size] = [parseNumber(arg0(d)), parseSize(d.args[1] as string)];
    if (count === null || count === 0 || size === null || size === 0) fail(d, `"proxy_buffers" directive invalid value`);
    own.proxyBuffers = { count, size };
  }),
  proxy_busy_buffers_size: single(HSL, 1, 1, sizeSetting("proxyBusyBuffersSize")),
  proxy_temp_file_write_size: single(HSL, 1, 1, sizeSetting("proxyTempFileWriteSize")),
  proxy_max_temp_file_size: single(HSL, 1, 1, sizeSetting("proxyMaxTempFileSize")),
  proxy_temp_path: single(HSL, 1, 4, (own, d) => {
    own.proxyTempPath = arg0(d);
  }),
} satisfies Record<string, DirectiveSpec>;

const duplicate = (d: Directive): never => {
  throw new ConfigError("duplicate", `"${d.name}" directive is duplicate`, d.at);
};

/**
 * `proxy_redirect default|off|FROM TO` (`ngx_http_proxy_redirect()`): rules append, `off` stands
 * alone. `default` is the rule of the block's `proxy_pass`, which must come before it and have
 * no variables: the `proxy_pass` URL becomes the location's name, or without a URI part
 * `URL/` becomes `/`.
 */
function setRedirect(own: OwnSettings, d: Directive, env: CompileEnv): void {
  const [from, to] = d.args as [string, string | undefined];
  const prior = own.proxyRedirect;
  if (prior?.kind === "off") duplicate(d);
  if (to === undefined && from === "off") {
    if (prior) duplicate(d);
    own.proxyRedirect = { kind: "off" };
    return;
  }
  const rules = prior?.kind === "rules" ? prior.rules : [];
  if (to !== undefined) {
    own.proxyRedirect = { kind: "rules", rules: [...rules, compileValueRewrite(d, from, to, env.scope)] };
    return;
  }
  if (from !== "default") fail(d, `invalid parameter "${from}"`);
  const here = env.proxyPassHere();
  if (here?.pass.kind === "variable") fail(d, `"proxy_redirect default" cannot be used with "proxy_pass" directive with variables`);
  if (!here) fail(d, `"proxy_redirect default" should be placed after the "proxy_pass" directive`);
  const { pass, locationName } = here as { pass: ProxyPass; locationName: string };
  const rule: ValueRewrite =
    pass.uri !== null
      ? { kind: "text", from: templateOf(d, pass.url, env.scope), to: templateOf(d, locationName, env.scope) }
      : { kind: "text", from: templateOf(d, `${pass.url}/`, env.scope), to: templateOf(d, "/", env.scope) };
  own.proxyRedirect = { kind: "rules", rules: [...rules, rule] };
}

/** `proxy_cookie_domain off|DOMAIN REPLACEMENT`: a leading dot of either is not part of it; regexes are caseless. */
function setCookieDomain(own: OwnSettings, d: Directive, env: CompileEnv): void {
  const rules = cookieRules(own.proxyCookieDomains, d);
  if (rules === null) {
    own.proxyCookieDomains = [];
    return;
  }
  const [from, to] = d.args as [string, string];
  const undot = (t: string) => (t.startsWith(".") ? t.slice(1) : t);
  const rule = from.startsWith("~")
    ? compileValueRewrite(d, from, to, env.scope, true)
    : compileValueRewrite(d, undot(from), undot(to), env.scope);
  own.proxyCookieDomains = [...rules, rule];
}

/** `proxy_cookie_path off|PATH REPLACEMENT`. */
function setCookiePath(own: OwnSettings, d: Directive, env: CompileEnv): void {
  const rules = cookieRules(own.proxyCookiePaths, d);
  if (rules === null) {
    own.proxyCookiePaths = [];
    return;
  }
  own.proxyCookiePaths = [...rules, compileValueRewrite(d, d.args[0] as string, d.args[1] as string, env.scope)];
}

/** The rules a cookie directive adds to, or null for its `off`; `off` beside rules is duplicate. */
function cookieRules<T>(prior: readonly T[] | undefined, d: Directive): readonly T[] | null {
  if (prior !== undefined && prior.length === 0) duplicate(d);
  if (d.args.length === 1) {
    if (d.args[0] !== "off") fail(d, `invalid parameter "${d.args[0]}"`);
    if (prior !== undefined) duplicate(d);
    return null;
  }
  return prior ?? [];
}

/** `proxy_cookie_flags off|COOKIE [FLAG...]`: a `~` COOKIE is a caseless regex. */
function setCookieFlags(own: OwnSettings, d: Directive, env: CompileEnv): void {
  const prior = cookieRules(own.proxyCookieFlags, d);
  if (prior === null) {
    own.proxyCookieFlags = [];
    return;
  }
  const [cookie, ...flags] = d.args as [string, ...string[]];
  let name: CookieFlags["cookie"];
  if (cookie.startsWith("~")) {
    const regex = compileRegex(cookie.slice(1), true, d.at);
    name = { regex, named: namedGroups(regex).map((group) => [group, env.scope.defineSlot(group, d.at)] as const) };
  } else name = templateOf(d, cookie, env.scope);
  own.proxyCookieFlags = [...prior, { cookie: name, flags: flags.map((f) => templateOf(d, f, env.scope)) }];
}

/** `proxy_next_upstream`: a bit mask that repeats merge into; a repeated value only warns. */
const setNextUpstream = (own: Parameters<Setter>[0], d: Directive, warn: (m: string) => void): void => {
  const tokens = new Set(own.proxyNextUpstream ?? []);
  for (const t of d.args) {
    if (t === "off") {
      tokens.clear();
      (tokens as Set<string>).add("off");
      continue;
    }
    if (!NEXT_UPSTREAM_TOKENS.has(t) && t !== "updating") fail(d, `invalid value "${t}" in "proxy_next_upstream" directive`);
    if (tokens.has(t as NextUpstreamToken)) warn(`${d.at.file}:${d.at.line}: duplicate value "${t}"`);
    if (!(tokens as Set<string>).has("off")) tokens.add(t as NextUpstreamToken);
  }
  own.proxyNextUpstream = tokens;
};
