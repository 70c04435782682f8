import type { HeaderPairs } from "../exchange.ts";
import { quoteBadLine } from "./bad-byte.ts";
import { latin1String } from "./latin1.ts";

/** A parsed upstream response head and how its body is framed. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** `"1.0"`, or `"1.1"` for any later version. */
  readonly httpVersion: string;
  readonly headers: HeaderPairs;
  readonly framing: ResponseFraming;
  /** What the client is told of the length: see `UpstreamResult.contentLength`. */
  readonly contentLength: number | null;
  /** The upstream allows reuse: HTTP/1.1 without `Connection: close`, and a body that ends by itself. */
  readonly isPersistent: boolean;
}

/** How the response body ends (RFC 9112 §6.3). */
export type ResponseFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

/** What the parser made of the bytes so far. */
export type ResponseHeadRead =
  /** The final head, and the bytes after it (the body's start). */
  | { readonly kind: "head"; readonly head: ResponseHead; readonly rest: Uint8Array }
  /** nginx's `invalid_header`, with its error-log detail. */
  | { readonly kind: "invalid"; readonly detail: string }
  /** The upstream closed before the head was whole: nginx's `error`. */
  | { readonly kind: "closed"; readonly detail: string }
  /** More bytes are needed. */
  | null;

const CR = 13;
const LF = 10;
const NO_BYTES = new Uint8Array(0);

/**
 * Reads an upstream response head incrementally, as nginx's proxy module does
 * (`ngx_http_parse_status_line()`, `ngx_http_parse_header_line()`), with current nginx's checks
 * of the framing headers (1.23.0; nginx 1.22 relayed what they said, which let one upstream
 * response be read two ways):
 *
 * - a reply without a status line nginx reads is `invalid_header`, known at its first byte
 *   that cannot belong to one: nginx relays such a reply raw as HTTP/0.9, and to an HTTP/1.x
 *   client raw bytes can be read as a response, or two, of the upstream's making;
 * - header lines end at LF (CRs before it dropped); a name is any bytes above a space but `:`
 *   and DEL; a NUL, or a CR not followed by the line end, in a value is `invalid_header`, and so
 *   is a line that starts with a space (obs-fold) or holds only CRs;
 * - two `Content-Length`s, one that is not a number, two `Transfer-Encoding`s, one other than
 *   `chunked`, or both headers at once: `invalid_header`;
 * - interim 1xx answers but 101 are skipped; the whole of it must fit `proxy_buffer_size`.
 */
export class ResponseHeadParser {
  readonly #maxBytes: number;
  readonly #isHeadRequest: boolean;
  /** Our copy of what arrived before the head was whole; null while nothing is pending. */
  #own: Uint8Array | null = null;
  #ownLength = 0;
  #scanned = 0;
  /** Index, in the pending bytes, where the current line starts. */
  #lineStart = 0;
  /** Bytes of heads (interim ones included) consumed before the pending bytes. */
  #consumed = 0;
  #status: StatusLine | null = null;
  #headers: HeaderPairs = [];
  #contentLength: string | null = null;
  #transferEncoding: string | null = null;
  #close = false;

  /** `maxBytes` is `proxy_buffer_size`; a HEAD answer has no body whatever its headers say. */
  constructor(maxBytes: number, isHeadRequest: boolean) {
    this.#maxBytes = maxBytes;
    this.#isHeadRequest = isHeadRequest;
  }

