/**
 * What a client received, read as a sequence of responses (leniently: the point is to compare two
 * proxies, not to judge them), so the comparison can look at status lines in order and bodies.
 */

/** One response as the client got it. */
export interface ResponseView {
  readonly statusLine: string;
  readonly status: number;
  /** Header lines in order, names lower-cased, values trimmed. */
  readonly headers: readonly (readonly [string, string])[];
  readonly head: Buffer;
  readonly body: Buffer;
  /** False when the connection ended before the response did (or the head never ended). */
  readonly complete: boolean;
}

export interface ClientView {
  readonly responses: readonly ResponseView[];
  /** Bytes that are not a response: an HTTP/0.9 answer, or garbage after the last response. */
  readonly other: Buffer;
}

const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})/;

/** Reads `received` as responses, one after the other. */
export function readResponses(received: Buffer): ClientView {
  const responses: ResponseView[] = [];
  let at = 0;
  while (at < received.length) {
    if (!STATUS_LINE.test(received.toString("latin1", at, at + 16))) break;
    const headEnd = received.indexOf("\r\n\r\n", at);
    if (headEnd < 0) {
      const statusLine = received.toString("latin1", at, lineEnd(received, at));
      responses.push({
        statusLine,
        status: statusOf(statusLine),
        headers: [],
        head: received.subarray(at),
        body: Buffer.alloc(0),
        complete: false,
      });
      return { responses, other: Buffer.alloc(0) };
    }
    const lines = received.toString("latin1", at, headEnd).split("\r\n");
    const statusLine = lines[0] as string;
    const status = statusOf(statusLine);
    const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const);
    const bodyStart = headEnd + 4;
    const framed = bodyOf(received, bodyStart, status, headers);
    responses.push({ statusLine, status, headers, head: received.subarray(at, bodyStart), body: framed.body, complete: framed.complete });
    at = framed.end;
  }
  return { responses, other: received.subarray(at) };
}

function lineEnd(buf: Buffer, at: number): number {
  const cr = buf.indexOf("\r\n", at);
  return cr < 0 ? buf.length : cr;
}

function statusOf(statusLine: string): number {
  return Number(STATUS_LINE.exec(statusLine)?.[1] ?? 0);
}

type Framed = { readonly body: Buffer; readonly complete: boolean; readonly end: number };

function bodyOf(buf: Buffer, at: number, status: number, headers: readonly (readonly [string, string])[]): Framed {
  // A tunnel: everything after a 101 belongs to it.
  if (status === 101) return { body: buf.subarray(at), complete: true, end: buf.length };
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return { body: Buffer.alloc(0), complete: true, end: at };
  const coding = headers.find(([n]) => n === "transfer-encoding")?.[1].toLowerCase();
  if (coding?.endsWith("chunked")) return dechunk(buf, at);
  const length = headers.find(([n]) => n === "content-length")?.[1];
  if (length !== undefined && /^\d+$/.test(length)) {
    // The answer to a HEAD has a length and no body: a status line where the body would be says so.
    if (STATUS_LINE.test(buf.toString("latin1", at, at + 16))) return { body: Buffer.alloc(0), complete: true, end: at };
    const end = Math.min(buf.length, at + Number(length));
    return { body: buf.subarray(at, end), complete: at + Number(length) <= buf.length, end };
  }
  return { body: buf.subarray(at), complete: true, end: buf.length };
}

function dechunk(buf: Buffer, at: number): Framed {
  const parts: Buffer[] = [];
  for (;;) {
    const lineEndAt = buf.indexOf("\r\n", at);
    if (lineEndAt < 0) return { body: Buffer.concat(parts), complete: false, end: buf.length };
    const size = Number.parseInt(buf.toString("latin1", at, lineEndAt), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), complete: false, end: buf.length };
    const dataEnd = lineEndAt + 2 + size;
    if (size === 0) {
      const trailersEnd = buf.indexOf("\r\n\r\n", lineEndAt);
      const end = buf.subarray(lineEndAt, lineEndAt + 4).equals(Buffer.from("\r\n\r\n"))
        ? lineEndAt + 4
        : trailersEnd < 0
          ? buf.length
          : trailersEnd + 4;
      return { body: Buffer.concat(parts), complete: end <= buf.length && trailersEnd >= 0, end };
    }
    parts.push(buf.subarray(lineEndAt + 2, Math.min(dataEnd, buf.length)));
    if (dataEnd + 2 > buf.length) return { body: Buffer.concat(parts), complete: false, end: buf.length };
    at = dataEnd + 2;
  }
}
