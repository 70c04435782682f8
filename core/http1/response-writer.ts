import type { Logger } from "../capabilities.ts";
import type { HeaderPairs, ProxyResponse } from "../exchange.ts";
import { type Http1Connection, IdleTimeoutError } from "./connection.ts";
import { latin1Bytes } from "./latin1.ts";
import { isSafeHeaderValue } from "./request-head.ts";

type Answer = Extract<ProxyResponse, { kind: "response" }>;

/** What the response's framing depends on in the request it answers. */
export interface Answering {
  readonly isHead: boolean;
  /** `"0.9"`, `"1.0"` or `"1.1"`. */
  readonly httpVersion: string;
  /** Keep the connection for another request, if the response can be framed for it. */
  readonly keepAlive: boolean;
  /** `keepalive_timeout`'s header value: `Keep-Alive: timeout=N` on a kept connection. */
  readonly keepAliveHeaderSec?: number | null;
  /** `chunked_transfer_encoding`: false sends a body of unknown length unframed, then closes. Default true. */
  readonly chunked?: boolean;
}

const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

/** Names only the writer writes: a list that carries them anyway is not trusted with them. */
const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * Writes a response as nginx's header filter and chunked filter frame it, from the typed length
 * alone (never from a header in the list): the status line, `Server` (when the list starts
 * with it), `Date`, `Content-Type` (when it comes next),
 * then `Content-Length`, `Transfer-Encoding` and `Connection` as edgeproxy decides them, then
 * the other headers in order. A body of unknown length goes chunked to an HTTP/1.1 client and
 * ends the connection for an HTTP/1.0 one; HEAD, 204, 304 and 1xx answers carry no body. A
 * header whose value holds CR, LF or NUL is left out, with an error in the log. A stream that
 * does not give exactly its announced length ends the connection. Resolves whether the
 * connection may carry another request; a failure while writing (the client left, the
 * upstream broke mid-body) closes it.
 */
export async function writeResponse(conn: Http1Connection, res: Answer, req: Answering, log: Logger): Promise<boolean> {
  const body = res.body;
  if (req.httpVersion === "0.9") {
    // An HTTP/0.9 request is answered with the body alone, then the close.
    try {
      if (body instanceof Uint8Array) await conn.write(body);
      else if (body !== null) for await (const chunk of body) await conn.write(chunk);
    } catch {}
    return false;
  }
  const noBody = req.isHead || res.status === 204 || res.status === 304 || res.status < 200;
  // add_trailer: the body goes chunked to an HTTP/1.1 client, its length dropped (ngx_http_chunked_header_filter()).
  const mayChunk = req.httpVersion === "1.1" && req.chunked !== false;
  const trailers = res.trailers && !noBody && mayChunk ? res.trailers : null;
  const length =
    trailers || res.status === 204 || res.status < 200 ? null : body instanceof Uint8Array ? body.byteLength : res.contentLength;
  const isStream = body !== null && !(body instanceof Uint8Array);
  const chunked = trailers !== null || (isStream && length === null && !noBody && mayChunk);
  // Without a length or chunks, only the close can end the body; after a 101 the bytes are a tunnel's.
  const keepAlive = req.keepAlive && !res.closeConnection && res.status !== 101 && (length !== null || chunked || noBody || !isStream);
  const head = headText(res, length, chunked, keepAlive ? (req.keepAliveHeaderSec ?? null) : false, log);

  try {
    if (noBody || (body === null && !chunked)) {
      await conn.write(latin1Bytes(head));
      // An upstream body still runs to its framed end, so its connection can be kept.
      if (isStream) for await (const _ of body);
    } else if (chunked) {
      await conn.write(latin1Bytes(head));
      if (body instanceof Uint8Array) {
        if (body.byteLength > 0) await conn.write(asChunk(body));
      } else if (body !== null) {
        for await (const chunk of body) {
          if (chunk.byteLength === 0) continue;
          await conn.write(asChunk(chunk));
        }
      }
      await conn.write(trailers ? lastChunk(trailers(), log) : LAST_CHUNK);
    } else if (body instanceof Uint8Array) {
      await writeWithHead(conn, head, body);
    } else if (body !== null) {
      const exact = await writeStream(conn, head, body, length);
      if (!exact) {
        conn.close();
        return false;
      }
    }
  } catch (error) {
    // The upstream failed mid-body (logged where it failed), or the client left or stopped
    // reading: cut the connection so the client sees it.
    if (error instanceof IdleTimeoutError) log.info("client timed out (110: Connection timed out) while sending to client");
    conn.close();
    return false;
  }
  return keepAlive;
}

