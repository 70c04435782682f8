const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * Base64 as `ngx_decode_base64()` reads it: the text up to its first `=` (the rest ignored),
 * each byte of it in the alphabet, and not one byte over a multiple of four; the bytes as a
 * byte string (one char per byte), or null.
 */
export function decodeBase64(text: string): string | null {
  let end = text.indexOf("=");
  if (end < 0) end = text.length;
  for (let i = 0; i < end; i++) if (VALUES[text.charCodeAt(i) & 0xff] === -1 || text.charCodeAt(i) > 0xff) return null;
  if (end % 4 === 1) return null;
  let out = "";
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const n = (at(text, i) << 18) | (at(text, i + 1) << 12) | (at(text, i + 2) << 6) | at(text, i + 3);
    out += String.fromCharCode(n >>> 16, (n >>> 8) & 255, n & 255);
  }
  if (end - i >= 2) out += String.fromCharCode(((at(text, i) << 2) | (at(text, i + 1) >>> 4)) & 255);
  if (end - i === 3) out += String.fromCharCode(((at(text, i + 1) << 4) | (at(text, i + 2) >>> 2)) & 255);
  return out;
}

function at(text: string, i: number): number {
  return VALUES[text.charCodeAt(i)] as number;
}

/** Bytes as padded base64 (`ngx_encode_base64()`). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}${ALPHABET[n & 63]}`;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}==`;
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}=`;
  }
  return out;
}
