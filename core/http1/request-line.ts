import type { RequestHead } from "../exchange.ts";
import { validateHost } from "../route/host.ts";

/** A request line nginx refuses: its status and log reason, and the line's words for the access log. */
export interface RefusedLine {
  readonly status: number;
  readonly reason: string;
  readonly head: RequestHead;
}

const SP = 0x20;
const NO_BODY = { kind: "none" } as const;

/**
 * Reads a request line (without its line end) as nginx 1.22 reads it
 * (`ngx_http_parse_request_line()`, then `ngx_http_process_request_uri()`; each rule checked
 * against a live nginx, docs/nginx-semantics.md 7.1):
 *
 * - the method is `A`-`Z`, `_` and `-`; spaces may repeat between the parts;
 * - the target is `/...`, or absolute: a scheme of letters, digits, `+`, `-`, `.`, then `://`,
 *   a host of letters, digits, `.` and `-` (or a bracketed IP literal), an optional port of
 *   digits, then `/`, `?` or the end; userinfo, other bytes and empty hosts are 400;
 * - no control byte or DEL anywhere in the target;
 * - `HTTP/` then a major version 1-999 (above 1: 505) and a minor one of up to three digits;
 *   no version at all is HTTP/0.9, which only GET may use, and which has no headers.
 */
export function parseRequestLine(line: string): RequestHead | RefusedLine {
  const bad = (reason = "client sent invalid request", status = 400): RefusedLine => ({
    status,
    reason,
    head: { method: "", target: "", httpVersion: "1.0", headers: [], requestLine: line, framing: NO_BODY },
  });
  let i = 0;
  while (i < line.length && isMethodChar(line.charCodeAt(i))) i++;
  if (i === 0 || line.charCodeAt(i) !== SP) return bad("client sent invalid method");
  const method = line.slice(0, i);
  while (line.charCodeAt(i) === SP) i++;
  const targetStart = i;
  const afterAuthority = line.charCodeAt(i) === 0x2f ? i : readAuthority(line, i);
  if (afterAuthority < 0) return bad(afterAuthority === HOST_INVALID ? "client sent invalid host in request line" : undefined);
  for (i = afterAuthority; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === SP) break;
    if (c < SP || c === 0x7f) return bad();
  }
  const target = line.slice(targetStart, i);
  while (line.charCodeAt(i) === SP) i++;
  if (i === line.length) {
    // HTTP/0.9: a simple request, GET only, answered without a status line.
    const head: RequestHead = { method, target, httpVersion: "0.9", headers: [], requestLine: line, framing: NO_BODY };
    return method === "GET" ? head : { status: 400, reason: "client sent invalid method in HTTP/0.9 request", head };
  }
  const version = readVersion(line, i);
  if (version === null) return bad();
  const head: RequestHead = { method, target, httpVersion: version.httpVersion, headers: [], framing: NO_BODY };
  if (version.httpVersion !== "1.0" && version.httpVersion !== "1.1") {
    return { status: 505, reason: "client sent unsupported HTTP version", head: { ...head, requestLine: line } };
  }
  // $request is the line as sent; keep it only when it is not the plain form.
  return line.length === method.length + target.length + 10 && version.isPlain ? head : { ...head, requestLine: line };
}

const INVALID = -1;
const HOST_INVALID = -2;

/**
 * An absolute-form target from `i`: `scheme://host[:port]` (nginx's sw_schema to sw_port
 * states). Returns where the path, query or end begins, or a negative code.
 */
function readAuthority(line: string, start: number): number {
  let i = start;
  if (!isLetter(line.charCodeAt(i))) return INVALID;
  while (isSchemeChar(line.charCodeAt(i))) i++;
  if (!line.startsWith("://", i)) return INVALID;
  i += 3;
  const hostStart = i;
  if (line.charCodeAt(i) === 0x5b) {
    for (i++; i < line.length && line.charCodeAt(i) !== 0x5d; i++) {
      if (!isLiteralChar(line.charCodeAt(i))) return INVALID;
    }
    if (i === line.length) return INVALID;
    i++;
  } else {
    while (isHostChar(line.charCodeAt(i))) i++;
  }
  const hostEnd = i;
  if (line.charCodeAt(i) === 0x3a) {
    for (i++; isDigit(line.charCodeAt(i)); i++);
  }
  // Only a path, a query or the space before the version may follow (the line may not end here).
  const c = line.charCodeAt(i);
  if (c !== 0x2f && c !== 0x3f && c !== SP) return INVALID;
  return validateHost(line.slice(hostStart, hostEnd)) === null ? HOST_INVALID : i;
}

/** `HTTP/major.minor` from `i` to the end of the line, trailing spaces allowed. */
function readVersion(line: string, start: number): { httpVersion: string; isPlain: boolean } | null {
  if (!line.startsWith("HTTP/", start)) return null;
  let i = start + 5;
  const majorStart = i;
  while (isDigit(line.charCodeAt(i))) i++;
  const major = line.slice(majorStart, i);
  if (major.length === 0 || major.length > 3 || major.charCodeAt(0) === 0x30 || line.charCodeAt(i) !== 0x2e) return null;
  const minorStart = ++i;
  while (isDigit(line.charCodeAt(i))) i++;
  const minor = line.slice(minorStart, i);
  if (minor.length === 0 || minor.length > 3) return null;
  const isPlain = i === line.length && minor.length === 1;
  while (line.charCodeAt(i) === SP) i++;
  if (i !== line.length) return null;
  // HTTP/1.10 is a later HTTP/1.1 to nginx; the core knows "1.0" and "1.1".
  const httpVersion = major !== "1" ? `${major}.${minor}` : Number(minor) === 0 ? "1.0" : "1.1";
  return { httpVersion, isPlain };
}

function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

function isSchemeChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e;
}

function isHostChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 0x2e || c === 0x2d;
}

/** Inside `[...]`: letters, digits, `:`, unreserved and sub-delims (sw_host_ip_literal). */
function isLiteralChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || ":-._~!$&'()*+,;=".includes(String.fromCharCode(c));
}
