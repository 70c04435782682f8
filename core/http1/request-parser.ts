import type { HeaderPairs, RequestHead } from "../exchange.ts";
import { latin1String } from "./latin1.ts";

/** nginx's `large_client_header_buffers 4 8k`: one line must fit one buffer, the head all four. */
export const LARGE_HEADER_BUFFER_BYTES = 8192;
const MAX_HEAD_BYTES = 4 * LARGE_HEADER_BUFFER_BYTES;

/** What `parseRequestHead` made of the bytes so far. */
export type RequestHeadParse =
  /** A whole head, `length` bytes of it (its empty line included); the body follows. */
  | { readonly kind: "head"; readonly head: RequestHead; readonly length: number }
  /**
   * A head nginx refuses while reading it (400, 414, 494, 505): `head` is as much as could be
   * read, for the access log. An HTTP/0.9 request is answered without a status line.
   */
  | { readonly kind: "refused"; readonly status: number; readonly head: RequestHead }
  /** More bytes are needed. */
  | null;

const CR = 13;
const LF = 10;
const SP = 32;

/**
 * Reads a request head as nginx 1.22 reads it (`ngx_http_parse_request_line()`,
 * `ngx_http_parse_header_line()`; checked against a live nginx, docs/nginx-semantics.md 7.1):
 *
 * - empty lines before the request line are skipped; lines may end in LF alone;
 * - the method is `A`-`Z`, `_` and `-`; spaces may repeat between the parts;
 * - the target is any bytes above 0x20 but DEL, and starts with `/` or a scheme letter;
 * - `HTTP/` then a major version 1-999 (above 1: 505) and a minor one of up to three digits;
 *   no version at all is HTTP/0.9, which only GET may use, and which has no headers;
 * - a header name ends at `:`; a control byte or space in it (so also obs-fold) is 400, a line
 *   without a colon is a name with an empty value; the value loses its spaces (not tabs) at both
 *   ends, and a NUL or a lone CR in it is 400. Names nginx calls invalid (`_`, `@`, bytes above
 *   0x7F) are kept here; the core drops them under `ignore_invalid_headers`.
 *
 * Line lengths are the core's to check (414, 494); this only refuses to wait for more than
 * nginx would buffer.
 */
export function parseRequestHead(bytes: Uint8Array): RequestHeadParse {
  let start = 0;
  while (start < bytes.length && (bytes[start] === CR || bytes[start] === LF)) start++;
  const lineEnd = bytes.indexOf(LF, start);
  if (lineEnd < 0) {
    return bytes.length - start > LARGE_HEADER_BUFFER_BYTES ? { kind: "refused", status: 414, head: partialHead(bytes) } : null;
  }
  const line = latin1String(bytes, start, lineEnd > start && bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd);
  const requestLine = parseRequestLine(line);
  if ("status" in requestLine) return { kind: "refused", status: requestLine.status, head: requestLine.head };
  if (requestLine.httpVersion === "0.9") return { kind: "head", head: requestLine, length: lineEnd + 1 };

  const headEnd = findHeadEnd(bytes, lineEnd);
  if (headEnd < 0) {
    return bytes.length > MAX_HEAD_BYTES ? { kind: "refused", status: 494, head: partialHead(bytes) } : null;
  }
  const headers: HeaderPairs = [];
  const valid = parseHeaderLines(latin1String(bytes, lineEnd + 1, headEnd), headers);
  // A refused head keeps the lines before the bad one: a Host among them picks the server that logs it.
  if (!valid) return { kind: "refused", status: 400, head: { ...requestLine, headers } };
  return { kind: "head", head: { ...requestLine, headers }, length: headEnd };
}

/** The index just past the empty line that ends the head, or -1. */
function findHeadEnd(bytes: Uint8Array, firstLf: number): number {
  let lf = firstLf;
  for (;;) {
    const next = lf + 1;
    if (bytes[next] === LF) return next + 1;
    if (bytes[next] === CR && bytes[next + 1] === LF) return next + 2;
    lf = bytes.indexOf(LF, next);
    if (lf < 0) return -1;
  }
}

type ParsedLine = RequestHead | { readonly status: number; readonly head: RequestHead };

