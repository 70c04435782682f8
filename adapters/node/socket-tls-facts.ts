import type { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { type ClientCertificate, type ClientVerify, clientVerifyOf, type TlsFacts } from "../../core/index.ts";
import { nodeCrypto } from "./builtins.ts";

/**
 * The `$ssl_*` facts of a node:tls socket (Node's, or Bun's node:tls), read from the socket
 * when first asked and kept: a request that reads no `$ssl_*` variable parses no certificate.
 */
export class SocketTlsFacts implements TlsFacts {
  readonly #socket: TLSSocket;
  readonly #verifyDepth: number;
  readonly #trusted: readonly X509Certificate[];
  readonly serverName: string;
  readonly alpn: string;
  #protocol: string | null = null;
  #cipher: string | null = null;
  #sessionId: string | null = null;
  #verify: ClientVerify | null = null;
  #certificate: ClientCertificate | null | undefined;

  /** `trusted`: the CA certificates the server verifies clients against (`ssl_client_certificate`, `ssl_trusted_certificate`). */
  constructor(socket: TLSSocket, verifyDepth: number, trusted: readonly X509Certificate[]) {
    this.#socket = socket;
    this.#verifyDepth = verifyDepth;
    this.#trusted = trusted;
    const name = (socket as TLSSocket & { servername?: string | false }).servername;
    this.serverName = typeof name === "string" ? name.toLowerCase() : "";
    this.alpn = typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : "";
  }

  get protocol(): string {
    this.#protocol ??= this.#socket.getProtocol() ?? "";
    return this.#protocol;
  }

  get cipher(): string {
    this.#cipher ??= this.#socket.getCipher()?.name ?? "";
    return this.#cipher;
  }

  get sessionReused(): boolean {
    return this.#socket.isSessionReused();
  }

  get sessionId(): string {
    this.#sessionId ??= sessionIdOf(this.#socket.getSession());
    return this.#sessionId;
  }

  get clientVerify(): ClientVerify {
    if (this.#verify === null) {
      const error = this.#socket.authorizationError;
      const code =
        error === null || error === undefined
          ? null
          : typeof error === "string"
            ? error
            : ((error as { code?: string }).code ?? String(error));
      const leaf = this.#socket.getPeerX509Certificate();
      const passed = this.#socket.authorized ? null : code;
      this.#verify = clientVerifyOf(
        leaf !== undefined,
        passed,
        leaf && passed === null ? intermediates(leaf, this.#trusted) : 0,
        this.#verifyDepth,
      );
    }
    return this.#verify;
  }

  get clientCertificate(): ClientCertificate | null {
    if (this.#certificate === undefined) {
      const peer = this.#socket.getPeerCertificate() as { raw?: Buffer } | null;
      this.#certificate = peer?.raw ? certificateFacts(new (nodeCrypto().X509Certificate)(peer.raw)) : null;
    }
    return this.#certificate;
  }
}

/**
 * The intermediates between the client's certificate and the root that verified it: those the
 * server's CA files hold, walked up from the certificate's issuer, and one more when the
 * client sent its issuer itself (the platform does not give the chain it built past that).
 */
export function intermediates(leaf: X509Certificate, trusted: readonly X509Certificate[]): number {
  let count = 0;
  let cert = leaf;
  for (let hops = 0; hops < 16; hops++) {
    const issuer = trusted.find((ca) => cert.checkIssued(ca));
    if (!issuer) return count + 1;
    if (issuer.checkIssued(issuer)) return count;
    count++;
    cert = issuer;
  }
  return count;
}

function certificateFacts(x509: X509Certificate): ClientCertificate {
  return {
    pem: x509.toString(),
    subject: x509.subject,
    issuer: x509.issuer,
    serialNumber: x509.serialNumber.toUpperCase(),
    fingerprint: x509.fingerprint.replaceAll(":", "").toLowerCase(),
    validFrom: x509.validFrom,
    validTo: x509.validTo,
    validToMs: Date.parse(x509.validTo),
  };
}

/**
 * The session id inside a serialized session (`SSL_SESSION` in DER: a SEQUENCE of version,
 * protocol, cipher, then the id as an OCTET STRING), in hex as nginx's `$ssl_session_id`.
 */
function sessionIdOf(session: Buffer | undefined): string {
  if (session?.[0] !== 0x30) return "";
  let at = 1;
  at += lengthBytes(session, at);
  for (let field = 0; field < 4 && at < session.length; field++) {
    const tag = session[at] as number;
    const size = lengthOf(session, at + 1);
    const start = at + 1 + lengthBytes(session, at + 1);
    if (field === 3) return tag === 0x04 ? session.subarray(start, start + size).toString("hex") : "";
    at = start + size;
  }
  return "";
}

function lengthBytes(b: Buffer, at: number): number {
  const first = b[at] as number;
  return first < 0x80 ? 1 : 1 + (first & 0x7f);
}

function lengthOf(b: Buffer, at: number): number {
  const first = b[at] as number;
  if (first < 0x80) return first;
  let n = 0;
  for (let i = 1; i <= (first & 0x7f); i++) n = n * 256 + (b[at + i] as number);
  return n;
}
