/**
 * Splits what a proxy sends upstream into requests, strictly: a proxy must send clean HTTP/1.x
 * (CRLF line ends, token header names, no CR/LF/NUL in a value, one unambiguous framing), so
 * anything looser is reported as invalid, to be recorded raw rather than answered.
 */

/** The outcome of reading one request from the front of a buffer. */
export type UpstreamSplit =
  | {
      readonly kind: "request";
      /** Bytes the request takes, head and body. */
      readonly length: number;
      readonly method: string;
      readonly headers: readonly [string, string][];
      /** The proxy asked for the connection to end after this request (Connection: close, or HTTP/1.0 without keep-alive). */
      readonly wantsClose: boolean;
    }
  | { readonly kind: "incomplete" }
  | { readonly kind: "invalid"; readonly reason: string };

/** A head longer than this without its end is not going to be a request. */
const MAX_HEAD_BYTES = 1024 * 1024;
/** Chunk sizes up to 2^52 fit a double exactly; a proxy sending larger ones is broken anyway. */
const MAX_CHUNK_HEX_DIGITS = 13;

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/s;
const CHUNK_LINE = /^([0-9A-Fa-f]+)(?:;[^\r\n\0]*)?$/;

type Line =
  | { readonly text: string; readonly next: number }
  | { readonly kind: "incomplete" }
  | { readonly kind: "invalid"; readonly reason: string };

/** Reads one CRLF-terminated line at `at`, refusing bare LF, bare CR and NUL inside it. */
function readLine(buf: Buffer, at: number, limit: number): Line {
  const lf = buf.indexOf(10, at);
  if (lf < 0) return buf.length - at > limit ? { kind: "invalid", reason: "line too long" } : { kind: "incomplete" };
  if (lf === at || buf[lf - 1] !== 13) return { kind: "invalid", reason: "bare LF" };
  const text = buf.toString("latin1", at, lf - 1);
  if (text.includes("\r")) return { kind: "invalid", reason: "bare CR" };
  if (text.includes("\0")) return { kind: "invalid", reason: "NUL" };
  return { text, next: lf + 1 };
}

type Fields =
  | { readonly headers: [string, string][]; readonly next: number }
  | { readonly kind: "incomplete" }
  | { readonly kind: "invalid"; readonly reason: string };

/** Reads header lines (or trailer lines) up to and including the empty line. */
function readFields(buf: Buffer, at: number): Fields {
  const headers: [string, string][] = [];
  for (;;) {
    const line = readLine(buf, at, MAX_HEAD_BYTES);
    if (!("text" in line)) return line;
    at = line.next;
    if (line.text === "") return { headers, next: at };
    const match = HEADER_LINE.exec(line.text);
    if (!match) return { kind: "invalid", reason: `bad header line ${JSON.stringify(line.text.slice(0, 40))}` };
    headers.push([match[1] as string, match[2] as string]);
  }
}

type Body = { readonly next: number } | { readonly kind: "incomplete" } | { readonly kind: "invalid"; readonly reason: string };

/** Reads a chunked body with its trailers; returns where it ends. */
function readChunked(buf: Buffer, at: number): Body {
  for (;;) {
    const line = readLine(buf, at, 4096);
    if (!("text" in line)) return line;
    const match = CHUNK_LINE.exec(line.text);
    if (!match || (match[1] as string).length > MAX_CHUNK_HEX_DIGITS)
      return { kind: "invalid", reason: `bad chunk line ${JSON.stringify(line.text.slice(0, 40))}` };
    const size = Number.parseInt(match[1] as string, 16);
    if (size === 0) {
      const trailers = readFields(buf, line.next);
      return "headers" in trailers ? { next: trailers.next } : trailers;
    }
    const end = line.next + size;
    if (buf.length < end + 2) return { kind: "incomplete" };
    if (buf[end] !== 13 || buf[end + 1] !== 10) return { kind: "invalid", reason: "chunk data not followed by CRLF" };
    at = end + 2;
  }
}

type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "invalid"; readonly reason: string };

/** One framing from the headers, or invalid when they could be read two ways. */
function framingOf(headers: readonly [string, string][]): Framing {
  const lengths = headers.filter(([n]) => n.toLowerCase() === "content-length").map(([, v]) => v);
  const codings = headers.filter(([n]) => n.toLowerCase() === "transfer-encoding").map(([, v]) => v);
  if (codings.length > 0) {
    if (lengths.length > 0) return { kind: "invalid", reason: "Content-Length with Transfer-Encoding" };
    if (codings.length > 1 || (codings[0] as string).toLowerCase() !== "chunked")
      return { kind: "invalid", reason: `Transfer-Encoding ${JSON.stringify(codings)}` };
    return { kind: "chunked" };
  }
  if (lengths.length > 1) return { kind: "invalid", reason: "several Content-Lengths" };
  if (lengths.length === 0) return { kind: "none" };
  const text = lengths[0] as string;
  if (!/^\d{1,15}$/.test(text)) return { kind: "invalid", reason: `Content-Length ${JSON.stringify(text)}` };
  return { kind: "length", length: Number(text) };
}

function wantsClose(minor: string, headers: readonly [string, string][]): boolean {
  const tokens = headers
    .filter(([n]) => n.toLowerCase() === "connection")
    .flatMap(([, v]) => v.toLowerCase().split(","))
    .map((t) => t.trim());
  if (tokens.includes("close")) return true;
  return minor === "0" && !tokens.includes("keep-alive");
}

/** Reads one request from the front of `buf`. */
export function splitUpstreamRequest(buf: Buffer): UpstreamSplit {
  const first = readLine(buf, 0, MAX_HEAD_BYTES);
  if (!("text" in first)) return first;
  const requestLine = REQUEST_LINE.exec(first.text);
  if (!requestLine) return { kind: "invalid", reason: `bad request line ${JSON.stringify(first.text.slice(0, 60))}` };
  const fields = readFields(buf, first.next);
  if (!("headers" in fields)) return fields;
  const framing = framingOf(fields.headers);
  let end = fields.next;
  if (framing.kind === "invalid") return framing;
  if (framing.kind === "length") {
    end += framing.length;
    if (buf.length < end) return { kind: "incomplete" };
  } else if (framing.kind === "chunked") {
    const body = readChunked(buf, end);
    if (!("next" in body)) return body;
    end = body.next;
  }
  return {
    kind: "request",
    length: end,
    method: requestLine[1] as string,
    headers: fields.headers,
    wantsClose: wantsClose(requestLine[3] as string, fields.headers),
  };
}
