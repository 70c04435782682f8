/**
 * `ngx_http_validate_host()` of nginx 1.22 (docs/nginx-semantics.md 7.2): the host part of a
 * Host header or absolute-form authority, lower-cased, one trailing dot and the port removed.
 * Returns null for a host nginx refuses with 400.
 */
export function validateHost(value: string): string | null {
  let hostLength = value.length;
  let dotAt = -1;
  let state: "usual" | "literal" | "rest" = "usual";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2e) {
      if (dotAt === i - 1) return null;
      dotAt = i;
    } else if (c === 0x3a) {
      if (state === "usual") {
        hostLength = i;
        state = "rest";
      }
    } else if (c === 0x5b) {
      if (i === 0) state = "literal";
    } else if (c === 0x5d) {
      if (state === "literal") {
        hostLength = i + 1;
        state = "rest";
      }
    } else if (c === 0x2f || c <= 0x20 || c === 0x7f) {
      return null;
    }
  }
  if (dotAt === hostLength - 1) hostLength--;
  if (hostLength <= 0) return null;
  return value.slice(0, hostLength).toLowerCase();
}
