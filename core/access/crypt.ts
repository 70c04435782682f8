import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import bcrypt from "bcryptjs";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/**
 * What a password gives with a stored hash's scheme and salt, as nginx's `ngx_crypt()` makes
 * it to compare with the stored one: `$apr1$`, `{PLAIN}`, `{SSHA}` and `{SHA}` are nginx's
 * own; the rest is libc's `crypt()`, of which edgeproxy has the schemes Debian's libxcrypt
 * verifies and htpasswd, openssl and mkpasswd write: `$1$` (MD5), `$5$`, `$6$` (SHA-256/512)
 * and `$2a$`, `$2b$`, `$2y$` (bcrypt). null for a scheme edgeproxy does not have (`$y$`
 * yescrypt, DES). Password and result are byte strings (one char per byte).
 *
 * Hashes come from @noble/hashes and bcryptjs: pure JavaScript, so the same code runs on every
 * runtime, Workers included, where node:crypto is not there (and has no crypt(3) anywhere).
 */
export function crypt(password: string, stored: string): string | null {
  if (stored.startsWith("$apr1$")) return md5Crypt(password, stored, "$apr1$");
  if (stored.startsWith("{PLAIN}")) return `{PLAIN}${password}`;
  if (stored.startsWith("{SSHA}")) return saltedSha1(password, stored);
  if (stored.startsWith("{SHA}")) return `{SHA}${encodeBase64(sha1(bytes(password)))}`;
  if (stored.startsWith("$1$")) return md5Crypt(password, stored, "$1$");
  if (stored.startsWith("$5$")) return shaCrypt(password, stored, "$5$");
  if (stored.startsWith("$6$")) return shaCrypt(password, stored, "$6$");
  if (/^\$2[aby]\$\d\d\$/.test(stored)) return bcryptHash(password, stored);
  return null;
}

/** A byte string's bytes. */
function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `{SSHA}`: base64 of SHA-1(password, salt) and the salt, the salt read from the stored value (`ngx_crypt_ssha()`). */
function saltedSha1(password: string, stored: string): string {
  const decoded = decodeBase64(stored.slice(6));
  const salt = decoded !== null && decoded.length >= 20 ? bytes(decoded.slice(20)) : new Uint8Array(0);
  const digest = sha1(concat(bytes(password), salt));
  return `{SSHA}${encodeBase64(concat(digest, salt))}`;
}

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `count` crypt-base64 characters of a 24-bit value, low bits first. */
function to64(value: number, count: number): string {
  let out = "";
  for (let v = value, n = count; n > 0; n--, v >>>= 6) out += ITOA64[v & 0x3f];
  return out;
}

/** The salt after a `$id$` prefix: up to `max` characters, ending at a `$`. */
function saltOf(rest: string, max: number): string {
  const end = rest.indexOf("$");
  return (end < 0 ? rest : rest.slice(0, end)).slice(0, max);
}

/** Poul-Henning Kamp's MD5 crypt, as `$1$` and Apache's `$apr1$` (`ngx_crypt_apr1()`) write it. */
function md5Crypt(password: string, stored: string, magic: string): string {
  const pw = bytes(password);
  const salt = saltOf(stored.slice(magic.length), 8);
  const s = bytes(salt);
  let final = md5(concat(pw, s, pw));
  const parts: Uint8Array[] = [pw, bytes(magic), s];
  for (let left = pw.length; left > 0; left -= 16) parts.push(final.subarray(0, Math.min(left, 16)));
  for (let i = pw.length; i; i >>>= 1) parts.push(i & 1 ? new Uint8Array(1) : pw.subarray(0, 1));
  final = md5(concat(...parts));
  for (let i = 0; i < 1000; i++) {
    const round: Uint8Array[] = [i & 1 ? pw : final];
    if (i % 3) round.push(s);
    if (i % 7) round.push(pw);
    round.push(i & 1 ? final : pw);
    final = md5(concat(...round));
  }
  const f = (i: number) => final[i] as number;
  let out = `${magic}${salt}$`;
  for (const [a, b, c] of [
    [0, 6, 12],
    [1, 7, 13],
    [2, 8, 14],
    [3, 9, 15],
    [4, 10, 5],
  ] as const) {
    out += to64((f(a) << 16) | (f(b) << 8) | f(c), 4);
  }
  return out + to64(f(11), 2);
}

/** The byte order of the `$5$` and `$6$` outputs, three bytes to four characters (Drepper's specification). */
const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
] as const;
/** `$6$`: byte i with i + 21 and i + 42, the three turned by i % 3 places: (0 21 42) (22 43 1) (44 2 23) ... */
const SHA512_ORDER = Array.from({ length: 21 }, (_, i) => {
  const group = [i, i + 21, i + 42];
  const t = i % 3;
  return [group[t], group[(t + 1) % 3], group[(t + 2) % 3]] as [number, number, number];
});

/** Ulrich Drepper's SHA-crypt, `$5$` and `$6$`, with `rounds=N$` (1000 to 999,999,999, default 5000). */
function shaCrypt(password: string, stored: string, magic: "$5$" | "$6$"): string {
  const hash = magic === "$5$" ? sha256 : sha512;
  const size = magic === "$5$" ? 32 : 64;
  let rest = stored.slice(3);
  let rounds = 5000;
  let roundsText = "";
  const custom = /^rounds=(\d+)\$/.exec(rest);
  if (custom) {
    rounds = Math.min(999_999_999, Math.max(1000, Number(custom[1])));
    roundsText = `rounds=${rounds}$`;
    rest = rest.slice(custom[0].length);
  }
  const salt = saltOf(rest, 16);
  const k = bytes(password);
  const s = bytes(salt);
  const b = hash(concat(k, s, k));
  const a: Uint8Array[] = [k, s];
  let cnt = k.length;
  for (; cnt > size; cnt -= size) a.push(b);
  a.push(b.subarray(0, cnt));
  for (cnt = k.length; cnt > 0; cnt >>>= 1) a.push(cnt & 1 ? b : k);
  let digest = hash(concat(...a));
  const p = repeatTo(hash(concat(...Array<Uint8Array>(k.length).fill(k))), k.length);
  const sRepeated = repeatTo(hash(concat(...Array<Uint8Array>(16 + (digest[0] as number)).fill(s))), s.length);
  for (let r = 0; r < rounds; r++) {
    const round: Uint8Array[] = [r & 1 ? p : digest];
    if (r % 3) round.push(sRepeated);
    if (r % 7) round.push(p);
    round.push(r & 1 ? digest : p);
    digest = hash(concat(...round));
  }
  const d = (i: number) => digest[i] as number;
  let out = `${magic}${roundsText}${salt}$`;
  for (const [x, y, z] of magic === "$5$" ? SHA256_ORDER : SHA512_ORDER) out += to64((d(x) << 16) | (d(y) << 8) | d(z), 4);
  return out + (magic === "$5$" ? to64((d(31) << 8) | d(30), 3) : to64(d(63), 2));
}

/** The first `length` bytes of `block` repeated. */
function repeatTo(block: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length] as number;
  return out;
}

/**
 * bcrypt with the stored value's cost and salt. bcryptjs takes a JavaScript string and hashes
 * its UTF-8: the password's bytes are read as UTF-8 first, so any password a client sends as
 * UTF-8 (or ASCII) hashes to its own bytes.
 */
function bcryptHash(password: string, stored: string): string | null {
  try {
    return bcrypt.hashSync(new TextDecoder().decode(bytes(password)), stored.slice(0, 29));
  } catch {
    return null;
  }
}
