import type { BodyFraming, HeaderPairs, RequestHead } from "../exchange.ts";
import { isValidMethod, malformedField } from "./header-field.ts";

/**
 * A request head an HTTP/2 stream carried, or nginx's refusal of it, logged at info: an answer
 * (400, 405), or no answer at all: the stream reset (PROTOCOL_ERROR) for a malformed field, the
 * connection ended (GOAWAY with ENHANCE_YOUR_CALM) for a header block over the limits.
 */
export type Http2Head =
  | { readonly head: RequestHead }
  | { readonly refused: 400 | 405; readonly reason: string; readonly head: RequestHead }
  | { readonly reset: "stream" | "connection"; readonly reason: string };

/** What nginx reads of a header block besides the fields (`ngx_http_v2_state_header_block()`). */
export interface Http2HeadOptions {
  /** The HEADERS frame ended the stream: the request has no body. */
  readonly endStream: boolean;
  readonly underscoresInHeaders: boolean;
  readonly ignoreInvalidHeaders: boolean;
  /** `large_client_header_buffers`: the longest name or value, and the whole list's name and value bytes. */
  readonly maxFieldBytes: number;
  readonly maxHeaderBytes: number;
}

const PSEUDO = new Set([":method", ":scheme", ":path", ":authority"]);

/**
 * An HTTP/2 request as nginx 1.22 turns it into its request (`ngx_http_v2_state_process_header()`,
 * `ngx_http_v2_construct_request_line()`, `ngx_http_v2_construct_cookie_header()`):
 * `:method`, `:scheme` and `:path` are required and may not repeat, `:authority` becomes a
 * `host` header where it stood (so a `host` beside it is a duplicate Host, 400), `cookie`
 * fields are joined with "; " into one `cookie` header at the end, and names outside nginx's
 * set are dropped (`ignore_invalid_headers`). The framing is decided here once: no body when
 * the HEADERS frame ended the stream, the `content-length` when there is one, else a body of
 * unknown length that ends with the stream (nginx's `r->headers_in.chunked`).
 *
 * `raw` is the block as received, `[name, value, name, value, ...]`. What the platform's HTTP/2
 * layer should have refused already (upper-case names, CR, LF or NUL, connection-specific
 * fields, a repeated `content-length`) is refused again here, with nginx's method rules and its
 * refusal of CONNECT and TRACE: nothing read two ways reaches the HTTP/1 request upstream.
 */
export function http2RequestHead(raw: readonly string[], options: Http2HeadOptions): Http2Head {
  let method = "";
  let path = "";
  let scheme = "";
  const headers: HeaderPairs = [];
  const cookies: string[] = [];
  let contentLength: string | null = null;
  const refuse = (reason: string): Http2Head => ({ refused: 400, reason, head: headOf(method, path, headers, { kind: "none" }) });
  let headerBytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    // ngx_http_v2_state_field_len(), ngx_http_v2_state_process_header(); lengths as decoded.
    if (name.length > options.maxFieldBytes || value.length > options.maxFieldBytes) {
      return { reset: "connection", reason: "client sent too large header field" };
    }
    headerBytes += name.length + value.length;
    if (headerBytes > options.maxHeaderBytes) return { reset: "connection", reason: "client exceeded http2_max_header_size limit" };
    const malformed = malformedField(name, value);
    if (malformed !== null) return { reset: "stream", reason: malformed };
    if (name.startsWith(":")) {
      if (!PSEUDO.has(name)) return refuse(`client sent unknown pseudo-header "${name}"`);
      if (name === ":authority") {
        headers.push(["host", value]);
        continue;
      }
      const prior = name === ":method" ? method : name === ":path" ? path : scheme;
      if (prior !== "") return refuse(`client sent duplicate ${name} header`);
      if (name === ":method") method = value;
      else if (name === ":path") path = value;
      else scheme = value;
      continue;
    }
    if (!isValidName(name, options.underscoresInHeaders)) {
      if (options.ignoreInvalidHeaders) continue;
    }
    if (name === "cookie") cookies.push(value);
    else {
      if (name === "content-length") {
        if (contentLength !== null) return refuse(`client sent duplicate header line: "content-length: ${value}"`);
        contentLength = value;
      }
      headers.push([name, value]);
    }
  }
  if (method === "") return refuse("client sent no :method header");
  if (!isValidMethod(method)) return refuse(`client sent invalid method: "${method}"`);
  if (scheme === "") return refuse("client sent no :scheme header");
  if (path === "") return refuse("client sent no :path header");
  if (cookies.length > 0) headers.push(["cookie", cookies.join("; ")]);
  const hosts = headers.filter(([n]) => n === "host");
  if (hosts.length > 1) return refuse("client sent duplicate host header");
  if (hosts.length === 0) return refuse(`client sent HTTP/1.1 request without "Host" header`);
  const framing = framingOf(contentLength, options.endStream);
  if (framing === null) return refuse(`client sent invalid "Content-Length" header`);
  const head = headOf(method, path, headers, framing);
  // ngx_http_process_request_header(), as for HTTP/1 (core/http1/headers-in.ts): no tunnels,
  // and no TRACE, which would echo upstream what this proxy adds to the request.
  if (method === "CONNECT") return { refused: 405, reason: "client sent CONNECT method", head };
  if (method === "TRACE") return { refused: 405, reason: "client sent TRACE method", head };
  return { head };
}

function headOf(method: string, target: string, headers: HeaderPairs, framing: BodyFraming): RequestHead {
  return { method, target, httpVersion: "2.0", headers, framing, requestLine: `${method} ${target} HTTP/2.0` };
}

/** Letters, digits, `-`, and `_` when allowed; anything else makes a name "invalid" (`ngx_http_v2_validate_header()`). */
function isValidName(name: string, underscores: boolean): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || (c === 0x5f && underscores)) continue;
    return false;
  }
  return true;
}

function framingOf(contentLength: string | null, endStream: boolean): BodyFraming | null {
  if (contentLength !== null) {
    if (!/^\d{1,15}$/.test(contentLength)) return null;
    return { kind: "length", length: Number(contentLength) };
  }
  return endStream ? { kind: "none" } : { kind: "chunked" };
}
