import { compileTemplate, type Template } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import type { Setter } from "./directive-spec.ts";
import { ConfigError } from "./errors.ts";
import type { NextUpstreamToken, Settings } from "./model.ts";
import { DEFAULT_HTTP2 } from "./modules/http2.ts";
import { DEFAULT_PROXY_SSL } from "./modules/proxy-ssl.ts";
import { DEFAULT_SERVER_TLS } from "./modules/ssl.ts";
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
  proxyBuffers: { count: 8, size: 4096 },
  proxyBusyBuffersSize: -1,
  proxyTempFileWriteSize: -1,
  proxyMaxTempFileSize: -1,
  proxyTempPath: null,
  proxyPassRequestHeaders: true,
  proxyPassRequestBody: true,
  proxyMethod: null,
  proxySetBody: null,
  proxySetHeaders: [],
  proxyHideHeaders: [],
  proxyPassHeaders: [],
  proxyRedirect: { kind: "default" },
  proxyCookieDomains: [],
  proxyCookiePaths: [],
  proxyCookieFlags: [],
  resolver: null,
  resolverTimeoutMs: 30_000,
  proxyNextUpstream: new Set<NextUpstreamToken>(["error", "timeout"]),
  proxyNextUpstreamTries: 0,
  proxyNextUpstreamTimeoutMs: 0,
  proxyIgnoreClientAbort: false,
  proxySslServerName: false,
  proxySslName: null,
  proxySslVerify: false,
  addHeaders: [],
  addTrailers: [],
  expires: { kind: "off" },
  errorPages: [],
  recursiveErrorPages: false,
  proxyInterceptErrors: false,
  rewriteLog: false,
  uninitializedVariableWarn: true,
  ...DEFAULT_SERVER_TLS,
  ...DEFAULT_HTTP2,
  ...DEFAULT_PROXY_SSL,
  limitReqs: [],
  limitReqStatus: 503,
  limitReqLogLevel: "error",
  limitReqDryRun: false,
  limitConns: [],
  limitConnStatus: 503,
  limitConnLogLevel: "error",
  limitConnDryRun: false,
  access: null,
  satisfy: "all",
  authBasic: null,
  authBasicUserFile: null,
  authRequest: "",
  authRequestSet: [],
  gzip: false,
  gzipTypes: new Set(["text/html"]),
  gzipMinLength: 20,
  gzipCompLevel: 1,
  gzipProxied: new Set(["off"]),
  gzipVary: false,
  gzipDisable: { msie6: false, patterns: [] },
  gzipHttpVersion: "1.1",
  gzipWindowBits: 15,
  gzipMemLevel: 8,
  realIpFrom: null,
  realIpHeader: { kind: "x-real-ip" },
  realIpRecursive: false,
  mergeSlashes: true,
  clientHeaderTimeoutMs: 60_000,
  clientHeaderBufferSize: 1024,
  largeClientHeaderBuffers: { count: 4, size: 8192 },
  underscoresInHeaders: false,
  ignoreInvalidHeaders: true,
  maxHeaders: 1000,
  keepaliveTimeoutMs: 75_000,
  keepaliveHeaderSec: null,
  keepaliveRequests: 1000,
  keepaliveTimeMs: 3_600_000,
  keepaliveDisable: { msie6: true, safari: false },
  sendTimeoutMs: 60_000,
  chunkedTransferEncoding: true,
  absoluteRedirect: true,
  portInRedirect: true,
  serverNameInRedirect: false,
  serverTokens: "on",
};

/** The settings a block ends up with: its own values over the inherited ones. */
export function mergeSettings(parent: Settings, own: OwnSettings): Settings {
  const merged = { ...parent, ...own };
  // `off` anywhere in a proxy_next_upstream list wins (6.7).
  if ((merged.proxyNextUpstream as ReadonlySet<string>).has("off")) merged.proxyNextUpstream = new Set();
  return merged;
}

