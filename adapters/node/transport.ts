import net from "node:net";
import tls from "node:tls";
import { ChunkedDecoder } from "../../core/http1/chunked.ts";
import { serializeRequestHead } from "../../core/http1/request-head.ts";
import { parseResponseHead, type ResponseHead } from "../../core/http1/response-head.ts";
import type { FailureReason, Transport, UpstreamRequest, UpstreamResult } from "../../core/index.ts";
import { ConnectionPool, type UpstreamConnection } from "./connection-pool.ts";
import { IdleTimeoutError, SocketReader } from "./socket-reader.ts";

type Failed = Extract<UpstreamResult, { kind: "failed" }>;

/** A reused connection failed before any answer: the request goes again on a fresh one. */
const RETRY_FRESH = Symbol("retry on a fresh connection");

const WRITE_TOGETHER_BYTES = 64 * 1024;

/**
 * HTTP/1.x to upstream peers over node:net and node:tls, writing exactly the request line and
 * headers the core built (node:http would add `Connection`, `Transfer-Encoding` and always say
 * HTTP/1.1), with nginx's connect/send/read timeouts and its keepalive cache.
 */
export class NodeTransport implements Transport {
  readonly #pool = new ConnectionPool();

  async request(req: UpstreamRequest): Promise<UpstreamResult> {
    const key = peerKey(req);
    const cached = req.keepalive ? this.#pool.take(req.keepalive, key) : null;
    if (cached) {
      const result = await this.#exchange(cached, req, true);
      if (result !== RETRY_FRESH) return result;
    }
    const conn = await connect(req, key);
    if ("kind" in conn) return conn;
    const result = await this.#exchange(conn, req, false);
    return result === RETRY_FRESH ? failed("error", "upstream prematurely closed connection", true) : result;
  }

  /** Closes cached connections, for a clean shutdown. */
  close(): void {
    this.#pool.closeAll();
  }

  async #exchange(conn: UpstreamConnection, req: UpstreamRequest, isReused: boolean): Promise<UpstreamResult | typeof RETRY_FRESH> {
    const socket = conn.reader.socket;
    conn.requests++;
    try {
      socket.setTimeout(req.sendTimeoutMs);
      await sendRequest(socket, req);
    } catch (error) {
      socket.destroy();
      if (isReused && !(error instanceof IdleTimeoutError)) return RETRY_FRESH;
      return failure(error, true);
    }
    socket.setTimeout(req.readTimeoutMs);
    let head: ResponseHead;
    let rest: Buffer;
    try {
      const read = await readHead(conn.reader, req);
      if (read === null) {
        socket.destroy();
        return isReused ? RETRY_FRESH : failed("error", "upstream prematurely closed connection", true);
      }
      if ("detail" in read) {
        socket.destroy();
        return failed("invalid_header", read.detail, true);
      }
      [head, rest] = read;
    } catch (error) {
      socket.destroy();
      return failure(error, true);
    }
    const body = readBody(conn, head, rest, () => {
      if (req.keepalive && head.isPersistent) this.#pool.release(req.keepalive, conn);
      else socket.destroy();
    });
    return {
      kind: "response",
      status: head.status,
      reason: head.reason,
      isHttp09: head.httpVersion === "0.9",
      headers: head.headers,
      body,
      discard: () => {
        socket.destroy();
        void body.return(undefined);
      },
    };
  }
}

function peerKey(req: UpstreamRequest): string {
  const p = req.peer;
  return p.kind === "unix" ? `unix:${p.path}` : `${req.tls ? "tls" : "tcp"}:${p.host}:${p.port}:${req.tls?.servername ?? ""}`;
}

function failed(reason: FailureReason, detail: string, requestSent: boolean): Failed {
  return { kind: "failed", reason, detail, requestSent };
}

function failure(error: unknown, requestSent: boolean): Failed {
  if (error instanceof IdleTimeoutError) return failed("timeout", "upstream timed out", requestSent);
  const e = error as NodeJS.ErrnoException;
  return failed("error", e.code ? `${e.code}: ${e.message}` : String(e.message ?? e), requestSent);
}

/** Opens a connection within `proxy_connect_timeout`; a failure is a value, never a throw. */
function connect(req: UpstreamRequest, key: string): Promise<UpstreamConnection | Failed> {
  return new Promise((resolve) => {
    const p = req.peer;
    const socket =
      p.kind === "unix"
        ? net.connect({ path: p.path })
        : req.tls
          ? tls.connect({
              host: p.host,
              port: p.port,
              rejectUnauthorized: req.tls.verify,
              ...(req.tls.servername ? { servername: req.tls.servername } : {}),
            })
          : net.connect({ host: p.host, port: p.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(failed("timeout", "upstream timed out while connecting", false));
    }, req.connectTimeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      resolve(failure(e, false));
    };
    socket.once("error", onError);
    socket.once(req.tls && p.kind !== "unix" ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setNoDelay(true);
      resolve({ reader: new SocketReader(socket), peerKey: key, createdAt: Date.now(), requests: 0 });
    });
  });
}