/** The status line and headers, nginx's header filter's order. */
/** `keepAlive`: false for close, else the `Keep-Alive: timeout=N` value to send with keep-alive (null for none). */
function headText(res: Answer, length: number | null, chunked: boolean, keepAlive: number | null | false, log: Logger): string {
  const headers = res.headers;
  let head = `HTTP/1.1 ${res.status} ${isSafeReason(res.reason) ? res.reason : ""}\r\n`;
  let i = 0;
  const first = headers[0];
  if (first && first[0].length === 6 && first[0].toLowerCase() === "server") head += line(headers[i++] as [string, string], log);
  head += `Date: ${httpDate()}\r\n`;
  const next = headers[i];
  if (next && next[0].length === 12 && next[0].toLowerCase() === "content-type") head += line(headers[i++] as [string, string], log);
  if (length !== null) head += `Content-Length: ${length}\r\n`;
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  // A 101 hands the connection over: nginx's header filter says so instead of keep-alive or close.
  head += res.status === 101 ? "Connection: upgrade\r\n" : keepAlive !== false ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  if (keepAlive !== false && keepAlive !== null && res.status !== 101) head += `Keep-Alive: timeout=${keepAlive}\r\n`;
  for (; i < headers.length; i++) head += line(headers[i] as [string, string], log);
  return `${head}\r\n`;
}

/** One header line, or nothing for a framing name or an unsafe value. */
function line([name, value]: [string, string], log: Logger): string {
  if (FRAMING_HEADERS.has(name.toLowerCase())) return "";
  if (!isSafeHeaderValue(value)) {
    log.error(`header "${name}" was not sent to the client: its value holds CR, LF or NUL`);
    return "";
  }
  return `${name}: ${value}\r\n`;
}

/** A reason phrase goes out as it came unless it holds a byte that could end the line. */
function isSafeReason(reason: string): boolean {
  return isSafeHeaderValue(reason);
}

/**
 * A stream with or without a length (for an HTTP/1.0 client, the close ends it): the head goes
 * with its first bytes. With a length, exactly that many bytes are written; false when the
 * stream gave more or fewer, and the connection must end.
 */
async function writeStream(conn: Http1Connection, head: string, body: AsyncIterable<Uint8Array>, length: number | null): Promise<boolean> {
  let first = true;
  let sent = 0;
  for await (const chunk of body) {
    let part = chunk;
    if (length !== null && sent + part.byteLength > length) part = part.subarray(0, length - sent);
    sent += part.byteLength;
    if (first) await writeWithHead(conn, head, part);
    else if (part.byteLength > 0) await conn.write(part);
    first = false;
    if (part !== chunk) return false;
  }
  if (first) await conn.write(latin1Bytes(head));
  return length === null || sent === length;
}

/** The last chunk with its trailer section (safe lines only, as in the head). */
function lastChunk(trailers: HeaderPairs, log: Logger): Uint8Array {
  let text = "0\r\n";
  for (const pair of trailers) text += line(pair, log);
  return latin1Bytes(`${text}\r\n`);
}

/** One chunk of a chunked body, framed, as one write. */
function asChunk(data: Uint8Array): Uint8Array {
  const size = `${data.byteLength.toString(16)}\r\n`;
  const bytes = latin1Bytes(size, data.byteLength + 2);
  bytes.set(data, size.length);
  bytes.set(CRLF, size.length + data.byteLength);
  return bytes;
}

/** Up to this size, a body is copied behind its head, to go out in one write. */
const COPY_WITH_HEAD_BYTES = 4096;

/** The head and the start of the body: one write, or two back to back (a platform may gather them). */
function writeWithHead(conn: Http1Connection, head: string, body: Uint8Array): Promise<void> {
  if (body.byteLength > COPY_WITH_HEAD_BYTES) {
    void conn.write(latin1Bytes(head)).catch(() => {});
    return conn.write(body);
  }
  const bytes = latin1Bytes(head, body.byteLength);
  bytes.set(body, head.length);
  return conn.write(bytes);
}

let dateSecond = -1;
let dateText = "";

/** The `Date` value, formatted once a second as nginx caches its time. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
