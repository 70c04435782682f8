/**
 * What a client's TLS connection is, as the platform's socket tells it: the facts nginx's
 * `$ssl_*` variables and its certificate checks read (`ngx_event_openssl.c`, the
 * `ngx_ssl_get_*()` functions). An adapter fills them in once per connection, lazily where
 * reading them costs (a certificate is parsed only when a variable asks).
 */
export interface TlsFacts {
  /** `TLSv1.2`, `TLSv1.3`. */
  readonly protocol: string;
  /** OpenSSL's name: `ECDHE-RSA-AES128-GCM-SHA256`, `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The SNI name the client sent, lower-cased; "" without one. */
  readonly serverName: string;
  /** The protocol ALPN chose; "" without one. */
  readonly alpn: string;
  readonly sessionReused: boolean;
  /** The session's id in hex; "" when the platform does not tell it. */
  readonly sessionId: string;
  /** What verifying the client's certificate found (`SSL_get_verify_result()`). */
  readonly clientVerify: ClientVerify;
  /** The client's certificate, when it sent one. */
  readonly clientCertificate: ClientCertificate | null;
}

/** nginx's `$ssl_client_verify`: `NONE`, `SUCCESS`, or `FAILED:reason` with OpenSSL's verify error. */
export type ClientVerify =
  | { readonly kind: "none" }
  | { readonly kind: "success" }
  | { readonly kind: "failed"; readonly code: number; readonly reason: string };

/** A client certificate as the platform parsed it. */
export interface ClientCertificate {
  /** The certificate in PEM, with its `-----BEGIN` and `-----END` lines. */
  readonly pem: string;
  /** The subject as OpenSSL's one-entry-a-line form, most general first (`C=US\nCN=client`). */
  readonly subject: string;
  readonly issuer: string;
  /** Hex, upper-case, as nginx's `$ssl_client_serial`. */
  readonly serialNumber: string;
  /** SHA-1 of the DER, hex, lower-case, as nginx's `$ssl_client_fingerprint`. */
  readonly fingerprint: string;
  /** `Nov 28 19:35:47 2026 GMT`, OpenSSL's `ASN1_TIME_print()` form. */
  readonly validFrom: string;
  readonly validTo: string;
  /** The end of validity, ms since the epoch. */
  readonly validToMs: number;
}
