import type { BodyFraming, HeaderPairs, RequestHead } from "../exchange.ts";

/** A request head an HTTP/2 stream carried, or nginx's refusal of it (400, logged at info). */
export type Http2Head = { readonly head: RequestHead } | { readonly refused: 400; readonly reason: string; readonly head: RequestHead };

/** What nginx reads of a header block besides the fields (`ngx_http_v2_state_header_block()`). */
export interface Http2HeadOptions {
  /** The HEADERS frame ended the stream: the request has no body. */
  readonly endStream: boolean;
  readonly underscoresInHeaders: boolean;
  readonly ignoreInvalidHeaders: boolean;
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
 * `raw` is the block as received, `[name, value, name, value, ...]`, names lower-case (the
 * platform's HTTP/2 layer has refused upper-case names and connection-specific fields already).
 */
export function http2RequestHead(raw: readonly string[], options: Http2HeadOptions): Http2Head {
  let method = "";
  let path = "";
  let scheme = "";
  const headers: HeaderPairs = [];
  const cookies: string[] = [];
  let contentLength: string | null = null;
  const refuse = (reason: string): Http2Head => ({ refused: 400, reason, head: headOf(method, path, headers, { kind: "none" }) });
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
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
      if (name === "content-length") contentLength = value;
      headers.push([name, value]);
    }
  }
  if (method === "") return refuse("client sent no :method header");
  if (scheme === "") return refuse("client sent no :scheme header");
  if (path === "") return refuse("client sent no :path header");
  if (cookies.length > 0) headers.push(["cookie", cookies.join("; ")]);
  const hosts = headers.filter(([n]) => n === "host");
  if (hosts.length > 1) return refuse("client sent duplicate host header");
  if (hosts.length === 0) return refuse(`client sent HTTP/1.1 request without "Host" header`);
  const framing = framingOf(contentLength, options.endStream);
  if (framing === null) return refuse(`client sent invalid "Content-Length" header`);
  return { head: headOf(method, path, headers, framing) };
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
