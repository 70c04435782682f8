import type { HeaderPairs } from "../exchange.ts";

/** A parsed upstream response head and how its body is framed. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** `"1.0"`, `"1.1"`, or `"0.9"` for a reply without a status line. */
  readonly httpVersion: string;
  readonly headers: HeaderPairs;
  readonly framing: ResponseFraming;
  /** The upstream allows reuse: HTTP/1.1 without `Connection: close`. */
  readonly isPersistent: boolean;
  /** Bytes of the head, terminator included; the body starts after them. */
  readonly headLength: number;
}

/** How the response body ends (RFC 9112 §6.3). */
export type ResponseFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

/** Why a head could not be used: nginx's `invalid_header` and "too big header". */
export type HeadError = { readonly kind: "invalid"; readonly detail: string };

const STATUS_LINE = /^HTTP\/(\d)\.(\d)[ \t]+(\d{3})(?:[ \t]([^\r\n]*))?$/;

/** RFC 9110 token characters, the only ones a header name may have. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/**
 * Parses a response head from `buf` (a byte string: one char per byte). Returns null while the
 * head is incomplete, an error for a head nginx would call invalid, or the parsed head.
 * A reply that does not start with `HTTP/` is HTTP/0.9 (nginx: status 200, body until close).
 * Lines are scanned by hand, not split by a regular expression: this runs for every response.
 */
export function parseResponseHead(buf: string, isHeadRequest: boolean, maxBytes: number): ResponseHead | HeadError | null {
  if (buf.length >= 5 && !buf.startsWith("HTTP/")) return http09();
  if (buf.length < 5 && !"HTTP/".startsWith(buf)) return http09();
  let end = buf.indexOf("\r\n\r\n");
  let sep = 4;
  const bare = buf.indexOf("\n\n");
  if (bare >= 0 && (end < 0 || bare < end)) {
    end = bare;
    sep = 2;
  }
  if (end < 0) {
    return buf.length > maxBytes ? { kind: "invalid", detail: "upstream sent too big header" } : null;
  }
  if (end + sep > maxBytes) return { kind: "invalid", detail: "upstream sent too big header" };
  const firstEnd = lineEnd(buf, 0, end);
  const m = STATUS_LINE.exec(buf.slice(0, stripCr(buf, 0, firstEnd)));
  if (!m) return { kind: "invalid", detail: "upstream sent no valid HTTP/1.0 header" };
  const version = `${m[1]}.${m[2]}`;
  const status = Number(m[3]);
  const headers: HeaderPairs = [];
  let contentLength: number | null = null;
  let chunked = false;
  let close = version !== "1.1";
  for (let at = firstEnd + 1; at < end; ) {
    const next = lineEnd(buf, at, end);
    const lineStop = stripCr(buf, at, next);
    const colon = buf.indexOf(":", at);
    if (colon <= at || colon >= lineStop || !isToken(buf, at, colon)) return { kind: "invalid", detail: "upstream sent invalid header" };
    const name = buf.slice(at, colon);
    const value = trimmed(buf, colon + 1, lineStop);
    at = next + 1;
    const lower = name.length === 14 || name.length === 17 || name.length === 10 ? name.toLowerCase() : "";
    if (lower === "content-length") {
      // nginx 1.22 drops a Content-Length it cannot parse (1.23 made it invalid_header).
      if (!/^\d+$/.test(value)) continue;
      contentLength = Number(value);
    } else if (lower === "transfer-encoding") {
      chunked = /(^|,)\s*chunked\s*$/i.test(value);
    } else if (lower === "connection") {
      if (/(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
      else if (/(^|,)\s*keep-alive\s*(,|$)/i.test(value) && version === "1.0") close = true;
    }
    headers.push([name, value]);
  }
  let framing: ResponseFraming;
  if (isHeadRequest || status === 204 || status === 304 || (status >= 100 && status < 200)) framing = { kind: "none" };
  else if (chunked) framing = { kind: "chunked" };
  else if (contentLength !== null) framing = { kind: "length", length: contentLength };
  else framing = { kind: "close" };
  return {
    status,
    reason: m[4] ?? "",
    httpVersion: version,
    headers,
    framing,
    isPersistent: !close && framing.kind !== "close",
    headLength: end + sep,
  };
}

/** Where the line starting at `from` ends: its LF, or `end`. */
function lineEnd(buf: string, from: number, end: number): number {
  const lf = buf.indexOf("\n", from);
  return lf < 0 || lf > end ? end : lf;
}

/** A line's end without the CR before its LF. */
function stripCr(buf: string, from: number, stop: number): number {
  return stop > from && buf.charCodeAt(stop - 1) === 13 ? stop - 1 : stop;
}

function isToken(buf: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf.charCodeAt(i);
    if (c > 127 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/** `buf[from, to)` without the spaces and tabs around it (nginx trims no other whitespace). */
function trimmed(buf: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && (buf.charCodeAt(a) === 32 || buf.charCodeAt(a) === 9)) a++;
  while (b > a && (buf.charCodeAt(b - 1) === 32 || buf.charCodeAt(b - 1) === 9)) b--;
  return buf.slice(a, b);
}

function http09(): ResponseHead {
  return { status: 200, reason: "OK", httpVersion: "0.9", headers: [], framing: { kind: "close" }, isPersistent: false, headLength: 0 };
}
