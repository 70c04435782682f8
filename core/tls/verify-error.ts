import type { VerifyClient } from "../config/modules/ssl.ts";
import type { ClientVerify } from "./tls-facts.ts";

/**
 * OpenSSL's certificate verification errors by the code names Node and Bun report
 * (`authorizationError`), with the number and text nginx logs and puts in
 * `$ssl_client_verify` (`X509_verify_cert_error_string()`, OpenSSL 3's wording).
 */
const VERIFY_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  UNABLE_TO_GET_ISSUER_CERT: [2, "unable to get issuer certificate"],
  UNABLE_TO_GET_CRL: [3, "unable to get certificate CRL"],
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: [4, "unable to decrypt certificate's signature"],
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: [5, "unable to decrypt CRL's signature"],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [6, "unable to decode issuer public key"],
  CERT_SIGNATURE_FAILURE: [7, "certificate signature failure"],
  CRL_SIGNATURE_FAILURE: [8, "CRL signature failure"],
  CERT_NOT_YET_VALID: [9, "certificate is not yet valid"],
  CERT_HAS_EXPIRED: [10, "certificate has expired"],
  CRL_NOT_YET_VALID: [11, "CRL is not yet valid"],
  CRL_HAS_EXPIRED: [12, "CRL has expired"],
  ERROR_IN_CERT_NOT_BEFORE_FIELD: [13, "format error in certificate's notBefore field"],
  ERROR_IN_CERT_NOT_AFTER_FIELD: [14, "format error in certificate's notAfter field"],
  ERROR_IN_CRL_LAST_UPDATE_FIELD: [15, "format error in CRL's lastUpdate field"],
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: [16, "format error in CRL's nextUpdate field"],
  OUT_OF_MEM: [17, "out of memory"],
  DEPTH_ZERO_SELF_SIGNED_CERT: [18, "self-signed certificate"],
  SELF_SIGNED_CERT_IN_CHAIN: [19, "self-signed certificate in certificate chain"],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [20, "unable to get local issuer certificate"],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [21, "unable to verify the first certificate"],
  CERT_CHAIN_TOO_LONG: [22, "certificate chain too long"],
  CERT_REVOKED: [23, "certificate revoked"],
  INVALID_CA: [24, "invalid CA certificate"],
  PATH_LENGTH_EXCEEDED: [25, "path length constraint exceeded"],
  INVALID_PURPOSE: [26, "unsupported certificate purpose"],
  CERT_UNTRUSTED: [27, "certificate not trusted"],
  CERT_REJECTED: [28, "certificate rejected"],
};

/** Errors `ssl_verify_client optional_no_ca` lets through (`ngx_ssl_verify_error_optional()`). */
const OPTIONAL_NO_CA = new Set([18, 19, 2, 20, 27, 21]);

/**
 * nginx's verdict on a client certificate: the platform's verification (`authorizationError`
 * null when it verified), then the intermediates against `ssl_verify_depth` (OpenSSL's depth:
 * 0 allows none between the certificate and its trusted CA, 1 allows one).
 */
export function clientVerifyOf(
  hasCertificate: boolean,
  authorizationError: string | null,
  intermediates: number,
  depth: number,
): ClientVerify {
  if (!hasCertificate) return { kind: "none" };
  if (authorizationError !== null) {
    const [code, reason] = VERIFY_ERRORS[authorizationError] ?? [1, authorizationError];
    return { kind: "failed", code, reason };
  }
  if (intermediates > depth) return { kind: "failed", code: 22, reason: "certificate chain too long" };
  return { kind: "success" };
}

/** Whether a failed verification still passes under `ssl_verify_client` (only `optional_no_ca`'s errors). */
export function isVerifyFailureAllowed(mode: VerifyClient, verify: ClientVerify): boolean {
  return verify.kind !== "failed" || (mode === "optional_no_ca" && OPTIONAL_NO_CA.has(verify.code));
}

/** A verification error as nginx logs it: `20:unable to get local issuer certificate`. */
export function describeVerifyError(code: string): string {
  const [number, reason] = VERIFY_ERRORS[code] ?? [1, code];
  return `${number}:${reason}`;
}