/** The settings whose values are exactly of type T. */
type KeysOf<T> = { [K in keyof Settings]-?: Settings[K] extends T ? (T extends Settings[K] ? K : never) : never }[keyof Settings];

/** The directive's error for a value it cannot take. */
export function fail(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}

/** The first argument. */
export const arg0 = (d: Directive): string => d.args[0] as string;

/** A string with variables, read by the configuration's scope. */
export const templateOf = (d: Directive, text: string, scope: VariableScope): Template => compileTemplate(text, { scope, at: d.at });

/** A size (`8k`): `ngx_conf_set_size_slot`. */
export const sizeSetting =
  (key: KeysOf<number>): Setter =>
  (own, d) => {
    own[key] = parseSize(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
  };

/** An offset (`1g`): `ngx_conf_set_off_slot`. */
export const offsetSetting =
  (key: KeysOf<number>): Setter =>
  (own, d) => {
    own[key] = parseOffset(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
  };

/** A time in milliseconds (`1m30s`): `ngx_conf_set_msec_slot`. */
export const timeSetting =
  (key: KeysOf<number>): Setter =>
  (own, d) => {
    own[key] = parseTimeMs(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
  };

/** `on` or `off`: `ngx_conf_set_flag_slot`. */
export const flagSetting =
  (key: KeysOf<boolean>): Setter =>
  (own, d) => {
    own[key] = parseFlag(arg0(d)) ?? fail(d, `invalid value "${arg0(d)}" in "${d.name}" directive, it must be "on" or "off"`);
  };

/** A word kept as written: `ngx_conf_set_str_slot`. */
export const stringSetting =
  (key: KeysOf<string>): Setter =>
  (own, d) => {
    own[key] = arg0(d);
  };

/** nginx's `connection_pool_size` on 64-bit platforms: a large header buffer is at least this. */
const CONNECTION_POOL_SIZE = 512;

/** `large_client_header_buffers NUMBER SIZE`: a request line or header line must fit one buffer. */
export function largeBuffers(d: Directive): { count: number; size: number } {
  const count = parseNumber(arg0(d));
  if (count === null || count === 0) fail(d, `invalid value "${arg0(d)}" in "${d.name}" directive`);
  const text = d.args[1] as string;
  const bytes = parseSize(text);
  if (bytes === null || bytes === 0) fail(d, `"${d.name}" directive invalid value`);
  if (bytes < CONNECTION_POOL_SIZE) {
    fail(d, `the "large_client_header_buffers" size must be equal to or greater than "connection_pool_size"`);
  }
  return { count, size: bytes };
}

/** A connection's client settings, as the HTTP/1 server reads them (and the Fetch entry the head rules). */
export type ClientLimits = Pick<
  Settings,
  | "mergeSlashes"
  | "clientHeaderTimeoutMs"
  | "keepaliveTimeoutMs"
  | "keepaliveRequests"
  | "sendTimeoutMs"
  | "clientHeaderBufferSize"
  | "largeClientHeaderBuffers"
  | "underscoresInHeaders"
  | "ignoreInvalidHeaders"
  | "maxHeaders"
>;

/** The client-connection settings of a block, as the model's `Config` and the HTTP/1 server carry them. */
export function clientLimitsOf(s: Settings): ClientLimits {
  return {
    mergeSlashes: s.mergeSlashes,
    clientHeaderTimeoutMs: s.clientHeaderTimeoutMs,
    keepaliveTimeoutMs: s.keepaliveTimeoutMs,
    keepaliveRequests: s.keepaliveRequests,
    sendTimeoutMs: s.sendTimeoutMs,
    clientHeaderBufferSize: s.clientHeaderBufferSize,
    largeClientHeaderBuffers: s.largeClientHeaderBuffers,
    underscoresInHeaders: s.underscoresInHeaders,
    ignoreInvalidHeaders: s.ignoreInvalidHeaders,
    maxHeaders: s.maxHeaders,
  };
}
