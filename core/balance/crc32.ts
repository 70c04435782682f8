/** CRC-32 as zlib and nginx's `ngx_crc32_*` compute it (polynomial 0xEDB88320, reflected). */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a running CRC (start from 0xFFFFFFFF) over `bytes`; finish with `crc32Final`. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (const b of bytes) c = (TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

/** The final XOR. */
export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of whole bytes. */
export function crc32(bytes: Uint8Array): number {
  return crc32Final(crc32Update(0xffffffff, bytes));
}

/** CRC-32 of a byte string (one char per byte), without making bytes of it first. */
export function crc32Latin1(text: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < text.length; i++) c = (TABLE[(c ^ text.charCodeAt(i)) & 0xff] as number) ^ (c >>> 8);
  return crc32Final(c);
}

/** A byte string (one char per byte) as bytes. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
