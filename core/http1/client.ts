import { concatBytes } from "../buffer/concat.ts";
import { cutShort, WHOLE_BODY_LIMIT } from "../buffer/whole-body.ts";
import type { FailureReason, Transport, UpstreamRequest, UpstreamResult } from "../capabilities.ts";
import type { BodyStream } from "../exchange.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { type Dialer, describeError, type Http1Connection, IdleTimeoutError } from "./connection.ts";
import { ConnectionPool, type PooledConnection } from "./connection-pool.ts";
import { latin1Bytes, latin1String } from "./latin1.ts";
import { serializeRequestHead } from "./request-head.ts";
import { parseResponseHead, type ResponseHead } from "./response-head.ts";

type Failed = Extract<UpstreamResult, { kind: "failed" }>;

/** The client left first; the caller answers 499 and does not count it against the peer. */
const CANCELLED: Failed = { kind: "failed", reason: "error", detail: "client closed connection", requestSent: false };

/** A reused connection failed before any answer: the request goes again on a fresh one. */
const RETRY_FRESH = Symbol("retry on a fresh connection");

/** A body up to this size goes out in one write with its head. */
const WRITE_TOGETHER_BYTES = 64 * 1024;

/**
 * HTTP/1.x to upstream peers over a platform's sockets, writing exactly the request line and
 * headers the core built (a platform's HTTP client would add `Connection`, `Transfer-Encoding`
 * and always say HTTP/1.1), with nginx's connect, send and read timeouts apart, and its
 * keepalive cache. The platform only dials (`Dialer`).
 */
export class Http1Transport implements Transport {
  readonly #dialer: Dialer;
  readonly #pool = new ConnectionPool();

  constructor(dialer: Dialer) {
    this.#dialer = dialer;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResult> {
    const key = peerKey(req);
    const cached = req.keepalive ? this.#pool.take(req.keepalive, key) : null;
    if (cached) {
      const result = await this.#exchange(cached, req, true);
      if (result !== RETRY_FRESH) return result;
    }
    if (req.cancel?.isCancelled) return CANCELLED;
    const dialed = await this.#dialer.dial(req.peer, req.tls, req.connectTimeoutMs);
    if ("failed" in dialed) return failed(dialed.failed, dialed.detail, false);
    if (req.cancel?.isCancelled) {
      dialed.close();
      return CANCELLED;
    }
    const fresh: PooledConnection = { connection: dialed, peerKey: key, createdAt: Date.now(), requests: 0 };
    const result = await this.#exchange(fresh, req, false);
    return result === RETRY_FRESH ? failed("error", "upstream prematurely closed connection", true) : result;
  }

  /** Closes cached connections, for a clean shutdown. */
  close(): void {
    this.#pool.closeAll();
  }

  async #exchange(pooled: PooledConnection, req: UpstreamRequest, isReused: boolean): Promise<UpstreamResult | typeof RETRY_FRESH> {
    const cancel = req.cancel;
    if (!cancel) return this.#attempt(pooled, req, isReused);
    // The client left before the head came: closing the connection ends the attempt where it is.
    cancel.listen(() => pooled.connection.close());
    try {
      return await this.#attempt(pooled, req, isReused);
    } finally {
      cancel.listen(null);
    }
  }

  async #attempt(pooled: PooledConnection, req: UpstreamRequest, isReused: boolean): Promise<UpstreamResult | typeof RETRY_FRESH> {
    const conn = pooled.connection;
    pooled.requests++;
    try {
      conn.setIdleTimeout(req.sendTimeoutMs);
      await sendRequest(conn, req);
    } catch (error) {
      conn.close();
      if (isReused && !(error instanceof IdleTimeoutError)) return RETRY_FRESH;
      return failure(error, true);
    }
    conn.setIdleTimeout(req.readTimeoutMs);
    let head: ResponseHead;
    let rest: Uint8Array;
    try {
      const read = await readHead(conn, req);
      if (read === null) {
        conn.close();
        return isReused ? RETRY_FRESH : failed("error", "upstream prematurely closed connection", true);
      }
      if ("detail" in read) {
        conn.close();
        return failed("invalid_header", read.detail, true);
      }
      [head, rest] = read;
    } catch (error) {
      conn.close();
      return failure(error, true);
    }
    const onClean = () => {
      if (req.keepalive && head.isPersistent) this.#pool.release(req.keepalive, pooled, Date.now());
      else conn.close();
    };
    const framing = head.framing;
    const whole = req.buffering && framing.kind === "length" && framing.length <= WHOLE_BODY_LIMIT && !turnsBufferingOff(head);
    return {
      kind: "response",
      status: head.status,
      reason: head.reason,
      isHttp09: head.httpVersion === "0.9",
      headers: head.headers,
      body: whole ? await readWhole(conn, framing.length, rest, onClean) : readBody(conn, head, rest, onClean),
      discard: () => conn.close(),
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
  return failed("error", describeError(error), requestSent);
}

/** As nginx: `X-Accel-Buffering: no` from the upstream turns buffering off for its response. */
function turnsBufferingOff(head: ResponseHead): boolean {
  for (const [name, value] of head.headers) {
    if (name.length === 17 && name.toLowerCase() === "x-accel-buffering") return value.toLowerCase() === "no";
  }
  return false;
}

