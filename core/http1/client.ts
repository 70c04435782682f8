import { concatBytes } from "../buffer/concat.ts";
import { cutShort, WHOLE_BODY_LIMIT } from "../buffer/whole-body.ts";
import type { FailureReason, Logger, Transport, UpstreamRequest, UpstreamResult } from "../capabilities.ts";
import { proxySslKey } from "../config/modules/proxy-ssl.ts";
import type { BodyStream } from "../exchange.ts";
import {
  connectFailed,
  PREMATURELY_CLOSED,
  socketFailed,
  UPSTREAM_TIMED_OUT,
  type UpstreamStage,
  whileDoing,
} from "../log/upstream-errors.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { type Dialer, type DialFailure, type Http1Connection, IdleTimeoutError } from "./connection.ts";
import { ConnectionPool, type PooledConnection } from "./connection-pool.ts";
import { latin1Bytes } from "./latin1.ts";
import { serializeRequestHead } from "./request-head.ts";
import { type ResponseFraming, type ResponseHead, ResponseHeadParser, type ResponseHeadRead } from "./response-head.ts";

type Failed = Extract<UpstreamResult, { kind: "failed" }>;

/** The client left before the request went out; the caller answers 499 and does not count it against the peer. */
const CANCELLED: Failed = { kind: "failed", reason: "error", detail: "client closed connection", stage: "connecting", requestSent: false };

/** A body up to this size goes out in one write with its head. */
const WRITE_TOGETHER_BYTES = 64 * 1024;

const NO_LOG: Logger = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };

/**
 * HTTP/1.x to upstream peers over a platform's sockets, writing exactly the request line and
 * headers the core built (a platform's HTTP client would add `Connection`, `Transfer-Encoding`
 * and always say HTTP/1.1), with nginx's connect, send and read timeouts apart, and its
 * keepalive cache. The platform only dials (`Dialer`).
 *
 * A connection goes back to the cache only when provably clean: its response was read exactly
 * to the end its framing gave, nothing more had arrived, and the upstream allows reuse. Anything
 * else (more bytes than the framing said, a response that ends with the connection, bytes that
 * arrive while it idles in the cache) closes it, as nginx's keepalive module does.
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
    // A cached connection that fails is nginx's `u->peer.cached` case: the core decides on a retry.
    if (cached) {
      req.connected?.();
      return this.#exchange(cached, req, true);
    }
    if (req.cancel?.isCancelled) return CANCELLED;
    const dialed = await this.#dialer.dial(req.peer, req.tls, req.connectTimeoutMs);
    if ("failed" in dialed) return dialFailed(dialed, req);
    if (req.cancel?.isCancelled) {
      dialed.close();
      return CANCELLED;
    }
    req.connected?.();
    const fresh: PooledConnection = { connection: dialed, peerKey: key, createdAt: Date.now(), requests: 0 };
    return this.#exchange(fresh, req, false);
  }

  /** Closes cached connections, for a clean shutdown. */
  close(): void {
    this.#pool.closeAll();
  }

  async #exchange(pooled: PooledConnection, req: UpstreamRequest, isCached: boolean): Promise<UpstreamResult> {
    const cancel = req.cancel;
    if (!cancel) return this.#attempt(pooled, req, isCached);
    // The client left before the head came: closing the connection ends the attempt where it is.
    cancel.listen(() => pooled.connection.close());
    try {
      return await this.#attempt(pooled, req, isCached);
    } finally {
      cancel.listen(null);
    }
  }

  async #attempt(pooled: PooledConnection, req: UpstreamRequest, isCached: boolean): Promise<UpstreamResult> {
    const conn = pooled.connection;
    // nginx's action stays "sending request" until the first byte of the answer is read.
    const progress = { stage: "sending" as UpstreamStage };
    const fail = (reason: FailureReason, detail: string, stage = progress.stage): Failed => {
      conn.close();
      // A client that left cut the attempt short: nginx names the action it was in then.
      const where = req.cancel?.isCancelled ? progress.stage : stage;
      return { kind: "failed", reason, detail, stage: where, requestSent: true, cached: isCached };
    };
    pooled.requests++;
    let read: ResponseHeadRead;
    let isSent = false;
    try {
      conn.setIdleTimeout(req.sendTimeoutMs);
      await sendRequest(conn, req);
      isSent = true;
      conn.setIdleTimeout(req.readTimeoutMs);
      read = await readHead(conn, req, progress);
    } catch (error) {
      // A timer or an error on the read side is met by nginx's read handler: "reading response header".
      if (error instanceof IdleTimeoutError) return fail("timeout", UPSTREAM_TIMED_OUT, isSent ? "reading-header" : "sending");
      return fail("error", isSent ? socketFailed("recv", error) : socketFailed("writev", error), isSent ? "reading-header" : "sending");
    }
    if (read === null || read.kind === "closed") return fail("error", PREMATURELY_CLOSED, "reading-header");
    if (read.kind === "invalid") return fail("invalid_header", read.detail, "reading-header");
    const { head, rest } = read;
    if (head.status === 101) {
      // The connection becomes a tunnel, never cached; a 101 nobody asked for is refused.
      if (!req.upgrade) return fail("invalid_header", "upstream sent unexpected 101 Switching Protocols");
      return upgraded(head, conn, rest);
    }
    const log = req.log ?? NO_LOG;
    // A body cut because the response was dropped (its client left) is not the upstream's failure.
    let isDiscarded = false;
    const failure = (error: unknown) => bodyFailed(error, isDiscarded ? NO_LOG : log);
    const release = (isClean: boolean) => {
      if (isClean && req.keepalive && head.isPersistent) this.#pool.release(req.keepalive, pooled, Date.now());
      else conn.close();
    };
    const framing = head.framing;
    const buffering = req.buffering && !turnsBufferingOff(head);
    const whole = buffering && framing.kind === "length" && framing.length <= WHOLE_BODY_LIMIT;
    return {
      kind: "response",
      status: head.status,
      reason: head.reason,
      headers: head.headers,
      contentLength: head.contentLength,
      body: whole
        ? await readWhole(conn, framing.length, rest, release, log, failure)
        : readBody(conn, framing, rest, release, log, failure),
      buffering,
      discard: () => {
        isDiscarded = true;
        conn.close();
      },
    };
  }
}

