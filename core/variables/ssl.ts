import type { RequestContext } from "../shape/request-context.ts";
import type { VariableGetter } from "../shape/template.ts";
import { escapedPem, legacyName, remainingDays, rfc2253Name, tabbedPem } from "../tls/certificate-text.ts";
import type { ClientCertificate, TlsFacts } from "../tls/tls-facts.ts";

/**
 * nginx's `$ssl_*` variables (`ngx_http_ssl_module.c`), from the connection's TLS facts. On a
 * plain connection they are not found (empty, `-` in the access log), as in nginx.
 */
export const SSL_VARIABLES: Readonly<Record<string, VariableGetter>> = {
  ssl_protocol: fact((t) => t.protocol),
  ssl_cipher: fact((t) => t.cipher),
  ssl_server_name: fact((t) => t.serverName),
  ssl_alpn_protocol: fact((t) => t.alpn),
  ssl_session_id: fact((t) => t.sessionId),
  ssl_session_reused: fact((t) => (t.sessionReused ? "r" : ".")),
  ssl_early_data: () => "",
  // The client's offered ciphers and curves are not told by Node's or Bun's sockets.
  ssl_ciphers: () => "",
  ssl_curves: () => "",
  ssl_curve: () => "",
  ssl_client_verify: fact((t) => {
    const v = t.clientVerify;
    return v.kind === "none" ? "NONE" : v.kind === "success" ? "SUCCESS" : `FAILED:${v.reason}`;
  }),
  ssl_client_s_dn: certificate((c) => rfc2253Name(c.subject)),
  ssl_client_i_dn: certificate((c) => rfc2253Name(c.issuer)),
  ssl_client_s_dn_legacy: certificate((c) => legacyName(c.subject)),
  ssl_client_i_dn_legacy: certificate((c) => legacyName(c.issuer)),
  ssl_client_serial: certificate((c) => c.serialNumber),
  ssl_client_fingerprint: certificate((c) => c.fingerprint),
  ssl_client_raw_cert: certificate((c) => c.pem),
  ssl_client_cert: certificate((c) => tabbedPem(c.pem)),
  ssl_client_escaped_cert: certificate((c) => escapedPem(c.pem)),
  ssl_client_v_start: certificate((c) => c.validFrom),
  ssl_client_v_end: certificate((c) => c.validTo),
  ssl_client_v_remain: certificate((c, ctx) => remainingDays(c.validToMs, ctx.exchange.clock.now())),
};

function fact(read: (tls: TlsFacts) => string): VariableGetter {
  return (ctx) => {
    const tls = ctx.connection.tls;
    return tls ? read(tls) : "";
  };
}

function certificate(read: (cert: ClientCertificate, ctx: RequestContext) => string): VariableGetter {
  return (ctx) => {
    const cert = ctx.connection.tls?.clientCertificate;
    return cert ? read(cert, ctx) : "";
  };
}
