import type { X509Certificate } from "node:crypto";
import type tls from "node:tls";
import type { PeerCertificate } from "node:tls";
import {
  type Config,
  describeVerifyError,
  type Location,
  type ProxySslSettings,
  proxiesOverTls,
  proxySslKey,
  type TlsOptions,
} from "../../core/index.ts";
import { nodeCrypto, nodeTls } from "./builtins.ts";
import { cipherList, confPath, protocolOptions, secureContext } from "./server-tls.ts";
import { intermediates } from "./socket-tls-facts.ts";
import { readCaFile, readCrlFile, readPair, readPasswordFile } from "./tls-pem.ts";

/** A location's upstream TLS, loaded: what its handshakes to upstreams present and trust. */
export interface UpstreamTls {
  /** Options for the platform's client (PEM texts): CAs, client certificate, protocols, ciphers. */
  readonly options: tls.SecureContextOptions;
  readonly secureContext: tls.SecureContext;
  /** `proxy_ssl_trusted_certificate`, parsed, for `proxy_ssl_verify_depth`. */
  readonly trusted: readonly X509Certificate[];
  readonly depth: number;
}

const loaded = new WeakMap<ProxySslSettings, UpstreamTls>();
const byContent = new Map<string, UpstreamTls>();

/**
 * The upstream TLS of a location's settings, loaded once (`ngx_http_proxy_set_ssl()`): the
 * files are read at config load for every location that proxies over TLS, so -t, the start and
 * a reload fail with nginx's line; a config not loaded from a file (the Hono middleware) loads
 * them on its first TLS connection, relative to the working directory.
 */
export function upstreamTlsOf(settings: ProxySslSettings, confPrefix = ""): UpstreamTls {
  let found = loaded.get(settings);
  if (!found) {
    const key = `${confPrefix}\n${proxySslKey(settings)}`;
    found = byContent.get(key) ?? load(settings, confPrefix);
    byContent.set(key, found);
    loaded.set(settings, found);
  }
  return found;
}

/** Loads the upstream TLS of every location of `config` that proxies to `https://`. */
export function loadUpstreamTls(config: Config): void {
  const visit = (location: Location) => {
    if (location.proxy && proxiesOverTls(location.proxy)) upstreamTlsOf(location.settings, config.confPrefix);
    location.children.forEach(visit);
  };
  for (const server of config.servers) server.locations.forEach(visit);
}

function load(s: ProxySslSettings, confPrefix: string): UpstreamTls {
  const path = (p: string) => confPath(confPrefix, p);
  const passwords = s.proxySslPasswordFile ? readPasswordFile(path(s.proxySslPasswordFile.path), s.proxySslPasswordFile.at) : [];
  const pair =
    s.proxySslCertificate && s.proxySslCertificateKey
      ? readPair(path(s.proxySslCertificate.path), path(s.proxySslCertificateKey.path), passwords)
      : null;
  const cas = s.proxySslTrustedCertificate ? readCaFile(path(s.proxySslTrustedCertificate.path)) : [];
  const options: tls.SecureContextOptions = {
    ...protocolOptions(s.proxySslProtocols, s.proxySslCiphers),
    ciphers: cipherList(s.proxySslCiphers),
    // nginx trusts no system store: without proxy_ssl_trusted_certificate nothing verifies.
    ca: cas,
    ...(pair ? { cert: pair.cert, key: pair.key } : {}),
    ...(s.proxySslCrl ? { crl: readCrlFile(path(s.proxySslCrl.path)) } : {}),
  };
  return {
    options,
    secureContext: secureContext(options, s.proxySslCiphers, "auto"),
    trusted: cas.map((pem) => new (nodeCrypto().X509Certificate)(pem)),
    depth: s.proxySslVerifyDepth,
  };
}

/**
 * nginx's verdict on an upstream's certificate once the handshake is done
 * (`ngx_ssl_check_host()`, `SSL_get_verify_result()`): null when it passes or nothing is
 * verified, else the error-log detail.
 */
export function upstreamVerifyFailure(
  options: TlsOptions,
  upstream: UpstreamTls,
  authorizationError: string | null,
  peer: PeerCertificate | null,
  leaf: X509Certificate | undefined,
): string | null {
  if (!options.verify) return null;
  if (authorizationError !== null) return `upstream SSL certificate verify error: (${describeVerifyError(authorizationError)})`;
  if (!peer || !leaf) return "upstream sent no SSL certificate";
  if (intermediates(leaf, upstream.trusted) > upstream.depth) {
    return `upstream SSL certificate verify error: (${describeVerifyError("CERT_CHAIN_TOO_LONG")})`;
  }
  if (nodeTls().checkServerIdentity(options.name, peer) !== undefined) return `upstream SSL certificate does not match "${options.name}"`;
  return null;
}