  /** Feeds received bytes. */
  push(chunk: Uint8Array): ResponseHeadRead {
    const work = this.#append(chunk);
    let at = this.#scanned;
    for (;;) {
      const lf = work.indexOf(LF, at);
      if (lf < 0 || this.#consumed + lf >= this.#maxBytes) return this.#wait(work);
      const result = this.#line(work, this.#lineStart, lf);
      this.#lineStart = lf + 1;
      at = lf + 1;
      if (result === null) continue;
      if (result !== "done") return result;
      const head = this.#head();
      if ("detail" in head) return head;
      const rest = at < work.byteLength ? work.subarray(at) : NO_BYTES;
      // Interim answers (100 Continue, 103 Early Hints) are skipped: the final head follows.
      if (head.status >= 100 && head.status < 200 && head.status !== 101) return this.#interim(at, rest);
      this.#own = null;
      return { kind: "head", head, rest };
    }
  }

  /**
   * The upstream closed before the head was whole: nginx's `error` ("upstream prematurely
   * closed connection"), retried as one. A reply that was not HTTP at all was decided earlier.
   */
  end(): ResponseHeadRead {
    return { kind: "closed", detail: "upstream prematurely closed connection" };
  }

  #append(chunk: Uint8Array): Uint8Array {
    if (this.#ownLength === 0) return chunk;
    const needed = this.#ownLength + chunk.byteLength;
    let own = this.#own as Uint8Array;
    if (own.byteLength < needed) {
      const grown = new Uint8Array(Math.max(needed, own.byteLength * 2));
      grown.set(own.subarray(0, this.#ownLength));
      own = grown;
      this.#own = own;
    }
    own.set(chunk, this.#ownLength);
    this.#ownLength = needed;
    return own.subarray(0, needed);
  }

  /** No LF yet (or past the buffer): keep what arrived, or refuse a head that cannot fit. */
  #wait(work: Uint8Array): ResponseHeadRead {
    // nginx reads the status line byte by byte, so a bad one is known before its line ends.
    if (this.#status === null && !couldBeStatusLine(latin1String(work, 0, Math.min(work.byteLength, 64)))) {
      return { kind: "invalid", detail: "upstream sent no valid HTTP/1.0 header" };
    }
    if (this.#consumed + work.byteLength > this.#maxBytes) {
      return { kind: "invalid", detail: "upstream sent too big header" };
    }
    if (this.#own === null || work.buffer !== this.#own.buffer) {
      this.#own = new Uint8Array(Math.max(work.byteLength * 2, 256));
      this.#own.set(work);
    }
    this.#ownLength = work.byteLength;
    this.#scanned = work.byteLength;
    return null;
  }

  /** An interim 1xx head took `length` bytes: the next head starts in `rest`. */
  #interim(length: number, rest: Uint8Array): ResponseHeadRead {
    this.#consumed += length;
    this.#own = null;
    this.#ownLength = 0;
    this.#scanned = 0;
    this.#lineStart = 0;
    this.#status = null;
    this.#headers = [];
    this.#contentLength = null;
    this.#transferEncoding = null;
    this.#close = false;
    return rest.byteLength > 0 ? this.push(rest) : null;
  }

  #line(work: Uint8Array, start: number, lf: number): ResponseHeadRead | "done" | null {
    let end = lf;
    while (end > start && work[end - 1] === CR) end--;
    const text = latin1String(work, start, end);
    if (this.#status === null) {
      const status = lf - end <= 1 ? readStatusLine(text) : null;
      if (status === null) return { kind: "invalid", detail: "upstream sent no valid HTTP/1.0 header" };
      this.#status = status;
      this.#close = status.httpVersion !== "1.1";
      return null;
    }
    if (end === start) {
      if (lf - start <= 1) return "done";
      return invalidHeader("\r", 0);
    }
    // IIS may repeat its status line among the headers; nginx skips it.
    if (text.startsWith("HTTP/")) return null;
    return this.#header(text);
  }

  #header(text: string): ResponseHeadRead | null {
    const colon = text.indexOf(":");
    const nameEnd = colon < 0 ? text.length : colon;
    if (nameEnd === 0) return invalidHeader(text, 0);
    for (let i = 0; i < nameEnd; i++) {
      const c = text.charCodeAt(i);
      if (c <= 0x20 || c === 0x7f) return invalidHeader(text, i);
    }
    const name = text.slice(0, nameEnd);
    let from = colon < 0 ? text.length : colon + 1;
    while (from < text.length && text.charCodeAt(from) === 0x20) from++;
    let to = text.length;
    while (to > from && text.charCodeAt(to - 1) === 0x20) to--;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 0 || c === CR) return invalidHeader(text, i);
    }
    const value = text.slice(from, to);
    const framing = this.#framingHeader(name, value);
    if (framing) return framing;
    this.#headers.push([name, value]);
    return null;
  }

  /** Notes the headers that frame the body or end the connection; refuses those nginx refuses. */
  #framingHeader(name: string, value: string): ResponseHeadRead | null {
    if (name.length !== 14 && name.length !== 17 && name.length !== 10) return null;
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (this.#contentLength !== null) return { kind: "invalid", detail: `upstream sent duplicate header line: "${name}: ${value}"` };
      if (!/^\d{1,15}$/.test(value))
        return { kind: "invalid", detail: `upstream sent invalid "Content-Length" header: "${name}: ${value}"` };
      this.#contentLength = value;
    } else if (lower === "transfer-encoding") {
      if (this.#transferEncoding !== null) return { kind: "invalid", detail: `upstream sent duplicate header line: "${name}: ${value}"` };
      if (value.toLowerCase() !== "chunked") return { kind: "invalid", detail: `upstream sent unknown "Transfer-Encoding": "${value}"` };
      this.#transferEncoding = value;
    } else if (lower === "connection" && value.toLowerCase().includes("close")) {
      this.#close = true;
    }
    return null;
  }

  #head(): ResponseHead | { kind: "invalid"; detail: string } {
    const status = this.#status as StatusLine;
    const length = this.#contentLength === null ? null : Number(this.#contentLength);
    const chunked = this.#transferEncoding !== null;
    if (chunked && length !== null) {
      return { kind: "invalid", detail: `upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time` };
    }
    const code = status.status;
    let framing: ResponseFraming;
    let contentLength: number | null = null;
    if (this.#isHeadRequest || code === 204 || code === 304 || code < 200) {
      framing = { kind: "none" };
      // A HEAD or 304 answer tells the size the full answer has; a 204 has none (1.23's header filter).
      contentLength = code === 204 || code < 200 ? null : length;
    } else if (chunked) framing = { kind: "chunked" };
    else if (length !== null) {
      framing = { kind: "length", length };
      contentLength = length;
    } else framing = { kind: "close" };
    return {
      ...status,
      headers: this.#headers,
      framing,
      contentLength,
      isPersistent: !this.#close && framing.kind !== "close" && code !== 101,
    };
  }
}

