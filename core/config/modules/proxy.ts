import type { VariableScope } from "../../variables/scope.ts";
import { ANY, type DirectiveSpec, HSL, list, type Setter, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { HeaderSetting, NextUpstreamToken, RedirectRule } from "../model.ts";
import type { Directive } from "../parse.ts";
import { arg0, fail, flagSetting, sizeSetting, templateOf, timeSetting } from "../settings.ts";
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
  proxy_method: single(HSL, 1, 1, (own, d) => {
    own.proxyMethod = arg0(d);
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
  proxy_redirect: list(HSL, 1, 2, (own, d, env) => setRedirect(own, d, env.scope)),
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

/** `proxy_redirect default|off|FROM TO`: rules append; `off` and `default` stand alone. */
const setRedirect = (own: Parameters<Setter>[0], d: Directive, scope: VariableScope): void => {
  const [from, to] = d.args as [string, string | undefined];
  const prior = own.proxyRedirect;
  if (to === undefined) {
    // `off` and `default` stand alone; `off` beside other rules is "is duplicate" in nginx.
    if (from !== "off" && from !== "default") fail(d, `invalid parameter "${from}" in "proxy_redirect" directive`);
    if (prior) throw new ConfigError("duplicate", `"proxy_redirect" directive is duplicate`, d.at);
    own.proxyRedirect = from === "off" ? { kind: "off" } : { kind: "default" };
    return;
  }
  if (prior && prior.kind === "off") throw new ConfigError("duplicate", `"proxy_redirect" directive is duplicate`, d.at);
  const rule = redirectRule(d, from, to, scope);
  const rules = prior?.kind === "rules" ? prior.rules : [];
  own.proxyRedirect = { kind: "rules", rules: [...rules, rule] };
};

function redirectRule(d: Directive, from: string, to: string, scope: VariableScope): RedirectRule {
  const toTemplate = templateOf(d, to, scope);
  if (from === "default") fail(d, `invalid parameter "default" in "proxy_redirect" directive`);
  if (from.startsWith("~")) {
    const caseless = from.startsWith("~*");
    const source = from.slice(caseless ? 2 : 1);
    try {
      return { from: new RegExp(`^(?:${source})`, caseless ? "i" : ""), to: toTemplate };
    } catch (cause) {
      throw new ConfigError("invalid-value", `invalid regex "${source}" in "proxy_redirect" directive`, d.at, { cause });
    }
  }
  return { from, to: toTemplate };
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