async function sendRequest(conn: Http1Connection, req: UpstreamRequest): Promise<void> {
  const text = serializeRequestHead(req.method, req.target, req.httpVersion, req.headers);
  const body = req.body;
  if (body === null) return conn.write(latin1Bytes(text));
  if (body instanceof Uint8Array) {
    if (body.byteLength > WRITE_TOGETHER_BYTES) {
      await conn.write(latin1Bytes(text));
      return conn.write(body);
    }
    const both = latin1Bytes(text, body.byteLength);
    both.set(body, text.length);
    return conn.write(both);
  }
  const chunked = req.headers.some(([n, v]) => n.length === 17 && n.toLowerCase() === "transfer-encoding" && v === "chunked");
  await conn.write(latin1Bytes(text));
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    if (!chunked) {
      await conn.write(chunk);
      continue;
    }
    await conn.write(latin1Bytes(`${chunk.byteLength.toString(16)}\r\n`));
    await conn.write(chunk);
    await conn.write(CRLF);
  }
  if (chunked) await conn.write(LAST_CHUNK);
}

const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

/** Reads until the head is complete: the head and the bytes after it, null at EOF first. */
async function readHead(conn: Http1Connection, req: UpstreamRequest): Promise<[ResponseHead, Uint8Array] | { detail: string } | null> {
  let buf: Uint8Array = new Uint8Array(0);
  const isHead = req.method === "HEAD";
  for (;;) {
    const chunk = await conn.read();
    if (chunk === null) {
      if (buf.byteLength === 0) return null;
      const last = parseResponseHead(headText(buf, req.maxHeaderBytes), isHead, req.maxHeaderBytes);
      if (last && !("detail" in last) && last.httpVersion === "0.9") return [last, buf];
      return { detail: "upstream prematurely closed connection while reading response header" };
    }
    buf = buf.byteLength === 0 ? chunk : concatBytes([buf, chunk], buf.byteLength + chunk.byteLength);
    const parsed = parseResponseHead(headText(buf, req.maxHeaderBytes), isHead, req.maxHeaderBytes);
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
 * The head as text, up to its empty line: the body read along with it is never decoded (a 64 KiB
 * response spent 17 µs decoding its first 8 KiB). A head longer than `maxBytes` is refused
 * anyway, so no more than that is decoded when the empty line has not come yet.
 */
function headText(buf: Uint8Array, maxBytes: number): string {
  const limit = Math.min(buf.byteLength, maxBytes + 4);
  for (let at = 0; ; ) {
    const lf = buf.indexOf(10, at);
    if (lf < 0 || lf >= limit) return latin1String(buf, 0, limit);
    if (buf[lf + 1] === 10) return latin1String(buf, 0, lf + 2);
    if (buf[lf + 1] === 13 && buf[lf + 2] === 10) return latin1String(buf, 0, lf + 3);
    at = lf + 1;
  }
}

/**
 * A small body with a length, read whole before the head goes on (nginx's buffers): one write
 * to the client, and the connection back in the cache before the client is answered.
 */
async function readWhole(conn: Http1Connection, length: number, first: Uint8Array, onClean: () => void): Promise<Uint8Array | BodyStream> {
  if (first.byteLength >= length) {
    if (first.byteLength > length) conn.unshift(first.subarray(length));
    onClean();
    return first.byteLength === length ? first : first.subarray(0, length);
  }
  const chunks = first.byteLength > 0 ? [first] : [];
  let size = first.byteLength;
  try {
    while (size < length) {
      const chunk = await conn.read();
      if (chunk === null) throw new Error("upstream prematurely closed connection while reading upstream");
      const part = chunk.byteLength > length - size ? chunk.subarray(0, length - size) : chunk;
      if (part.byteLength < chunk.byteLength) conn.unshift(chunk.subarray(part.byteLength));
      chunks.push(part);
      size += part.byteLength;
    }
  } catch (error) {
    conn.close();
    return cutShort(chunks, error);
  }
  onClean();
  return concatBytes(chunks, size);
}

/**
 * The response body, framed by its head. `onClean` runs when the body ended exactly where its
 * framing said (the connection may be cached); anything else closes the connection.
 */
async function* readBody(conn: Http1Connection, head: ResponseHead, first: Uint8Array, onClean: () => void): AsyncGenerator<Uint8Array> {
  let clean = false;
  try {
    const framing = head.framing;
    if (framing.kind === "none") {
      clean = first.byteLength === 0;
      return;
    }
    if (framing.kind === "length") {
      let remaining = framing.length;
      let chunk: Uint8Array | null = first;
      while (remaining > 0) {
        if (chunk === null || chunk.byteLength === 0) {
          chunk = await conn.read();
          if (chunk === null) throw new Error("upstream prematurely closed connection while reading upstream");
          continue;
        }
        const part = chunk.byteLength > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.byteLength;
        if (chunk.byteLength > part.byteLength) conn.unshift(chunk.subarray(part.byteLength));
        chunk = null;
        yield part;
      }
      clean = true;
      return;
    }
    if (framing.kind === "chunked") {
      const decoder = new ChunkedDecoder();
      let chunk: Uint8Array | null = first;
      while (!decoder.isDone) {
        if (chunk === null || chunk.byteLength === 0) {
          chunk = await conn.read();
          if (chunk === null) throw new Error("upstream prematurely closed connection while reading upstream");
          continue;
        }
        const { data, used } = decoder.feed(chunk);
        if (used < chunk.byteLength) conn.unshift(chunk.subarray(used));
        chunk = null;
        for (const d of data) yield d;
      }
      clean = true;
      return;
    }
    if (first.byteLength > 0) yield first;
    for (;;) {
      const chunk = await conn.read();
      if (chunk === null) return;
      yield chunk;
    }
  } finally {
    if (clean) onClean();
    else conn.close();
  }
}
