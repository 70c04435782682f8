/**
 * A client certificate's fields in the forms nginx's `$ssl_client_*` variables give them
 * (`ngx_ssl_get_subject_dn()`, `ngx_ssl_get_certificate()`, ...), from the one-entry-a-line
 * names platforms print (OpenSSL's `XN_FLAG_SEP_MULTILINE`, values already RFC 2253-escaped).
 */

const utf8 = new TextEncoder();

/** `$ssl_client_s_dn`: RFC 2253, most specific entry first, bytes above ASCII as `\XX` (`XN_FLAG_RFC2253`). */
export function rfc2253Name(lines: string): string {
  return entries(lines)
    .reverse()
    .map((entry) => escapeHigh(entry))
    .join(",");
}

/** `$ssl_client_s_dn_legacy`: OpenSSL's `X509_NAME_oneline()`, `/C=US/O=Org/CN=client`. */
export function legacyName(lines: string): string {
  return entries(lines)
    .map((entry) => `/${entry.replace(/\\(.)/g, "$1")}`)
    .join("");
}

function entries(lines: string): string[] {
  return lines.split("\n").filter((line) => line !== "");
}

function escapeHigh(text: string): string {
  let out = "";
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) out += ch;
    else for (const byte of utf8.encode(ch)) out += `\\${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** `$ssl_client_cert`: the PEM with a tab after every inner line end, as a header value could carry it. */
export function tabbedPem(pem: string): string {
  const body = pem.endsWith("\n") ? pem.slice(0, -1) : pem;
  return `${body.replaceAll("\n", "\n\t")}\n`;
}

/**
 * Bytes `ngx_escape_uri(..., NGX_ESCAPE_URI_COMPONENT)` leaves as they are: letters, digits and
 * `!'()*-._~`.
 */
const URI_COMPONENT_SAFE = /[A-Za-z0-9!'()*\-._~]/;

/** `$ssl_client_escaped_cert`: the PEM, URI-component escaped. */
export function escapedPem(pem: string): string {
  let out = "";
  for (const ch of pem) {
    if (URI_COMPONENT_SAFE.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** `$ssl_client_v_remain`: whole days left, 0 once expired. */
export function remainingDays(validToMs: number, nowMs: number): string {
  return String(Math.max(0, Math.floor((validToMs - nowMs) / 86_400_000)));
}
