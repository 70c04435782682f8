/**
 * `ngx_http_validate_host()` as current nginx has it (1.29.4; docs/nginx-semantics.md 7.2): the
 * host part of a Host header or absolute-form authority, lower-cased, one trailing dot and the
 * port removed. Returns null for a host nginx refuses with 400.
 *
 * nginx 1.22 let any byte above a space but `/` through and never looked at the port; a Host
 * that carries `<`, `"` or `\` reaches logs, redirects and upstreams, so edgeproxy follows the
 * newer rule: a registered name of RFC 3986 characters (`%` included, unreserved and
 * sub-delims), or a bracketed IP literal, then an optional decimal port up to 65535.
 */
export function validateHost(value: string): string | null {
  let i = 0;
  let hostEnd: number;
  if (value.charCodeAt(0) === 0x5b) {
    const close = value.indexOf("]");
    if (close < 2) return null;
    for (i = 1; i < close; i++) if (!isLiteralChar(value.charCodeAt(i))) return null;
    hostEnd = close + 1;
    i = hostEnd;
  } else {
    let lastDot = -2;
    for (; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x3a) break;
      if (c === 0x2e) {
        if (lastDot === i - 1) return null;
        lastDot = i;
      } else if (!isNameChar(c)) return null;
    }
    hostEnd = lastDot === i - 1 ? i - 1 : i;
  }
  if (i < value.length && !isPort(value, i)) return null;
  if (hostEnd <= 0) return null;
  return value.slice(0, hostEnd).toLowerCase();
}

/** `:` then up to five digits whose value is at most 65535 (an empty port is allowed, as RFC 3986). */
function isPort(value: string, colon: number): boolean {
  if (value.charCodeAt(colon) !== 0x3a) return false;
  const digits = value.length - colon - 1;
  if (digits > 5) return false;
  for (let i = colon + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return digits === 0 || Number(value.slice(colon + 1)) <= 65535;
}

/** RFC 3986 reg-name: unreserved, sub-delims and `%` (escapes are kept as they came). */
function isNameChar(c: number): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  // - . _ ~ ! $ & ' ( ) * + , ; = %
  return c === 0x2d || c === 0x5f || c === 0x7e || c === 0x21 || c === 0x24 || (c >= 0x25 && c <= 0x2c) || c === 0x3b || c === 0x3d;
}

/** Inside `[...]`: an IPv6 or IPvFuture address (hex digits, letters, `:`, `.`, unreserved, sub-delims). */
function isLiteralChar(c: number): boolean {
  return isNameChar(c) || c === 0x3a || c === 0x2e;
}
