import type { X509Certificate } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import type tls from "node:tls";
import type { Config, Server, Settings, TlsProtocol } from "../../core/index.ts";
import { nodeCrypto, nodeTls } from "./builtins.ts";
import {
  type CertificatePair,
  opensslText,
  readCaFile,
  readCrlFile,
  readDhparam,
  readPair,
  readPasswordFile,
  readTicketKey,
  TlsFileError,
} from "./tls-pem.ts";

/** One server's TLS, loaded: what a handshake that picks the server gets. */
export interface ServerTls {
  /** Its certificates and settings; null when the certificate paths have variables (made per handshake). */
  readonly context: tls.SecureContext | null;
  /** The options `context` was made from (a listener's default certificate is set from them); without certificates when those have variables. */
  readonly options: tls.SecureContextOptions;
  /** The context for a handshake, by SNI name: `context`, or one made from paths with variables. */
  readonly contextFor: (serverName: string) => tls.SecureContext;
  /** `ssl_verify_client` other than off: the handshake asks for a certificate. */
  readonly requestsCertificate: boolean;
  readonly verifyDepth: number;
  /** The CA certificates clients are verified against. */
  readonly trusted: readonly X509Certificate[];
  /** `ssl_reject_handshake on`. */
  readonly rejectsHandshake: boolean;
}

/** TLS 1.3 suites OpenSSL enables by default, which `ssl_ciphers` leaves alone (it sets TLS 1.2's list only). */
const TLS13_DEFAULT_SUITES = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

