/**
 * TLS for client connections: nginx's `ngx_http_ssl_module` directives (http and server
 * levels), what each writes, and the checks nginx makes once a server's settings are merged
 * (`ngx_http_ssl_merge_srv_conf()`, `ngx_http_ssl_init()`). Loading the files they name is the
 * platform's (adapters/node/server-tls.ts, tls-pem.ts); here is only what can be decided from the text.
 */
import { compileTemplate, type Template } from "../../shape/template.ts";
import { type DirectiveSpec, HS, ignored, list, type Setter, single } from "../directive-spec.ts";
import { ConfigError, type SourceLocation } from "../errors.ts";
import type { Directive } from "../parse.ts";
import { parseFlag, parseNumber, parseSize, parseTimeMs } from "../values.ts";

/** The protocol names `ssl_protocols` takes. */
export type TlsProtocol = "SSLv2" | "SSLv3" | "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** `ssl_verify_client`. */
export type VerifyClient = "off" | "on" | "optional" | "optional_no_ca";

/** A file a directive names, and where, for the messages of loading it. */
export interface ConfigPath {
  readonly path: string;
  readonly at: SourceLocation;
}

/** `ssl_certificate` / `ssl_certificate_key`: a path that may hold variables (`$ssl_server_name`). */
export interface CertificatePath {
  readonly path: Template;
  readonly at: SourceLocation;
}

/**
 * `ssl_session_cache`: `off` refuses resumption, `none` (the default) lets clients try without
 * keeping sessions, otherwise a cache of sessions (`builtin[:N]`, `shared:NAME:SIZE`).
 */
export type SessionCache =
  | { readonly kind: "off" }
  | { readonly kind: "none" }
  | { readonly kind: "cache"; readonly sessions: number; readonly sharedName: string | null };

/** The client-side TLS settings of a block: fields of `Settings`, merged one by one as nginx merges them. */
export interface ServerTlsSettings {
  /** `ssl on` (deprecated): the server's addresses handshake first when it is their default server. */
  readonly sslEnable: SourceLocation | null;
  readonly sslCertificates: readonly CertificatePath[];
  readonly sslCertificateKeys: readonly CertificatePath[];
  /** `ssl_password_file`: passphrases for encrypted keys, tried in order. */
  readonly sslPasswordFile: ConfigPath | null;
  /** Default `TLSv1 TLSv1.1 TLSv1.2`: nginx 1.22 (TLSv1.3 joins in 1.23.4). */
  readonly sslProtocols: readonly TlsProtocol[];
  /** OpenSSL's cipher list for TLSv1.2 and below; default `HIGH:!aNULL:!MD5`. */
  readonly sslCiphers: string;
  readonly sslPreferServerCiphers: boolean;
  /** Default `auto`. */
  readonly sslEcdhCurve: string;
  readonly sslDhparam: ConfigPath | null;
  readonly sslSessionCache: SessionCache;
  /** Default 5m. */
  readonly sslSessionTimeoutSec: number;
  readonly sslSessionTickets: boolean;
  /** `ssl_session_ticket_key` files: the first encrypts, all decrypt. */
  readonly sslSessionTicketKeys: readonly ConfigPath[];
  readonly sslVerifyClient: VerifyClient;
  /** Default 1. */
  readonly sslVerifyDepth: number;
  readonly sslClientCertificate: ConfigPath | null;
  readonly sslTrustedCertificate: ConfigPath | null;
  readonly sslCrl: ConfigPath | null;
  /** `ssl_reject_handshake on`: a handshake that picks this server is refused. */
  readonly sslRejectHandshake: boolean;
  /** `ssl_stapling`, `ssl_early_data`: accepted, not applied (README, TLS). */
  readonly sslStapling: boolean;
  readonly sslEarlyData: boolean;
}

/** nginx 1.22's defaults (`ngx_http_ssl_merge_srv_conf()`). */
export const DEFAULT_SERVER_TLS: ServerTlsSettings = {
  sslEnable: null,
  sslCertificates: [],
  sslCertificateKeys: [],
  sslPasswordFile: null,
  sslProtocols: ["TLSv1", "TLSv1.1", "TLSv1.2"],
  sslCiphers: "HIGH:!aNULL:!MD5",
  sslPreferServerCiphers: false,
  sslEcdhCurve: "auto",
  sslDhparam: null,
  sslSessionCache: { kind: "none" },
  sslSessionTimeoutSec: 300,
  sslSessionTickets: true,
  sslSessionTicketKeys: [],
  sslVerifyClient: "off",
  sslVerifyDepth: 1,
  sslClientCertificate: null,
  sslTrustedCertificate: null,
  sslCrl: null,
  sslRejectHandshake: false,
  sslStapling: false,
  sslEarlyData: false,
};

