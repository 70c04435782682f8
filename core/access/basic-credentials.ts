import type { RequestHead } from "../exchange.ts";
import { findHeader } from "../shape/request-context.ts";
import { decodeBase64 } from "./base64.ts";

/** The user and password of a Basic `Authorization` header, as byte strings. */
export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * The request's Basic credentials as `ngx_http_auth_basic_user()` reads them: `Basic` in any
 * case, spaces, base64 (nginx's reading: up to `=`, nothing outside the alphabet), then a user
 * of at least one byte before the first `:`. null for anything else. The password ends at a
 * NUL byte, as nginx passes it to crypt() as a C string.
 */
export function basicCredentials(head: RequestHead): BasicCredentials | null {
  const value = findHeader(head, "authorization");
  if (value === undefined || value.length < 6 || value.slice(0, 6).toLowerCase() !== "basic ") return null;
  let at = 6;
  while (value.charCodeAt(at) === 32) at++;
  if (at === value.length) return null;
  const decoded = decodeBase64(value.slice(at));
  if (decoded === null) return null;
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  const password = decoded.slice(colon + 1);
  const nul = password.indexOf("\0");
  return { user: decoded.slice(0, colon), password: nul < 0 ? password : password.slice(0, nul) };
}

/**
 * The password field of `user` in an htpasswd file, read as nginx's auth_basic reads it: lines
 * starting `#` or CR are skipped, a line `user:` gives what follows up to a CR, LF or `:`.
 * null when no line has the user.
 */
export function findPassword(file: string, user: string): string | null {
  const want = `${user}:`;
  let at = 0;
  while (at < file.length) {
    const c = file.charCodeAt(at);
    if (c === 10) {
      at++;
      continue;
    }
    if (c !== 35 && c !== 13 && file.startsWith(want, at)) {
      const start = at + want.length;
      let end = start;
      while (end < file.length && !isFieldEnd(file.charCodeAt(end))) end++;
      return file.slice(start, end);
    }
    const next = file.indexOf("\n", at);
    at = next < 0 ? file.length : next + 1;
  }
  return null;
}

function isFieldEnd(c: number): boolean {
  return c === 10 || c === 13 || c === 58;
}