async function sendRequest(socket: net.Socket, req: UpstreamRequest): Promise<void> {
  const head = Buffer.from(serializeRequestHead(req.method, req.target, req.httpVersion, req.headers), "latin1");
  // Node's spool gives streams; a Blob (another platform's spool) is read as one.
  const body = req.body instanceof Blob ? (req.body.stream() as unknown as AsyncIterable<Uint8Array>) : req.body;
  if (body === null) return write(socket, head);
  if (body instanceof Uint8Array) {
    if (body.byteLength <= WRITE_TOGETHER_BYTES) return write(socket, Buffer.concat([head, body]));
    await write(socket, head);
    return write(socket, body);
  }
  const chunked = req.headers.some(([n, v]) => n.length === 17 && n.toLowerCase() === "transfer-encoding" && v === "chunked");
  await write(socket, head);
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    if (chunked) await write(socket, Buffer.from(`${chunk.byteLength.toString(16)}\r\n`, "latin1"));
    await write(socket, chunk);
    if (chunked) await write(socket, Buffer.from("\r\n", "latin1"));
  }
  if (chunked) await write(socket, Buffer.from("0\r\n\r\n", "latin1"));
}

/** Writes with backpressure; rejects when the socket fails or stays blocked past its timeout. */
function write(socket: net.Socket, data: Uint8Array): Promise<void> {
  if (socket.destroyed) return Promise.reject(new Error("upstream connection closed"));
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      socket.off("error", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = (e?: unknown) => done(e instanceof Error ? e : new Error("upstream connection closed"));
    socket.on("drain", onDrain);
    socket.on("close", onClose);
    socket.on("error", onClose);
  });
}

/** Reads until the head is complete: the head and the bytes after it, null at EOF first. */
async function readHead(reader: SocketReader, req: UpstreamRequest): Promise<[ResponseHead, Buffer] | { detail: string } | null> {
  let buf: Buffer = Buffer.alloc(0);
  const isHead = req.method === "HEAD";
  for (;;) {
    const chunk = await reader.read();
    if (chunk === null) {
      if (buf.length === 0) return null;
      const last = parseResponseHead(buf.toString("latin1"), isHead, req.maxHeaderBytes);
      if (last && !("detail" in last) && last.httpVersion === "0.9") return [last, buf];
      return { detail: "upstream prematurely closed connection while reading response header" };
    }
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const parsed = parseResponseHead(buf.toString("latin1"), isHead, req.maxHeaderBytes);
    if (parsed === null) continue;
    if ("detail" in parsed) return parsed;
    // Interim 1xx answers (100 Continue) are skipped; the final head follows.
    if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101 && parsed.httpVersion !== "0.9") {
      buf = buf.subarray(parsed.headLength);
      continue;
    }
    return [parsed, buf.subarray(parsed.headLength)];
  }
}

/**
 * The response body, framed by its head. `onClean` runs when the body ended exactly where its
 * framing said (the connection may be cached); anything else destroys the connection.
 */
async function* readBody(conn: UpstreamConnection, head: ResponseHead, first: Buffer, onClean: () => void): AsyncGenerator<Uint8Array> {
  const reader = conn.reader;
  let clean = false;
  try {
    const framing = head.framing;
    if (framing.kind === "none") {
      clean = first.length === 0;
      return;
    }
    if (framing.kind === "length") {
      let remaining = framing.length;
      let chunk: Buffer | null = first;
      while (remaining > 0) {
        if (chunk === null || chunk.length === 0) {
          chunk = await reader.read();
          if (chunk === null) throw new Error("upstream prematurely closed connection while reading upstream");
          continue;
        }
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        if (chunk.length > part.length) reader.unshift(chunk.subarray(part.length));
        chunk = null;
        yield part;
      }
      clean = true;
      return;
    }
    if (framing.kind === "chunked") {
      const decoder = new ChunkedDecoder();
      let chunk: Buffer | null = first;
      while (!decoder.isDone) {
        if (chunk === null || chunk.length === 0) {
          chunk = await reader.read();
          if (chunk === null) throw new Error("upstream prematurely closed connection while reading upstream");
          continue;
        }
        const { data, used } = decoder.feed(chunk);
        if (used < chunk.length) reader.unshift(chunk.subarray(used));
        chunk = null;
        for (const d of data) yield d;
      }
      clean = true;
      return;
    }
    if (first.length > 0) yield first;
    for (;;) {
      const chunk = await reader.read();
      if (chunk === null) return;
      yield chunk;
    }
  } finally {
    if (clean) onClean();
    else reader.socket.destroy();
  }
}
