import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import type { ClientResponse } from "./client.ts";

/** One HTTP/2 request: pseudo-headers are filled in unless given, `body` sent with END_STREAM after it. */
export interface H2Request {
  readonly headers: http2.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

/**
 * A session to `https://127.0.0.1:port` (certificates not verified), or h2c with `plain`, once
 * the server's SETTINGS are in: a client that waits for them keeps to its stream limit.
 */
export function h2Connect(port: number, options: { servername?: string; plain?: boolean } = {}): Promise<http2.ClientHttp2Session> {
  const scheme = options.plain ? "http" : "https";
  return new Promise((resolve, reject) => {
    const session = http2.connect(`${scheme}://127.0.0.1:${port}`, {
      rejectUnauthorized: false,
      ...(options.servername ? { servername: options.servername } : {}),
    });
    session.once("remoteSettings", () => resolve(session));
    session.once("error", reject);
  });
}

/**
 * A session on a unix socket, TLS with ALPN h2 (certificates not verified) or prior knowledge,
 * once the server's SETTINGS are in.
 */
export function h2ConnectUnix(path: string, options: { tls: boolean }): Promise<http2.ClientHttp2Session> {
  const connect = () => (options.tls ? tls.connect({ path, ALPNProtocols: ["h2"], rejectUnauthorized: false }) : net.connect({ path }));
  return new Promise((resolve, reject) => {
    const session = http2.connect("http://localhost", { createConnection: connect });
    session.once("remoteSettings", () => resolve(session));
    session.once("error", reject);
  });
}

/**
 * Sends a request on a session and reads the whole answer, as a `ClientResponse` (header names
 * lower-case, `:status` taken out, repeated headers one pair each).
 */
export function h2Request(session: http2.ClientHttp2Session, request: H2Request): Promise<ClientResponse> {
  return new Promise((resolve) => {
    const stream = session.request({ ":path": "/", ...request.headers }, { endStream: request.body === undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    const headers: [string, string][] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      for (const [name, value] of Object.entries(h)) {
        if (name.startsWith(":")) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)]);
      }
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    const done = () =>
      resolve({ status, statusLine: `HTTP/2 ${status}`, headers, body: Buffer.concat(chunks), closedSilently: status === 0 });
    stream.on("close", done);
    stream.on("error", () => {});
    if (request.body !== undefined) stream.end(request.body);
  });
}

/** One request on a session of its own. */
export async function h2Once(
  port: number,
  request: H2Request,
  options: { servername?: string; plain?: boolean } = {},
): Promise<ClientResponse> {
  const session = await h2Connect(port, options);
  try {
    return await h2Request(session, request);
  } finally {
    session.close();
  }
}

/** Whether this machine's curl speaks HTTP/2. */
export function curlHasHttp2(): Promise<boolean> {
  return new Promise((resolve) => execFile("curl", ["--version"], (error, out) => resolve(!error && /\bHTTP2\b/.test(out))));
}

/** A GET with curl over HTTP/2, as `ClientResponse` (the head as curl dumps it, the body as sent). */
export function curlHttp2(port: number, path: string, extra: string[] = []): Promise<ClientResponse> {
  const dir = mkdtempSync(join(tmpdir(), "edgeproxy-curl-"));
  const headFile = join(dir, "head");
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-sk", "--http2", "-D", headFile, ...extra, `https://h2.test:${port}${path}`],
      { encoding: "buffer" },
      (error, body) => {
        const head = readFileSync(headFile, "latin1");
        rmSync(dir, { recursive: true, force: true });
        if (error) return reject(error);
        const lines = head.split("\r\n").filter(Boolean);
        const status = Number(lines[0]?.split(" ")[1] ?? 0);
        const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]);
        resolve({ status, statusLine: lines[0] ?? "", headers, body, closedSilently: false });
      },
    );
  });
}
