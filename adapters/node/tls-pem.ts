import type { KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { nodeCrypto } from "./builtins.ts";
import { describeSystemError } from "./system-error.ts";

/**
 * The files TLS names (certificates, keys, CA lists, DH parameters, passwords), read and
 * checked as nginx reads them at load (`ngx_ssl_certificate()` and friends), so that a missing
 * or broken file fails `-t`, the start and a reload with nginx's line instead of a handshake.
 * Messages carry OpenSSL 3's words for the cases nginx users meet (the file is missing, it
 * holds no PEM block, the key does not match); otherwise the platform's own.
 */

/** A file that could not be used: `message` is nginx's whole `[emerg]` text. */
export class TlsFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsFileError";
  }
}

/** A certificate chain and its key, decrypted, ready for a secure context. */
export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
  /** The leaf certificate, for `$ssl_*` facts and the key check. */
  readonly leaf: X509Certificate;
}

/** OpenSSL's queue for a file BIO_new_file() could not open, as nginx prints it. */
function fopenFailure(path: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const [errno, text] = describeSystemError(error).split(": ", 2) as [string, string | undefined];
  const sys = `error:${(0x80000000 + Number(errno)).toString(16).toUpperCase()}:system library::${text ?? errno}:calling fopen(${path}, r)`;
  return `${sys} ${code === "ENOENT" ? "error:10000080:BIO routines::no such file" : "error:10080002:BIO routines::system lib"}`;
}

/** A file's bytes as latin1 text, or nginx's BIO_new_file() failure. */
function readPemFile(path: string, describe: (detail: string) => string): string {
  try {
    return readFileSync(path, "latin1");
  } catch (error) {
    throw new TlsFileError(describe(fopenFailure(path, error)), { cause: error });
  }
}

const CERTIFICATE_BLOCK = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** Every certificate of a PEM text, in order. */
export function certificateBlocks(text: string): string[] {
  return text.match(CERTIFICATE_BLOCK) ?? [];
}

/** `ssl_certificate`: a chain whose first certificate is the server's (`PEM_read_bio_X509_AUX()`). */
export function readCertificate(path: string): { readonly pem: string; readonly leaf: X509Certificate } {
  const what = `cannot load certificate "${path}"`;
  const text = readPemFile(path, (detail) => `${what}: BIO_new_file() failed (SSL: ${detail})`);
  const blocks = certificateBlocks(text);
  if (blocks.length === 0) {
    throw new TlsFileError(
      `${what}: PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`,
    );
  }
  try {
    return { pem: blocks.join("\n"), leaf: new (nodeCrypto().X509Certificate)(blocks[0] as string) };
  } catch (error) {
    throw new TlsFileError(`${what}: PEM_read_bio_X509_AUX() failed (SSL: ${opensslText(error)})`, { cause: error });
  }
}

/**
 * `ssl_certificate_key`: a private key, decrypted with the first of `passwords` that opens it
 * (`ssl_password_file`), exported unencrypted for the platform's secure context.
 */
export function readPrivateKey(path: string, passwords: readonly string[]): KeyObject {
  const what = `cannot load certificate key "${path}"`;
  const text = readPemFile(path, (detail) => `${what}: BIO_new_file() failed (SSL: ${detail})`);
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw new TlsFileError(
      `${what}: PEM_read_bio_PrivateKey() failed (SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM)`,
    );
  }
  let failure: unknown = null;
  for (const passphrase of passwords.length > 0 ? passwords : [""]) {
    try {
      return nodeCrypto().createPrivateKey({ key: text, format: "pem", passphrase });
    } catch (error) {
      failure = error;
    }
  }
  throw new TlsFileError(`${what}: PEM_read_bio_PrivateKey() failed (SSL: ${opensslText(failure)})`, { cause: failure });
}

/** A certificate with its key, or nginx's `SSL_CTX_use_PrivateKey()` failure when they do not belong together. */
export function readPair(certPath: string, keyPath: string, passwords: readonly string[]): CertificatePair {
  const { pem, leaf } = readCertificate(certPath);
  const key = readPrivateKey(keyPath, passwords);
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsFileError(
      `SSL_CTX_use_PrivateKey("${keyPath}") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)`,
    );
  }
  return { cert: pem, key: key.export({ type: "pkcs8", format: "pem" }) as string, leaf };
}

/**
 * `ssl_client_certificate`, `ssl_trusted_certificate`, `proxy_ssl_trusted_certificate`: CA
 * certificates (`SSL_CTX_load_verify_locations()`).
 */
export function readCaFile(path: string): string[] {
  const call = `SSL_CTX_load_verify_locations("${path}") failed`;
  const text = readPemFile(path, (detail) => `${call} (SSL: ${detail} error:05880002:x509 certificate routines::system lib)`);
  const blocks = certificateBlocks(text);
  if (blocks.length === 0) throw new TlsFileError(`${call} (SSL: error:05800088:x509 certificate routines::no certificate or crl found)`);
  return blocks;
}

/** `ssl_crl`: revocation lists (`X509_LOOKUP_load_file()`). */
export function readCrlFile(path: string): string {
  const call = `X509_LOOKUP_load_file("${path}") failed`;
  const text = readPemFile(path, (detail) => `${call} (SSL: ${detail} error:05880002:x509 certificate routines::system lib)`);
  if (!text.includes("-----BEGIN X509 CRL-----")) {
    throw new TlsFileError(`${call} (SSL: error:05800088:x509 certificate routines::no certificate or crl found)`);
  }
  return text;
}

/** `ssl_dhparam` (`PEM_read_bio_DHparams()`). */
export function readDhparam(path: string): string {
  const text = readPemFile(path, (detail) => `BIO_new_file("${path}") failed (SSL: ${detail})`);
  if (!text.includes("-----BEGIN DH PARAMETERS-----")) {
    throw new TlsFileError(
      `PEM_read_bio_DHparams("${path}") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)`,
    );
  }
  return text;
}

/** `ssl_password_file`: one passphrase a line (`ngx_ssl_read_password_file()`), read when the directive is. */
export function readPasswordFile(path: string, at: { readonly file: string; readonly line: number }): string[] {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch (error) {
    throw new TlsFileError(`open() "${resolve(path)}" failed (${describeSystemError(error)}) in ${at.file}:${at.line}`, { cause: error });
  }
  return text
    .split("\n")
    .map((line) => line.replace(/\r$/, ""))
    .filter((line) => line !== "");
}

/** `ssl_session_ticket_key`: 48 or 80 bytes of key material. */
export function readTicketKey(path: string, at: { readonly file: string; readonly line: number }): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TlsFileError(`open() "${resolve(path)}" failed (${describeSystemError(error)}) in ${at.file}:${at.line}`, { cause: error });
  }
  if (bytes.length !== 48 && bytes.length !== 80) throw new TlsFileError(`"${path}" must be 48 or 80 bytes in ${at.file}:${at.line}`);
  return bytes;
}

/** An OpenSSL error as nginx's `(SSL: ...)` shows it: the platform's `error:...` text, else its message. */
export function opensslText(error: unknown): string {
  const e = error as { message?: unknown; opensslErrorStack?: unknown };
  const stack = Array.isArray(e?.opensslErrorStack) ? (e.opensslErrorStack as string[]) : [];
  const message = typeof e?.message === "string" ? e.message : String(error);
  return [...stack, message].join(" ");
}