function parseRequestLine(line: string): ParsedLine {
  const bad = (status = 400): ParsedLine => ({
    status,
    head: { method: "", target: "", httpVersion: "1.0", headers: [], requestLine: line },
  });
  let i = 0;
  while (i < line.length && isMethodChar(line.charCodeAt(i))) i++;
  if (i === 0 || line.charCodeAt(i) !== SP) return bad();
  const method = line.slice(0, i);
  while (line.charCodeAt(i) === SP) i++;
  const targetStart = i;
  const first = line.charCodeAt(i) | 0x20;
  if (line.charCodeAt(i) !== 0x2f && (first < 0x61 || first > 0x7a)) return bad();
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === SP) break;
    if (c < SP || c === 0x7f) return bad();
  }
  const target = line.slice(targetStart, i);
  while (line.charCodeAt(i) === SP) i++;
  if (i === line.length) {
    // HTTP/0.9: a simple request, GET only, answered without a status line.
    const head: RequestHead = { method, target, httpVersion: "0.9", headers: [], requestLine: line };
    return method === "GET" ? head : { status: 400, head };
  }
  if (!line.startsWith("HTTP/", i)) return bad();
  i += 5;
  const majorStart = i;
  while (isDigit(line.charCodeAt(i))) i++;
  const major = line.slice(majorStart, i);
  if (major.length === 0 || major.length > 3 || major.charCodeAt(0) === 0x30 || line.charCodeAt(i) !== 0x2e) return bad();
  const minorStart = ++i;
  while (isDigit(line.charCodeAt(i))) i++;
  const minor = line.slice(minorStart, i);
  if (minor.length === 0 || minor.length > 3) return bad();
  while (line.charCodeAt(i) === SP) i++;
  if (i !== line.length) return bad();
  // HTTP/1.10 is a later HTTP/1.1 to nginx; the core knows "1.0" and "1.1".
  const httpVersion = major !== "1" ? `${major}.${minor}` : Number(minor) === 0 ? "1.0" : "1.1";
  const head: RequestHead = { method, target, httpVersion, headers: [] };
  if (major !== "1") return { status: 505, head: { ...head, requestLine: line } };
  // $request is the line as sent; keep it only when it is not the plain form.
  return line.length === method.length + target.length + 10 && minor.length === 1 ? head : { ...head, requestLine: line };
}

/** Reads the header lines up to the empty one into `headers`; false at a line nginx answers with 400. */
function parseHeaderLines(text: string, headers: HeaderPairs): boolean {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    const next = end + 1;
    // A line may end in CRs before its LF; a CR anywhere else is 400.
    while (end > at && text.charCodeAt(end - 1) === CR) end--;
    if (end === at) break;
    const pair = parseHeaderLine(text, at, end);
    if (pair === null) return false;
    headers.push(pair);
    at = next;
  }
  return true;
}

function parseHeaderLine(text: string, start: number, end: number): [string, string] | null {
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) break;
    if (c <= SP || c === 0x7f) return null;
  }
  if (i === start) return null;
  const name = text.slice(start, i);
  if (i === end) return [name, ""];
  i++;
  while (i < end && text.charCodeAt(i) === SP) i++;
  let valueEnd = end;
  while (valueEnd > i && text.charCodeAt(valueEnd - 1) === SP) valueEnd--;
  for (let j = i; j < valueEnd; j++) {
    const c = text.charCodeAt(j);
    if (c === 0 || c === CR) return null;
  }
  return [name, text.slice(i, valueEnd)];
}

function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * As much of a head as arrived (one cut short by a timeout, or refused for its size), for the
 * access log: the request line's words and the complete header lines (a Host picks the server).
 */
export function partialHead(bytes: Uint8Array): RequestHead {
  const text = latin1String(bytes, 0, Math.min(bytes.byteLength, MAX_HEAD_BYTES));
  const end = text.indexOf("\r\n\r\n");
  const [line = "", ...rest] = (end < 0 ? text : text.slice(0, end)).replace(/^[\r\n]+/, "").split(/\r?\n/);
  if (end < 0) rest.pop();
  const headers: HeaderPairs = [];
  for (const l of rest) {
    const colon = l.indexOf(":");
    if (colon > 0) headers.push([l.slice(0, colon), l.slice(colon + 1).trim()]);
  }
  const [method = "", target = "", version = ""] = line.split(" ");
  return { method, target, httpVersion: version.replace("HTTP/", "") || "1.0", headers, requestLine: line };
}
