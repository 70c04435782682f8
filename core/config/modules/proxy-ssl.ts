/**
 * TLS to upstreams beyond SNI and verification (settings.ts has `proxy_ssl_server_name`,
 * `proxy_ssl_name`, `proxy_ssl_verify`): the trusted CAs and depth, a client certificate,
 * protocols, ciphers and session reuse (`ngx_http_proxy_module.c`, docs/nginx-semantics.md 5.9).
 * The platform's dialer loads the files (adapters/node/upstream-tls.ts).
 */
import { type DirectiveSpec, HSL, ignored, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { Directive } from "../parse.ts";
import { parseFlag, parseNumber } from "../values.ts";
import type { ConfigPath, TlsProtocol } from "./ssl.ts";

/** The upstream TLS settings of a block: fields of `Settings`, merged one by one. */
export interface ProxySslSettings {
  readonly proxySslTrustedCertificate: ConfigPath | null;
  /** Default 1: the upstream's certificate is signed by a trusted CA directly or through one intermediate. */
  readonly proxySslVerifyDepth: number;
  readonly proxySslCertificate: ConfigPath | null;
  readonly proxySslCertificateKey: ConfigPath | null;
  readonly proxySslPasswordFile: ConfigPath | null;
  readonly proxySslCrl: ConfigPath | null;
  /** Default `TLSv1 TLSv1.1 TLSv1.2`, nginx 1.22's. */
  readonly proxySslProtocols: readonly TlsProtocol[];
  /** Default `DEFAULT`. */
  readonly proxySslCiphers: string;
  /** Default on: a new connection to a peer resumes the last session with it. */
  readonly proxySslSessionReuse: boolean;
}

export const DEFAULT_PROXY_SSL: ProxySslSettings = {
  proxySslTrustedCertificate: null,
  proxySslVerifyDepth: 1,
  proxySslCertificate: null,
  proxySslCertificateKey: null,
  proxySslPasswordFile: null,
  proxySslCrl: null,
  proxySslProtocols: ["TLSv1", "TLSv1.1", "TLSv1.2"],
  proxySslCiphers: "DEFAULT",
  proxySslSessionReuse: true,
};

const PROTOCOLS: ReadonlySet<string> = new Set(["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
const arg0 = (d: Directive): string => d.args[0] as string;
const path = (d: Directive): ConfigPath => ({ path: arg0(d), at: d.at });
const fail = (d: Directive, reason: string): never => {
  throw new ConfigError("invalid-value", reason, d.at);
};

/** ngx_http_proxy_module's `proxy_ssl_*` directives beyond SNI and verification. */
export const PROXY_SSL_DIRECTIVES = {
  proxy_ssl_trusted_certificate: single(HSL, 1, 1, (own, d) => {
    own.proxySslTrustedCertificate = path(d);
  }),
  proxy_ssl_verify_depth: single(HSL, 1, 1, (own, d) => {
    own.proxySslVerifyDepth = parseNumber(arg0(d)) ?? fail(d, `"proxy_ssl_verify_depth" directive invalid number`);
  }),
  proxy_ssl_certificate: single(HSL, 1, 1, (own, d) => {
    own.proxySslCertificate = path(d);
  }),
  proxy_ssl_certificate_key: single(HSL, 1, 1, (own, d) => {
    own.proxySslCertificateKey = path(d);
  }),
  proxy_ssl_password_file: single(HSL, 1, 1, (own, d) => {
    own.proxySslPasswordFile = path(d);
  }),
  proxy_ssl_crl: single(HSL, 1, 1, (own, d) => {
    own.proxySslCrl = path(d);
  }),
  proxy_ssl_protocols: single(HSL, 1, Number.POSITIVE_INFINITY, (own, d) => {
    for (const p of d.args) if (!PROTOCOLS.has(p)) fail(d, `invalid value "${p}"`);
    own.proxySslProtocols = d.args as TlsProtocol[];
  }),
  proxy_ssl_ciphers: single(HSL, 1, 1, (own, d) => {
    own.proxySslCiphers = arg0(d);
  }),
  proxy_ssl_session_reuse: single(HSL, 1, 1, (own, d) => {
    own.proxySslSessionReuse =
      parseFlag(arg0(d)) ?? fail(d, `invalid value "${arg0(d)}" in "proxy_ssl_session_reuse" directive, it must be "on" or "off"`);
  }),
  proxy_ssl_conf_command: ignored(HSL, 2, 2, false),
} satisfies Record<string, DirectiveSpec>;

/**
 * The checks nginx makes for a location that proxies over TLS (`ngx_http_proxy_set_ssl()`):
 * a client certificate needs its key, and verification needs CAs (nginx trusts no system store).
 */
export function checkProxySsl(s: ProxySslSettings & { readonly proxySslVerify: boolean }): void {
  if (s.proxySslCertificate && !s.proxySslCertificateKey) {
    throw new ConfigError(
      "invalid-value",
      `no "proxy_ssl_certificate_key" is defined for certificate "${s.proxySslCertificate.path}"`,
      null,
    );
  }
  if (s.proxySslVerify && !s.proxySslTrustedCertificate) {
    throw new ConfigError("invalid-value", "no proxy_ssl_trusted_certificate for proxy_ssl_verify", null);
  }
}

const keys = new WeakMap<ProxySslSettings, string>();

/** A string that is equal for equal upstream TLS settings: what a connection's reuse depends on. */
export function proxySslKey(s: ProxySslSettings): string {
  let key = keys.get(s);
  if (key === undefined) {
    key = JSON.stringify([
      s.proxySslTrustedCertificate?.path,
      s.proxySslVerifyDepth,
      s.proxySslCertificate?.path,
      s.proxySslCertificateKey?.path,
      s.proxySslPasswordFile?.path,
      s.proxySslCrl?.path,
      s.proxySslProtocols,
      s.proxySslCiphers,
    ]);
    keys.set(s, key);
  }
  return key;
}
