import net from "node:net";

/** A response as a client saw it: status line, headers in order, body bytes. */
export interface ClientResponse {
  readonly status: number;
  readonly statusLine: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
  /** The connection closed without any response (nginx's 408 / 499 / 444). */
  readonly closedSilently: boolean;
}

export interface RawRequestOptions {
  /** Bind the client socket to this loopback address (ip_hash, $remote_addr). */
  readonly localAddress?: string;
  readonly host?: string;
  /** Called with the socket once connected: for sending a body slowly. */
  readonly write?: (socket: net.Socket) => Promise<void> | void;
  readonly timeoutMs?: number;
}

/** Sends raw bytes and reads until the server closes (send `Connection: close`). */
export function rawRequest(port: number | string, request: string | Buffer, options: RawRequestOptions = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const socket =
      typeof port === "string"
        ? net.connect({ path: port })
        : net.connect({ port, host: options.host ?? "127.0.0.1", ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("response timed out"));
    }, options.timeoutMs ?? 10_000);
    socket.on("connect", async () => {
      socket.write(request);
      try {
        await options.write?.(socket);
      } catch {}
    });
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
  });
}

/** A `GET` with `Connection: close` and the given extra header lines. */
export function get(
  port: number | string,
  target: string,
  headers: string[] = ["Host: example.com"],
  options: RawRequestOptions = {},
): Promise<ClientResponse> {
  return rawRequest(port, `GET ${target} HTTP/1.1\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`, options);
}

/** A whole response as read until the close: status line, headers, body (de-chunked). */
export function parseResponse(buf: Buffer): ClientResponse {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, statusLine: "", headers: [], body: buf, closedSilently: buf.length === 0 };
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const statusLine = lines[0] as string;
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
  let body = buf.subarray(end + 4);
  if (headers.some(([n, v]) => n.toLowerCase() === "transfer-encoding" && v === "chunked")) body = dechunk(body);
  return { status: Number(statusLine.split(" ")[1]), statusLine, headers, body, closedSilently: false };
}

function dechunk(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The value of a header (case-insensitive), or undefined. */
export function header(res: { headers: [string, string][] }, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