const PROTOCOLS: ReadonlySet<string> = new Set(["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
const VERIFY: ReadonlySet<string> = new Set(["off", "on", "optional", "optional_no_ca"]);

const arg0 = (d: Directive): string => d.args[0] as string;
const fail = (d: Directive, reason: string): never => {
  throw new ConfigError("invalid-value", reason, d.at);
};
const path = (d: Directive): ConfigPath => ({ path: arg0(d), at: d.at });
/** ngx_conf_set_flag_slot's words. */
const flag = (d: Directive): boolean =>
  parseFlag(arg0(d)) ?? fail(d, `invalid value "${arg0(d)}" in "${d.name}" directive, it must be "on" or "off"`);
const once = (set: Setter): DirectiveSpec => single(HS, 1, 1, set);

/** ngx_http_ssl_module's directives (`ngx_http_ssl_commands`), each with what it writes. */
export const SSL_DIRECTIVES = {
  ssl: once((own, d, env) => {
    env.warn(`the "ssl" directive is deprecated, use the "listen ... ssl" directive instead in ${d.at.file}:${d.at.line}`);
    own.sslEnable = flag(d) ? d.at : null;
  }),
  ssl_certificate: list(HS, 1, 1, (own, d, env) => {
    own.sslCertificates = [...(own.sslCertificates ?? []), { path: compileTemplate(arg0(d), { scope: env.scope, at: d.at }), at: d.at }];
  }),
  ssl_certificate_key: list(HS, 1, 1, (own, d, env) => {
    own.sslCertificateKeys = [
      ...(own.sslCertificateKeys ?? []),
      { path: compileTemplate(arg0(d), { scope: env.scope, at: d.at }), at: d.at },
    ];
  }),
  ssl_password_file: once((own, d) => {
    own.sslPasswordFile = path(d);
  }),
  ssl_protocols: single(HS, 1, Number.POSITIVE_INFINITY, (own, d) => {
    for (const p of d.args) if (!PROTOCOLS.has(p)) fail(d, `invalid value "${p}"`);
    own.sslProtocols = d.args as TlsProtocol[];
  }),
  ssl_ciphers: once((own, d) => {
    own.sslCiphers = arg0(d);
  }),
  ssl_prefer_server_ciphers: once((own, d) => {
    own.sslPreferServerCiphers = flag(d);
  }),
  ssl_ecdh_curve: once((own, d) => {
    own.sslEcdhCurve = arg0(d);
  }),
  ssl_dhparam: once((own, d) => {
    own.sslDhparam = path(d);
  }),
  ssl_session_cache: single(HS, 1, 2, (own, d) => {
    own.sslSessionCache = sessionCache(d);
  }),
  ssl_session_timeout: once((own, d) => {
    const ms = parseTimeMs(arg0(d));
    own.sslSessionTimeoutSec = ms === null ? fail(d, `"ssl_session_timeout" directive invalid value`) : Math.floor(ms / 1000);
  }),
  ssl_session_tickets: once((own, d) => {
    own.sslSessionTickets = flag(d);
  }),
  ssl_session_ticket_key: list(HS, 1, 1, (own, d) => {
    own.sslSessionTicketKeys = [...(own.sslSessionTicketKeys ?? []), path(d)];
  }),
  ssl_verify_client: once((own, d) => {
    if (!VERIFY.has(arg0(d))) fail(d, `invalid value "${arg0(d)}"`);
    own.sslVerifyClient = arg0(d) as VerifyClient;
  }),
  ssl_verify_depth: once((own, d) => {
    own.sslVerifyDepth = parseNumber(arg0(d)) ?? fail(d, `"ssl_verify_depth" directive invalid number`);
  }),
  ssl_client_certificate: once((own, d) => {
    own.sslClientCertificate = path(d);
  }),
  ssl_trusted_certificate: once((own, d) => {
    own.sslTrustedCertificate = path(d);
  }),
  ssl_crl: once((own, d) => {
    own.sslCrl = path(d);
  }),
  ssl_reject_handshake: once((own, d) => {
    own.sslRejectHandshake = flag(d);
  }),
  ssl_stapling: once((own, d) => {
    own.sslStapling = flag(d);
  }),
  ssl_early_data: once((own, d) => {
    own.sslEarlyData = flag(d);
  }),
  // Tuning and OCSP lines: accepted so that real configs load, not applied (README, TLS).
  ssl_buffer_size: ignored(HS, 1, 1),
  ssl_stapling_file: ignored(HS, 1, 1),
  ssl_stapling_responder: ignored(HS, 1, 1),
  ssl_stapling_verify: ignored(HS, 1, 1),
  ssl_ocsp: ignored(HS, 1, 1),
  ssl_ocsp_responder: ignored(HS, 1, 1),
  ssl_ocsp_cache: ignored(HS, 1, 1),
  ssl_conf_command: ignored(HS, 2, 2, false),
} satisfies Record<string, DirectiveSpec>;

/** nginx's `builtin` default: 20480 sessions. */
const BUILTIN_SESSIONS = 20480;
/** A shared cache holds about 4000 sessions per megabyte (nginx's documentation). */
const SESSIONS_PER_BYTE = 4000 / (1024 * 1024);
/** The smallest shared zone: eight pages (`ngx_http_ssl_session_cache()`). */
const MIN_SHARED_BYTES = 8 * 4096;

/** `ssl_session_cache off | none | [builtin[:size]] [shared:name:size]` (`ngx_http_ssl_session_cache()`). */
function sessionCache(d: Directive): SessionCache {
  let cache: SessionCache | null = null;
  let sessions = 0;
  let sharedName: string | null = null;
  for (const a of d.args) {
    const bad = () => fail(d, `invalid session cache "${a}"`);
    if (a === "off") cache = { kind: "off" };
    else if (a === "none") cache = { kind: "none" };
    else if (a === "builtin") sessions = Math.max(sessions, BUILTIN_SESSIONS);
    else if (a.startsWith("builtin:")) sessions = Math.max(sessions, parseNumber(a.slice(8)) || bad());
    else if (a.startsWith("shared:")) {
      const colon = a.indexOf(":", 7);
      if (colon <= 7) bad();
      const bytes = parseSize(a.slice(colon + 1)) ?? bad();
      if (bytes < MIN_SHARED_BYTES) fail(d, `session cache "${a}" is too small`);
      sharedName = a.slice(7, colon);
      sessions = Math.max(sessions, Math.floor(bytes * SESSIONS_PER_BYTE));
    } else bad();
  }
  if (sessions > 0) return { kind: "cache", sessions, sharedName };
  return cache ?? { kind: "none" };
}

/**
 * The checks of one server's merged settings that need no file (`ngx_http_ssl_merge_srv_conf()`):
 * `ssl on` needs a certificate, every certificate a key, and verifying clients a CA file. A
 * server with no certificate and no `ssl on` has no TLS of its own and is not checked further.
 */
export function checkServerTls(s: ServerTlsSettings): void {
  const certificates = s.sslCertificates;
  if (certificates.length === 0) {
    if (s.sslEnable && !s.sslRejectHandshake) {
      const at = s.sslEnable;
      throw new ConfigError("invalid-value", `no "ssl_certificate" is defined for the "ssl" directive in ${at.file}:${at.line}`, null);
    }
    if (!s.sslEnable && !s.sslRejectHandshake) return;
  }
  if (s.sslCertificateKeys.length < certificates.length) {
    const last = certificates[certificates.length - 1] as CertificatePath;
    throw new ConfigError("invalid-value", `no "ssl_certificate_key" is defined for certificate "${last.path.text}"`, null);
  }
  if (s.sslVerifyClient !== "off" && s.sslVerifyClient !== "optional_no_ca" && s.sslClientCertificate === null) {
    throw new ConfigError("invalid-value", "no ssl_client_certificate for ssl_verify_client", null);
  }
}

/** The part of a server these checks read. */
interface ListeningServer {
  readonly at: SourceLocation;
  readonly listens: readonly { readonly key: string; readonly isDefault: boolean; readonly socket: { readonly ssl: boolean } }[];
  readonly settings: ServerTlsSettings;
}

/**
 * An address with `listen ... ssl` needs a certificate in its default server, the one that
 * answers a handshake without SNI (`ngx_http_ssl_init()`), which names where that server starts.
 */
export function checkListenCertificates(servers: readonly ListeningServer[]): void {
  const tls = new Set<string>();
  const defaults = new Map<string, ListeningServer>();
  for (const s of servers) {
    for (const l of s.listens) {
      if (l.socket.ssl) tls.add(l.key);
      if (l.isDefault || !defaults.has(l.key)) defaults.set(l.key, s);
    }
  }
  for (const key of tls) {
    const server = defaults.get(key) as ListeningServer;
    if (server.settings.sslCertificates.length > 0 || server.settings.sslRejectHandshake) continue;
    const at = server.at;
    throw new ConfigError(
      "invalid-value",
      `no "ssl_certificate" is defined for the "listen ... ssl" directive in ${at.file}:${at.line}`,
      null,
    );
  }
}
