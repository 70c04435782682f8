import { compileTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { HeaderSetting, NextUpstreamToken, RedirectRule, Settings } from "./model.ts";
import type { Directive } from "./parse.ts";
import { parseFlag, parseNumber, parseOffset, parseSize, parseTimeMs } from "./values.ts";

/** The settings a block writes itself; merged over its parent's (docs/nginx-semantics.md 1.6). */
export type OwnSettings = { -readonly [K in keyof Settings]?: Settings[K] };

/** nginx 1.22's defaults (docs/nginx-semantics.md 6.1). */
export const DEFAULT_SETTINGS: Settings = {
  accessLogs: [],
  errorLog: null,
  defaultType: "text/plain",
  clientMaxBodySize: 1024 * 1024,
  clientBodyBufferSize: 8 * 1024,
  clientBodyTimeoutMs: 60_000,
  clientBodyTempPath: null,
  proxyConnectTimeoutMs: 60_000,
  proxySendTimeoutMs: 60_000,
  proxyReadTimeoutMs: 60_000,
  proxyHttpVersion: "1.0",
  proxyBufferSize: 4096,
  proxyRequestBuffering: true,
  proxyBuffering: true,
  proxyPassRequestHeaders: true,
  proxyPassRequestBody: true,
  proxyMethod: null,
  proxySetHeaders: [],
  proxyHideHeaders: [],
  proxyPassHeaders: [],
  proxyRedirect: { kind: "default" },
  proxyNextUpstream: new Set<NextUpstreamToken>(["error", "timeout"]),
  proxyNextUpstreamTries: 0,
  proxyNextUpstreamTimeoutMs: 0,
  proxyIgnoreClientAbort: false,
  proxySslServerName: false,
  proxySslName: null,
  proxySslVerify: false,
};

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

type Setter = (own: OwnSettings, d: Directive, log: (msg: string) => void, scope: VariableScope) => void;

const fail = (d: Directive, reason: string): never => {
  throw new ConfigError("invalid-value", reason, d.at);
};
const arg0 = (d: Directive): string => d.args[0] as string;

const size =
  (key: "clientBodyBufferSize" | "proxyBufferSize"): Setter =>
  (own, d) => {
    own[key] = parseSize(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value "${arg0(d)}"`);
  };
const time =
  (
    key: "clientBodyTimeoutMs" | "proxyConnectTimeoutMs" | "proxySendTimeoutMs" | "proxyReadTimeoutMs" | "proxyNextUpstreamTimeoutMs",
  ): Setter =>
  (own, d) => {
    own[key] = parseTimeMs(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value "${arg0(d)}"`);
  };
const flag =
  (
    key:
      | "proxyRequestBuffering"
      | "proxyBuffering"
      | "proxyPassRequestHeaders"
      | "proxyPassRequestBody"
      | "proxyIgnoreClientAbort"
      | "proxySslServerName"
      | "proxySslVerify",
  ): Setter =>
  (own, d) => {
    own[key] = parseFlag(arg0(d)) ?? fail(d, `invalid value "${arg0(d)}" in "${d.name}" directive, it must be "on" or "off"`);
  };
const template = (d: Directive, text: string, scope: VariableScope) => compileTemplate(text, { scope, at: d.at });

/** How each per-location directive writes its setting. */
export const SETTERS: Record<string, Setter> = {
  client_max_body_size: (own, d) => {
    own.clientMaxBodySize = parseOffset(arg0(d)) ?? fail(d, `"client_max_body_size" directive invalid value "${arg0(d)}"`);
  },
  client_body_buffer_size: size("clientBodyBufferSize"),
  proxy_buffer_size: size("proxyBufferSize"),
  client_body_timeout: time("clientBodyTimeoutMs"),
  default_type: (own, d) => {
    own.defaultType = arg0(d);
  },
  client_body_temp_path: (own, d) => {
    own.clientBodyTempPath = arg0(d);
  },
  proxy_connect_timeout: time("proxyConnectTimeoutMs"),
  proxy_send_timeout: time("proxySendTimeoutMs"),
  proxy_read_timeout: time("proxyReadTimeoutMs"),
  proxy_next_upstream_timeout: time("proxyNextUpstreamTimeoutMs"),
  proxy_http_version: (own, d) => {
    const v = arg0(d);
    if (v !== "1.0" && v !== "1.1") fail(d, `invalid value "${v}" in "proxy_http_version" directive`);
    own.proxyHttpVersion = v as "1.0" | "1.1";
  },
  proxy_request_buffering: flag("proxyRequestBuffering"),
  proxy_buffering: flag("proxyBuffering"),
  proxy_pass_request_headers: flag("proxyPassRequestHeaders"),
  proxy_pass_request_body: flag("proxyPassRequestBody"),
  proxy_ignore_client_abort: flag("proxyIgnoreClientAbort"),
  proxy_ssl_server_name: flag("proxySslServerName"),
  proxy_ssl_verify: flag("proxySslVerify"),
  proxy_ssl_name: (own, d, _log, scope) => {
    own.proxySslName = template(d, arg0(d), scope);
  },
  proxy_method: (own, d) => {
    own.proxyMethod = arg0(d);
  },
  proxy_next_upstream_tries: (own, d) => {
    own.proxyNextUpstreamTries = parseNumber(arg0(d)) ?? fail(d, `"proxy_next_upstream_tries" directive invalid value "${arg0(d)}"`);
  },
  proxy_set_header: (own, d, _log, scope) => {
    const name = arg0(d);
    const header: HeaderSetting = { name, lowerName: name.toLowerCase(), value: template(d, d.args[1] as string, scope) };
    own.proxySetHeaders = [...(own.proxySetHeaders ?? []), header];
  },
  proxy_hide_header: (own, d) => {
    own.proxyHideHeaders = [...(own.proxyHideHeaders ?? []), arg0(d).toLowerCase()];
  },
  proxy_pass_header: (own, d) => {
    own.proxyPassHeaders = [...(own.proxyPassHeaders ?? []), arg0(d).toLowerCase()];
  },
  proxy_redirect: (own, d, _log, scope) => {
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
  },
  proxy_next_upstream: (own, d, log) => {
    const tokens = new Set(own.proxyNextUpstream ?? []);
    for (const t of d.args) {
      if (t === "off") {
        tokens.clear();
        (tokens as Set<string>).add("off");
        continue;
      }
      if (!NEXT_UPSTREAM_TOKENS.has(t) && t !== "updating") fail(d, `invalid value "${t}" in "proxy_next_upstream" directive`);
      if (tokens.has(t as NextUpstreamToken)) log(`${d.at.file}:${d.at.line}: duplicate value "${t}"`);
      if (!(tokens as Set<string>).has("off")) tokens.add(t as NextUpstreamToken);
    }
    own.proxyNextUpstream = tokens;
  },
};

function redirectRule(d: Directive, from: string, to: string, scope: VariableScope): RedirectRule {
  const toTemplate = template(d, to, scope);
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

/** The settings a block ends up with: its own values over the inherited ones. */
export function mergeSettings(parent: Settings, own: OwnSettings): Settings {
  const merged = { ...parent, ...own };
  // `off` anywhere in a proxy_next_upstream list wins (6.7).
  if ((merged.proxyNextUpstream as ReadonlySet<string>).has("off")) merged.proxyNextUpstream = new Set();
  return merged;
}