/** A 101 the client asked for: the connection and what came after the head go to the tunnel. */
function upgraded(head: ResponseHead, conn: Http1Connection, rest: Uint8Array): UpstreamResult {
  return {
    kind: "response",
    status: 101,
    reason: head.reason,
    headers: head.headers,
    contentLength: null,
    body: NO_BYTES,
    tunnel: { kind: "connection", connection: conn, first: rest },
    discard: () => conn.close(),
  };
}

const NO_BYTES = new Uint8Array(0);

function peerKey(req: UpstreamRequest): string {
  const p = req.peer;
  const tls = req.tls;
  if (p.kind === "unix") return `unix:${p.path}`;
  // Connections made with other TLS settings (a client certificate, other CAs) are not shared.
  return tls ? `tls:${p.host}:${p.port}:${tls.servername ?? ""}:${proxySslKey(tls.settings)}` : `tcp:${p.host}:${p.port}`;
}

/** A connect that failed or timed out, in nginx's words. */
function dialFailed(dialed: DialFailure, req: UpstreamRequest): Failed {
  if (dialed.inHandshake)
    return { kind: "failed", reason: dialed.failed, detail: dialed.detail, stage: "ssl-handshaking", requestSent: false };
  const detail = dialed.failed === "timeout" ? UPSTREAM_TIMED_OUT : connectFailed(req.peer, dialed.detail);
  return { kind: "failed", reason: dialed.failed, detail, stage: "connecting", requestSent: false };
}

/** As nginx: `X-Accel-Buffering: no` from the upstream turns buffering off for its response. */
function turnsBufferingOff(head: ResponseHead): boolean {
  for (const [name, value] of head.headers) {
    if (name.length === 17 && name.toLowerCase() === "x-accel-buffering") return value.toLowerCase() === "no";
  }
  return false;
}

async function sendRequest(conn: Http1Connection, req: UpstreamRequest): Promise<void> {
  const log = req.log ?? NO_LOG;
  const text = serializeRequestHead(req.method, req.target, req.httpVersion, req.headers, (name) =>
    log.error(`header "${name}" was not sent upstream: its value holds CR, LF or NUL`),
  );
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
  await conn.write(latin1Bytes(text));
  if (req.framing.kind !== "chunked") {
    for await (const chunk of body) if (chunk.byteLength > 0) await conn.write(chunk);
    return;
  }
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    await conn.write(latin1Bytes(`${chunk.byteLength.toString(16)}\r\n`));
    await conn.write(chunk);
    await conn.write(CRLF);
  }
  await conn.write(LAST_CHUNK);
}

const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

/**
 * Reads until the final head is whole; null when the upstream closed before sending anything.
 * The first byte moves `progress` on to reading the header.
 */
async function readHead(conn: Http1Connection, req: UpstreamRequest, progress: { stage: UpstreamStage }): Promise<ResponseHeadRead> {
  const parser = new ResponseHeadParser(req.maxHeaderBytes, req.method === "HEAD");
  let any = false;
  for (;;) {
    const chunk = await conn.read();
    if (chunk === null) return any ? parser.end() : null;
    any = true;
    progress.stage = "reading-header";
    const read = parser.push(chunk);
    if (read !== null) return read;
  }
}

/**
 * A small body with a length, read whole before the head goes on (nginx's buffers): one write
 * to the client, and the connection back in the cache before the client is answered.
 */
