/**
 * Fields of an HTTP/2 request that make the stream malformed, as nginx's
 * `ngx_http_v2_validate_header()` and RFC 9113 §8.2 read them. The platform's HTTP/2 layer
 * refuses or drops most of these already; the core checks again so that no platform that lets
 * one through can carry it into an HTTP/1 request upstream.
 */

/** Connection-specific fields HTTP/2 does not carry (RFC 9113 §8.2.2); `te` only as `trailers`. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * Why a field makes the request malformed, or null: a name with an upper-case letter, `:`
 * (past the first byte), CR, LF or NUL, a value with CR, LF or NUL (nginx resets the stream for
 * these whatever `ignore_invalid_headers` says), or a connection-specific field.
 */
export function malformedField(name: string, value: string): string | null {
  for (let i = name.startsWith(":") ? 1 : 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d || c === 0x3a || (c >= 0x41 && c <= 0x5a)) return `client sent invalid header name: "${name}"`;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return `client sent header "${name}" with invalid value`;
  }
  if (CONNECTION_SPECIFIC.has(name) || (name === "te" && value !== "trailers")) {
    return `client sent connection-specific header "${name}"`;
  }
  return null;
}

/**
 * Whether `:method` is a method nginx reads (`ngx_http_v2_parse_method()`): `A`-`Z`, `_` and
 * `-`. A lower-case or otherwise odd token would reach the upstream as a method this proxy's
 * own rules (`limit_except`, `$request_method`) did not see.
 */
export function isValidMethod(method: string): boolean {
  if (method === "") return false;
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if ((c < 0x41 || c > 0x5a) && c !== 0x5f && c !== 0x2d) return false;
  }
  return true;
}