const VERSIONS: readonly TlsProtocol[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/** Bun's node:tls is BoringSSL, which has no security levels. */
const IS_BORINGSSL = (process.versions as Record<string, string | undefined>).boringssl !== undefined;
/** The option that turns one version off, in the platform's own numbering (OpenSSL's or BoringSSL's). */
function noVersion(version: TlsProtocol): number {
  const c = nodeCrypto().constants;
  const options: Partial<Record<TlsProtocol, number>> = {
    TLSv1: c.SSL_OP_NO_TLSv1,
    "TLSv1.1": c.SSL_OP_NO_TLSv1_1,
    "TLSv1.2": c.SSL_OP_NO_TLSv1_2,
    "TLSv1.3": c.SSL_OP_NO_TLSv1_3,
  };
  return options[version] ?? 0;
}

/**
 * `ssl_protocols` as the platform takes it: the lowest and highest listed version, and the ones
 * between them that are not listed turned off (SSLv2 and SSLv3 are gone from OpenSSL 3).
 */
export function protocolOptions(
  listed: readonly TlsProtocol[],
  ciphers: string,
): Pick<tls.SecureContextOptions, "minVersion" | "maxVersion" | "secureOptions"> {
  // OpenSSL 3's default security level refuses TLSv1 and TLSv1.1 (their handshakes sign with
  // SHA-1), so nginx's default list ends up TLSv1.2 only; BoringSSL has no levels: hold it there too.
  const floor = IS_BORINGSSL && !ciphers.includes("@SECLEVEL=0") ? 2 : 0;
  const on = VERSIONS.filter((v, i) => listed.includes(v) && i >= floor);
  if (on.length === 0) return { minVersion: "TLSv1.3", maxVersion: "TLSv1.3", secureOptions: noVersion("TLSv1.3") };
  const low = VERSIONS.indexOf(on[0] as TlsProtocol);
  const high = VERSIONS.indexOf(on[on.length - 1] as TlsProtocol);
  let secureOptions = 0;
  for (const v of VERSIONS.slice(low, high + 1)) if (!on.includes(v)) secureOptions |= noVersion(v);
  return { minVersion: VERSIONS[low] as tls.SecureVersion, maxVersion: VERSIONS[high] as tls.SecureVersion, secureOptions };
}

/**
 * `ssl_ciphers` for a platform that reads TLS 1.3 suites from the same string: nginx's list
 * sets TLS 1.2 and below only, so OpenSSL's TLS 1.3 defaults are kept beside it (Node would
 * otherwise cap the protocol at TLS 1.2).
 */
export function cipherList(ciphers: string): string {
  return /(^|:)TLS_/.test(ciphers) ? ciphers : `${ciphers}:${TLS13_DEFAULT_SUITES}`;
}

/** A path as nginx takes it: relative ones from the conf prefix (the main file's directory). */
export function confPath(confPrefix: string, path: string): string {
  return isAbsolute(path) || confPrefix === "" ? path : resolve(confPrefix, path);
}

/**
 * The TLS of a config's servers, loaded once per config as nginx loads it at config time
 * (`ngx_http_ssl_merge_srv_conf()`): every server with TLS of its own, its certificates, keys
 * (decrypted with `ssl_password_file`), CAs, CRL, DH parameters and ticket keys read and
 * checked; servers that inherit the same settings share one context. Throws `TlsFileError`
 * with nginx's message.
 */
export class ServerTlsSet {
  readonly #byServer = new Map<Server, ServerTls>();

  constructor(config: Config) {
    const shared = new Map<string, ServerTls>();
    for (const server of config.servers) {
      const s = server.settings;
      if (s.sslCertificates.length === 0 && s.sslEnable === null && !s.sslRejectHandshake) continue;
      const key = settingsKey(s);
      let loaded = shared.get(key);
      if (!loaded) {
        loaded = loadServerTls(config, s);
        shared.set(key, loaded);
      }
      this.#byServer.set(server, loaded);
    }
  }

  /** The server's TLS; null when it has none of its own (a handshake then keeps the default server's). */
  of(server: Server): ServerTls | null {
    return this.#byServer.get(server) ?? null;
  }
}

const loadedSets = new WeakMap<Config, ServerTlsSet>();

/** The config's server TLS, loaded on first use: at config load (so -t and a reload fail with nginx's line), then by the listener. */
export function serverTlsOf(config: Config): ServerTlsSet {
  let set = loadedSets.get(config);
  if (!set) {
    set = new ServerTlsSet(config);
    loadedSets.set(config, set);
  }
  return set;
}

/** The settings that make one server's TLS what it is: servers equal in these share a context. */
function settingsKey(s: Settings): string {
  return JSON.stringify([
    s.sslCertificates.map((c) => c.path.text),
    s.sslCertificateKeys.map((c) => c.path.text),
    s.sslPasswordFile?.path,
    s.sslProtocols,
    s.sslCiphers,
    s.sslPreferServerCiphers,
    s.sslEcdhCurve,
    s.sslDhparam?.path,
    s.sslSessionTimeoutSec,
    s.sslSessionTickets,
    s.sslSessionTicketKeys.map((k) => k.path),
    s.sslVerifyClient,
    s.sslVerifyDepth,
    s.sslClientCertificate?.path,
    s.sslTrustedCertificate?.path,
    s.sslCrl?.path,
    s.sslRejectHandshake,
  ]);
}

/** Loads one server's TLS in nginx's order: certificates, ciphers, CAs, CRL, DH parameters, curve, ticket keys. */
function loadServerTls(config: Config, s: Settings): ServerTls {
  const path = (p: string) => confPath(config.confPrefix, p);
  const passwords = s.sslPasswordFile ? readPasswordFile(path(s.sslPasswordFile.path), s.sslPasswordFile.at) : [];
  const isStatic = s.sslCertificates.every((c) => c.path.isConstant) && s.sslCertificateKeys.every((c) => c.path.isConstant);
  const pairs = isStatic
    ? s.sslCertificates.map((c, i) =>
        readPair(path(c.path.literal), path((s.sslCertificateKeys[i] as { path: { literal: string } }).path.literal), passwords),
      )
    : [];
  const verifies = s.sslVerifyClient !== "off";
  const cas = [
    ...(verifies && s.sslClientCertificate ? readCaFile(path(s.sslClientCertificate.path)) : []),
    ...(s.sslTrustedCertificate ? readCaFile(path(s.sslTrustedCertificate.path)) : []),
  ];
  const options: tls.SecureContextOptions = {
    ...protocolOptions(s.sslProtocols, s.sslCiphers),
    ciphers: cipherList(s.sslCiphers),
    honorCipherOrder: s.sslPreferServerCiphers,
    ecdhCurve: s.sslEcdhCurve,
    sessionTimeout: s.sslSessionTimeoutSec,
    // A session is only resumed by the server that made it, with or without client certificates.
    sessionIdContext: nodeCrypto().createHash("sha1").update(settingsKey(s)).digest("hex").slice(0, 32),
    ...(cas.length > 0 ? { ca: cas } : {}),
    ...(s.sslCrl ? { crl: readCrlFile(path(s.sslCrl.path)) } : {}),
    ...(s.sslDhparam ? { dhparam: readDhparam(path(s.sslDhparam.path)) } : {}),
  };
  if (!s.sslSessionTickets) options.secureOptions = (options.secureOptions ?? 0) | nodeCrypto().constants.SSL_OP_NO_TICKET;
  const ticketKey = s.sslSessionTicketKeys[0];
  if (ticketKey) options.ticketKeys = firstTicketKey(readTicketKey(path(ticketKey.path), ticketKey.at), ticketKey);
  const context = isStatic ? makeContext(options, pairs, s) : null;
  return {
    context,
    options: withPairs(options, pairs),
    contextFor: context ? () => context : (serverName) => makeContext(options, dynamicPairs(config, s, passwords, serverName), s),
    requestsCertificate: verifies,
    verifyDepth: s.sslVerifyDepth,
    trusted: cas.map((pem) => new (nodeCrypto().X509Certificate)(pem)),
    rejectsHandshake: s.sslRejectHandshake,
  };
}

/** A platform context with the certificate pairs; its own errors worded as nginx's. */
function makeContext(options: tls.SecureContextOptions, pairs: readonly CertificatePair[], s: Settings): tls.SecureContext {
  return secureContext(withPairs(options, pairs), s.sslCiphers, s.sslEcdhCurve);
}

/** `tls.createSecureContext()`, its failures worded as nginx's for the cipher list and the curve it was given. */
export function secureContext(options: tls.SecureContextOptions, ciphers: string, curve: string): tls.SecureContext {
  try {
    return nodeTls().createSecureContext(options);
  } catch (error) {
    const text = opensslText(error);
    if (/cipher/i.test(text)) throw new TlsFileError(`SSL_CTX_set_cipher_list("${ciphers}") failed (SSL: ${text})`, { cause: error });
    if (/ECDH curve/i.test(text)) {
      throw new TlsFileError(
        `SSL_CTX_set1_curves_list("${curve}") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group '${curve}' cannot be set)`,
        { cause: error },
      );
    }
    throw new TlsFileError(`SSL_CTX_new() failed (SSL: ${text})`, { cause: error });
  }
}

/**
 * Several pairs (RSA and ECDSA): a handshake on the context picks the one the client's
 * ciphers and signature algorithms allow. Listed last to first, because node:tls gives a
 * handshake that switched to this context by SNI only its last pair: the first one written.
 */
function withPairs(options: tls.SecureContextOptions, pairs: readonly CertificatePair[]): tls.SecureContextOptions {
  const ordered = [...pairs].reverse();
  return pairs.length > 0 ? { ...options, cert: ordered.map((p) => p.cert), key: ordered.map((p) => p.key) } : options;
}

/** Certificate paths with variables, for one handshake: nginx loads them per handshake, as here. */
function dynamicPairs(config: Config, s: Settings, passwords: readonly string[], serverName: string): CertificatePair[] {
  const render = (text: string) => text.replace(/\$\{?ssl_server_name\}?/gi, serverName);
  return s.sslCertificates.map((c, i) =>
    readPair(
      confPath(config.confPrefix, render(c.path.text)),
      confPath(config.confPrefix, render((s.sslCertificateKeys[i] as { path: { text: string } }).path.text)),
      passwords,
    ),
  );
}

/** Node takes 48-byte ticket keys (name, HMAC and AES key, as nginx's 48-byte files); nginx's 80-byte ones are AES-256. */
function firstTicketKey(
  bytes: Buffer,
  at: { readonly path: string; readonly at: { readonly file: string; readonly line: number } },
): Buffer {
  if (bytes.length === 48) return bytes;
  throw new TlsFileError(`"${at.path}": 80-byte ticket keys are not supported by edgeproxy in ${at.at.file}:${at.at.line}`);
}