async function readWhole(
  conn: Http1Connection,
  length: number,
  first: Uint8Array,
  release: (isClean: boolean) => void,
  log: Logger,
  failure: (error: unknown) => Error,
): Promise<Uint8Array | BodyStream> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let chunk: Uint8Array | null = first;
  try {
    for (;;) {
      if (chunk.byteLength > length - size) {
        chunks.push(chunk.subarray(0, length - size));
        return tooMuch(concatBytes(chunks, length), release, log);
      }
      if (chunk.byteLength > 0) chunks.push(chunk);
      size += chunk.byteLength;
      if (size === length) break;
      chunk = await conn.read();
      if (chunk === null) throw new UpstreamBodyError(PREMATURELY_CLOSED);
    }
  } catch (error) {
    release(false);
    return cutShort(chunks, failure(error));
  }
  release(true);
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks, size);
}

/** The body was whole and more bytes came after it: the connection cannot be reused (nginx's warning). */
function tooMuch(body: Uint8Array, release: (isClean: boolean) => void, log: Logger): Uint8Array {
  log.warn(`upstream sent more data than specified in "Content-Length" header${whileDoing("reading-body")}`);
  release(false);
  return body;
}

/**
 * The response body, framed by its head. `release(true)` runs when the body ended exactly where
 * its framing said and nothing followed (the connection may be cached); anything else closes it.
 */
async function* readBody(
  conn: Http1Connection,
  framing: ResponseFraming,
  first: Uint8Array,
  release: (isClean: boolean) => void,
  log: Logger,
  failure: (error: unknown) => Error,
): AsyncGenerator<Uint8Array> {
  let isClean = false;
  try {
    isClean = yield* readFramed(conn, framing, first, log);
  } catch (error) {
    throw failure(error);
  } finally {
    release(isClean);
  }
}

/** The body by its framing; true when it ended exactly where the framing said, nothing after. */
async function* readFramed(
  conn: Http1Connection,
  framing: ResponseFraming,
  first: Uint8Array,
  log: Logger,
): AsyncGenerator<Uint8Array, boolean> {
  switch (framing.kind) {
    case "none":
      if (first.byteLength === 0) return true;
      log.warn(`upstream sent data in a response that has no body${whileDoing("reading-body")}`);
      return false;
    case "length":
      return yield* readLength(conn, framing.length, first, log);
    case "chunked":
      return yield* readChunked(conn, first, log);
    case "close":
      if (first.byteLength > 0) yield first;
      for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) yield chunk;
      return false;
    default:
      return framing satisfies never;
  }
}

/** Exactly `length` bytes; true when nothing came after them. */
async function* readLength(conn: Http1Connection, length: number, first: Uint8Array, log: Logger): AsyncGenerator<Uint8Array, boolean> {
  let remaining = length;
  let chunk: Uint8Array | null = first;
  for (;;) {
    if (chunk.byteLength > remaining) {
      if (remaining > 0) yield chunk.subarray(0, remaining);
      log.warn(`upstream sent more data than specified in "Content-Length" header${whileDoing("reading-body")}`);
      return false;
    }
    if (chunk.byteLength > 0) {
      remaining -= chunk.byteLength;
      yield chunk;
    }
    if (remaining === 0) return true;
    chunk = await conn.read();
    if (chunk === null) throw new UpstreamBodyError(PREMATURELY_CLOSED);
  }
}

/** A chunked body, decoded; true when nothing came after its last chunk. */
async function* readChunked(conn: Http1Connection, first: Uint8Array, log: Logger): AsyncGenerator<Uint8Array, boolean> {
  const decoder = new ChunkedDecoder();
  let chunk: Uint8Array | null = first;
  for (;;) {
    let decoded: { data: Uint8Array[]; used: number };
    try {
      decoded = decoder.feed(chunk);
    } catch {
      throw new UpstreamBodyError("upstream sent invalid chunked response");
    }
    for (const d of decoded.data) yield d;
    if (decoder.isDone) {
      if (decoded.used === chunk.byteLength) return true;
      log.warn(`upstream sent data after final chunk${whileDoing("reading-body")}`);
      return false;
    }
    chunk = await conn.read();
    if (chunk === null) throw new UpstreamBodyError(PREMATURELY_CLOSED);
  }
}

/** A body that broke off in a way the client reads nginx's words for: the message is its log line. */
class UpstreamBodyError extends Error {}

/**
 * A body that failed: nginx's line for it, logged once where it happened (`while reading
 * upstream`), and the error that ends the body the client gets.
 */
function bodyFailed(error: unknown, log: Logger): Error {
  const message =
    error instanceof IdleTimeoutError
      ? UPSTREAM_TIMED_OUT
      : error instanceof UpstreamBodyError
        ? error.message
        : socketFailed("recv", error);
  log.error(message + whileDoing("reading-body"));
  return new Error(message + whileDoing("reading-body"), { cause: error });
}
