import net from "node:net";
import tls from "node:tls";

/** One request as a backend saw it on the wire. */
export interface SeenRequest {
  readonly requestLine: string;
  /** Header lines in order, name case kept. */
  readonly headers: [string, string][];
  readonly body: Buffer;
  /** The raw bytes of the whole request, head and body. */
  readonly raw: Buffer;
  /** When the connection was accepted, and when the request was complete (ms, performance.now). */
  readonly connectedAt: number;
  readonly completedAt: number;
  readonly remoteAddress: string;
  /** Which connection of this backend carried it (1, 2, ...): keepalive reuse shows here. */
  readonly connection: number;
  /** For a TLS backend, the SNI name the client sent (null for none). */
  readonly servername?: string | null;
  /** For a TLS backend: the protocol, the client certificate's CN (null for none), and whether the session was resumed. */
  readonly tls?: { readonly protocol: string | null; readonly clientCert: string | null; readonly resumed: boolean };
}

/** How a backend answers one request; `raw` bytes are written as they are. */
export type Reply =
  | { status?: number; headers?: [string, string][]; body?: string | Buffer; delayMs?: number }
  | { raw: string | Buffer; close?: boolean }
  | { hang: true }
  | { reset: true };

/**
 * The reply a request asks for in its `X-Reply` header, `STATUS|Name<separator>value|...` (each
 * header split at its first `separator`), with the body `body` gives for the status; `fallback`
 * for a request without one.
 */
export function replyFromHeader(
  req: SeenRequest,
  options: { readonly separator: string; readonly fallback: (req: SeenRequest) => Reply; readonly body?: (status: string) => string },
): Reply {
  const wanted = req.headers.find(([n]) => n.toLowerCase() === "x-reply")?.[1];
  if (!wanted) return options.fallback(req);
  const [status = "", ...headers] = wanted.split("|");
  const split = (h: string): [string, string] => [h.slice(0, h.indexOf(options.separator)), h.slice(h.indexOf(options.separator) + 1)];
  return { status: Number(status), headers: headers.map(split), ...(options.body ? { body: options.body(status) } : {}) };
}

/** A loopback HTTP/1.x backend that records every request byte for byte. */
export interface Backend {
  readonly port: number;
  readonly seen: SeenRequest[];
  /** Sets how the next requests are answered (default: 200 tagged with `X-Backend`). */
  reply: (req: SeenRequest) => Reply;
  /** Cuts every open connection and keeps listening: a proxy's cached connections go. */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a backend on 127.0.0.1 (or a unix socket path); replies carry `X-Backend: tag`. */
export async function startBackend(
  tag: string,
  path?: string,
  options: { keepAlive?: boolean; tls?: tls.TlsOptions } = {},
): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const backend: Backend = {
    port: 0,
    seen: [],
    reply: () => ({ body: `${tag}\n` }),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const connectedAt = performance.now();
    const connection = ++connections;
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseRequest(buf);
        if (!parsed) return;
        buf = buf.subarray(parsed.length);
        const seen: SeenRequest = {
          ...parsed.request,
          ...(socket instanceof tls.TLSSocket ? tlsFacts(socket) : {}),
          connectedAt,
          completedAt: performance.now(),
          remoteAddress: socket.remoteAddress ?? "",
          connection,
        };
        backend.seen.push(seen);
        answer(socket, backend.reply(seen), tag, options.keepAlive ?? false);
      }
    });
  };
  const server = options.tls ? tls.createServer(options.tls, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => (path ? server.listen(path, resolve) : server.listen(0, "127.0.0.1", resolve)));
  (backend as { port: number }).port = path ? 0 : (server.address() as net.AddressInfo).port;
  return backend;
}

/** What a TLS backend saw of the handshake. */
function tlsFacts(socket: tls.TLSSocket): Pick<SeenRequest, "servername" | "tls"> {
  const name = (socket as tls.TLSSocket & { servername?: string | false }).servername;
  const cert = socket.getPeerX509Certificate();
  return {
    servername: typeof name === "string" ? name : null,
    tls: {
      protocol: socket.getProtocol(),
      clientCert: cert ? (/CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "") : null,
      resumed: socket.isSessionReused(),
    },
  };
}

function answer(socket: net.Socket, reply: Reply, tag: string, keepAlive: boolean): void {
  if ("hang" in reply) return;
  if ("reset" in reply) {
    socket.resetAndDestroy();
    return;
  }
  if ("raw" in reply) {
    socket.write(reply.raw);
    if (reply.close !== false) socket.end();
    return;
  }
  if (reply.delayMs) {
    setTimeout(() => answer(socket, { ...reply, delayMs: 0 }, tag, keepAlive), reply.delayMs);
    return;
  }
  const body = Buffer.from(reply.body ?? "");
  const headers = reply.headers ?? [];
  let head = `HTTP/1.1 ${reply.status ?? 200} ${reply.status === 404 ? "Not Found" : "OK"}\r\nX-Backend: ${tag}\r\n`;
  for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
  if (!headers.some(([n]) => n.toLowerCase() === "content-length")) head += `Content-Length: ${body.length}\r\n`;
  head += keepAlive ? "\r\n" : "Connection: close\r\n\r\n";
  const bytes = Buffer.concat([Buffer.from(head, "latin1"), body]);
  if (keepAlive) socket.write(bytes);
  else socket.end(bytes);
}

/** Parses one complete request (Content-Length or chunked body) from the front of `buf`. */
function parseRequest(
  buf: Buffer,
): { request: Omit<SeenRequest, "connectedAt" | "completedAt" | "remoteAddress" | "connection">; length: number } | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
  const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let at = end + 4;
  let body: Buffer = Buffer.alloc(0);
  if (get("transfer-encoding")?.toLowerCase() === "chunked") {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
      if (buf.length < lineEnd + 2 + size + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    body = Buffer.concat(parts);
  } else {
    const length = Number(get("content-length") ?? 0);
    if (buf.length < at + length) return null;
    body = buf.subarray(at, at + length);
    at += length;
  }
  return {
    request: { requestLine: lines[0] as string, headers, body: Buffer.from(body), raw: Buffer.from(buf.subarray(0, at)) },
    length: at,
  };
}
