/**
 * HTTP heads are bytes, one char per byte both ways (a header value may carry obs-text, bytes
 * 0x80-0xFF, which must go out as it came). TextDecoder cannot do this: its "latin1" is
 * windows-1252, and TextEncoder only writes UTF-8.
 */

const SLICE = 4096;

/** What Node's and Bun's `Buffer` (what their sockets read) has: latin1 decoding in native code. */
type NativeLatin1 = Uint8Array & { latin1Slice?: (start: number, end: number) => string };

/** `bytes[start, end)` as a string of one char per byte. */
export function latin1String(bytes: Uint8Array, start = 0, end = bytes.byteLength): string {
  // A Buffer decodes natively (a head: 0.5 µs less than String.fromCharCode over its bytes).
  const native = (bytes as NativeLatin1).latin1Slice;
  if (native !== undefined) return native.call(bytes, start, end);
  let text = "";
  for (let at = start; at < end; at += SLICE) {
    text += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(end, at + SLICE)) as unknown as number[]);
  }
  return text;
}

/** Node's and Bun's `Buffer` class where the runtime has it as a global: a native latin1 encoder. */
const NativeBuffer = (
  globalThis as unknown as { Buffer?: { allocUnsafe(size: number): Uint8Array & { latin1Write(text: string, offset: number): number } } }
).Buffer;

/** A string of chars below 256 as bytes, with `extra` spare bytes after them. */
export function latin1Bytes(text: string, extra = 0): Uint8Array {
  // Native: a 200-byte head in 0.1 µs against 1.2 for the loop below.
  if (NativeBuffer !== undefined) {
    const bytes = NativeBuffer.allocUnsafe(text.length + extra);
    bytes.latin1Write(text, 0);
    return bytes;
  }
  const bytes = new Uint8Array(text.length + extra);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
