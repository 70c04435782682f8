import net from "node:net";

/**
 * A hand-framed HTTP/2 client for requests that HTTP/2 libraries refuse to send (CR, LF or NUL
 * in a field, upper-case names, connection-specific fields, pseudo-headers out of order): header
 * fields go as HPACK literals without indexing, bytes as given (RFC 7541 §6.2.2), so nothing is
 * normalised on the way. Prior-knowledge h2c on a plain TCP port.
 */

/** A header field as sent: latin1 text, byte for byte. */
export type Field = readonly [name: string, value: string];

/** What a stream got back: the `:status` (0 if none), the body, a RST_STREAM's or GOAWAY's code. */
export interface StreamAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** RST_STREAM's error code, or null when the stream ended without one. */
  readonly reset: number | null;
  /** GOAWAY's error code when the connection was ended with one before the stream ended. */
  readonly goaway: number | null;
}

const FRAME = { data: 0, headers: 1, rst: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8, continuation: 9 } as const;
/** SETTINGS_MAX_FRAME_SIZE's initial value: a longer header block goes on in CONTINUATION frames. */
const MAX_FRAME = 16_384;
const END_STREAM = 1;
const END_HEADERS = 4;
const ACK = 1;

/** RFC 9113 §7 error codes the tests name. */
export const H2_ERROR = { noError: 0, protocol: 1, cancel: 8 } as const;

/** One frame: the 9-byte header and its payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A HEADERS frame (and CONTINUATION frames past 16 KB) with the block, END_STREAM when the request has no body. */
export function headersFrame(streamId: number, fields: readonly Field[], endStream: boolean): Buffer {
  const block = Buffer.concat(fields.flatMap(([n, v]) => [Buffer.from([0]), hpackString(n), hpackString(v)]));
  const parts: Buffer[] = [];
  for (let at = 0; at === 0 || at < block.length; at += MAX_FRAME) {
    const isLast = at + MAX_FRAME >= block.length;
    const type = at === 0 ? FRAME.headers : FRAME.continuation;
    const flags = (isLast ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
    parts.push(frame(type, flags, streamId, block.subarray(at, at + MAX_FRAME)));
  }
  return Buffer.concat(parts);
}

export function dataFrame(streamId: number, data: string | Buffer, endStream: boolean): Buffer {
  return frame(FRAME.data, endStream ? END_STREAM : 0, streamId, Buffer.from(data));
}

export function rstFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.rst, 0, streamId, payload);
}

/** An HPACK string literal, not Huffman-coded: a length with a 7-bit prefix, then the bytes. */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([hpackInteger(bytes.length, 7, 0), bytes]);
}

function hpackInteger(value: number, prefixBits: number, flags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([flags | value]);
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/**
 * A prior-knowledge h2c connection that sends `frames` after the preface and SETTINGS and
 * collects stream 1's answer; `later` frames follow once the server's SETTINGS are in and
 * `laterWhen` has resolved (a body sent after the head was read, or after it went upstream).
 * Resolves when stream 1 ends, is reset, the connection ends, or after `timeoutMs`.
 */
export function h2Raw(
  port: number,
  frames: readonly Buffer[],
  options: { later?: readonly Buffer[]; laterWhen?: Promise<unknown> | undefined; timeoutMs?: number } = {},
): Promise<StreamAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let status = 0;
    const body: Buffer[] = [];
    let settled = false;
    const finish = (reset: number | null, goaway: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, body: Buffer.concat(body), reset, goaway });
    };
    const timer = setTimeout(() => finish(null, null), options.timeoutMs ?? 5000);
    socket.on("error", () => finish(null, null));
    socket.on("close", () => finish(null, null));
    socket.on("connect", () => {
      socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(FRAME.settings, 0, 0), ...frames]));
    });
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const [type, flags] = [buffer[3] as number, buffer[4] as number];
        const streamId = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = buffer.subarray(9, 9 + length);
        buffer = buffer.subarray(9 + length);
        if (type === FRAME.settings && !(flags & ACK)) {
          socket.write(frame(FRAME.settings, ACK, 0));
          const later = options.later;
          if (later) void (options.laterWhen ?? Promise.resolve()).then(() => settled || socket.write(Buffer.concat(later)));
        } else if (type === FRAME.ping && !(flags & ACK)) socket.write(frame(FRAME.ping, ACK, 0, payload));
        else if (type === FRAME.goaway) finish(null, payload.readUInt32BE(4));
        else if (streamId !== 1) continue;
        else if (type === FRAME.rst) finish(payload.readUInt32BE(0), null);
        else if (type === FRAME.headers) {
          if (status === 0) status = statusOf(payload, flags);
          if (flags & END_STREAM) finish(null, null);
        } else if (type === FRAME.data) {
          body.push(Buffer.from(payload));
          if (length > 0) socket.write(frame(FRAME.windowUpdate, 0, 0, windowIncrement(length)));
          if (flags & END_STREAM) finish(null, null);
        }
      }
    });
  });
}

function windowIncrement(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Static-table `:status` entries (RFC 7541 Appendix A, indexes 8 to 14). */
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

/**
 * The `:status` of a response header block: its first field (servers send it first), either a
 * static-table entry or a literal named by index 8, plain or Huffman-coded (three digits, whose
 * Huffman codes are RFC 7541 Appendix B's).
 */
function statusOf(payload: Buffer, flags: number): number {
  let at = flags & 0x08 ? 1 : 0; // PADDED
  if (flags & 0x20) at += 5; // PRIORITY
  while (((payload[at] as number) & 0xe0) === 0x20) at++; // dynamic table size updates
  const first = payload[at] as number;
  if (first & 0x80) return STATIC_STATUS[first & 0x7f] ?? -1;
  const nameIndex = first & 0x40 ? first & 0x3f : first & 0x0f;
  if (nameIndex !== 8) return -1;
  const lengthByte = payload[at + 1] as number;
  const value = payload.subarray(at + 2, at + 2 + (lengthByte & 0x7f));
  return Number(lengthByte & 0x80 ? huffmanDigits(value) : value.toString("latin1"));
}

const DIGIT_CODES: [bits: string, digit: string][] = [
  ["00000", "0"],
  ["00001", "1"],
  ["00010", "2"],
  ["011001", "3"],
  ["011010", "4"],
  ["011011", "5"],
  ["011100", "6"],
  ["011101", "7"],
  ["011110", "8"],
  ["011111", "9"],
];

function huffmanDigits(bytes: Buffer): string {
  let bits = [...bytes].map((b) => b.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (;;) {
    const hit = DIGIT_CODES.find(([code]) => bits.startsWith(code));
    if (!hit) return out;
    out += hit[1];
    bits = bits.slice(hit[0].length);
  }
}
