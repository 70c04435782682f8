import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { type ClientResponse, parseResponse } from "./client.ts";

/**
 * Certificates for the TLS tests, made with the system's `openssl` in a temp directory, so
 * nginx and edgeproxy load the very same files: a root CA and an intermediate, server
 * certificates for several names (RSA, and ECDSA beside RSA for one), client certificates
 * signed by the root, by the intermediate, and self-signed.
 */
export interface TestCertificates {
  readonly dir: string;
  /** The path of `name.crt` / `name.key` in `dir`. */
  path(name: string): string;
  /** The PEM text of `name.crt` (or any file of `dir`). */
  read(file: string): string;
  /** Makes another server certificate (signed by the root CA) for `cn`, as `name.crt` / `name.key`. */
  issue(name: string, cn: string, serial?: number): void;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** An EC P-256 key (fast to make), or RSA 2048 where a test needs RSA. */
function key(dir: string, name: string, kind: "ec" | "rsa"): void {
  if (kind === "rsa") openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}.key`]);
  else openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
}

function signed(dir: string, name: string, cn: string, issuer: string, extensions: string, serial: number): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", cn, "-out", `${name}.csr`]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${issuer}.crt`,
    "-CAkey",
    `${issuer}.key`,
    "-set_serial",
    String(serial),
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
}

const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
const serverExt = (dns: string) => `subjectAltName=DNS:${dns}\nextendedKeyUsage=serverAuth\n`;
const CLIENT_EXT = "extendedKeyUsage=clientAuth\n";

/** Makes the whole set (a second or two: a few RSA keys). */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "edgeproxy-tls-"));
  key(dir, "ca", "ec");
  openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/O=edgeproxy tests/CN=Test Root CA", "-days", "2", "-out", "ca.crt"]);
  key(dir, "inter", "ec");
  signed(dir, "inter", "/CN=Test Intermediate", "ca", CA_EXT, 2);
  let serial = 100;
  const server = (name: string, cn: string, kind: "ec" | "rsa") => {
    key(dir, name, kind);
    signed(dir, name, `/CN=${cn}`, "ca", serverExt(cn), serial++);
  };
  server("a", "a.test", "rsa");
  server("b", "b.test", "ec");
  server("wild", "*.wild.test", "ec");
  server("default", "default.test", "rsa");
  server("default-ec", "default.test", "ec");
  key(dir, "client", "ec");
  signed(dir, "client", "/C=DE/O=Edge Proxy, Tests/CN=client one", "ca", CLIENT_EXT, 200);
  key(dir, "client-inter", "ec");
  signed(dir, "client-inter", "/CN=client two", "inter", CLIENT_EXT, 201);
  writeFileSync(
    join(dir, "client-inter-chain.crt"),
    readFileSync(join(dir, "client-inter.crt"), "latin1") + readFileSync(join(dir, "inter.crt"), "latin1"),
  );
  key(dir, "self", "ec");
  openssl(dir, ["req", "-x509", "-new", "-key", "self.key", "-subj", "/CN=self signed", "-days", "2", "-out", "self.crt"]);
  return {
    dir,
    path: (name) => join(dir, name),
    read: (file) => readFileSync(join(dir, file), "latin1"),
    issue: (name, cn, s = serial++) => {
      key(dir, name, "ec");
      signed(dir, name, `/CN=${cn}`, "ca", serverExt(cn), s);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** How a TLS client connects: SNI, protocol bounds, ciphers, ALPN, a client certificate. */
export interface TlsClientOptions {
  readonly servername?: string;
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  readonly ciphers?: string;
  readonly sigalgs?: string;
  readonly ALPNProtocols?: string[];
  readonly cert?: string;
  readonly key?: string;
  readonly session?: Buffer;
}

/** What the client saw of the handshake. */
export interface Handshake {
  readonly ok: boolean;
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly alpn: string | false;
  /** The server certificate's subject CN and its key type. */
  readonly peer: string | null;
  readonly keyType: string | null;
  readonly reused: boolean;
  readonly session: Buffer | null;
}

/**
 * Sends raw HTTP/1 bytes over TLS and reads until the close. Certificates are not verified
 * (the tests compare what the client was given, not whether to trust it).
 */
export function tlsRequest(
  port: number,
  request: string | Buffer | null,
  options: TlsClientOptions = {},
): Promise<{ handshake: Handshake; response: ClientResponse }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      rejectUnauthorized: false,
      ...(options.servername ? { servername: options.servername } : {}),
      ...(options.minVersion ? { minVersion: options.minVersion } : {}),
      ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      ...(options.ciphers ? { ciphers: options.ciphers } : {}),
      ...(options.sigalgs ? { sigalgs: options.sigalgs } : {}),
      ...(options.ALPNProtocols ? { ALPNProtocols: options.ALPNProtocols } : {}),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      ...(options.session ? { session: options.session } : {}),
    });
    const chunks: Buffer[] = [];
    let handshake: Handshake = {
      ok: false,
      protocol: null,
      cipher: null,
      alpn: false,
      peer: null,
      keyType: null,
      reused: false,
      session: null,
    };
    let session: Buffer | null = null;
    socket.on("session", (s) => {
      session = s;
    });
    socket.on("secureConnect", () => {
      const peer = socket.getPeerX509Certificate();
      handshake = {
        ok: true,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher()?.name ?? null,
        alpn: socket.alpnProtocol ?? false,
        peer: /CN=([^\n]+)/.exec(peer?.subject ?? "")?.[1] ?? null,
        keyType: peer?.publicKey.asymmetricKeyType ?? null,
        reused: socket.isSessionReused(),
        session: null,
      };
      if (request === null) socket.destroy();
      else socket.write(request);
    });
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({
        handshake: { ...handshake, session: session ?? socket.getSession() ?? null },
        response: parseResponse(Buffer.concat(chunks)),
      });
    });
  });
}