/** A status line as read: the code, the reason phrase, and `"1.0"` or `"1.1"` (any later version). */
interface StatusLine {
  readonly status: number;
  readonly reason: string;
  readonly httpVersion: string;
}

const STATUS_LINE = /^HTTP\/([1-9]\d?)\.(\d{1,2}) +(\d{3})(?:([ .])(.*))?$/;
const STATUS_LINE_PREFIX = /^(?:H(?:T(?:T(?:P(?:\/(?:[1-9](?:\d?(?:\.(?:\d(?:\d?(?: +(?:\d{1,3}(?:[ .].*)?)?)?)?)?)?)?)?)?)?)?)?)?$/;

/**
 * `HTTP/major.minor SP+ NNN [SP reason]` as `ngx_http_parse_status_line()` takes it: a major
 * version 1-99 and a minor one up to 99, spaces before exactly three status digits, then a
 * space (IIS's `403.1` dot too) or the end. Null for anything else.
 */
function readStatusLine(line: string): StatusLine | null {
  const m = STATUS_LINE.exec(line);
  if (!m) return null;
  const isHttp10 = m[1] === "1" && Number(m[2]) === 0;
  return { status: Number(m[3]), reason: m[4] === " " ? (m[5] as string) : "", httpVersion: isHttp10 ? "1.0" : "1.1" };
}

/** Whether these first bytes of a reply can still become a status line nginx reads. */
function couldBeStatusLine(start: string): boolean {
  const lf = start.indexOf("\n");
  const line = lf < 0 ? start : start.slice(0, lf);
  return STATUS_LINE_PREFIX.test(line.replace(/\r+$/, ""));
}

/** nginx's line for a header it cannot parse (`ngx_http_proxy_process_header()`). */
function invalidHeader(line: string, at: number): ResponseHeadRead {
  return { kind: "invalid", detail: `upstream sent invalid header: "${quoteBadLine(line, at)}"` };
}
