import type { HeaderPairs, RequestHead } from "../exchange.ts";
import { badByteAt, quoteBadLine } from "./bad-byte.ts";
import { DEFAULT_HEADER_BUFFERS, type HeaderBufferSizes, HeaderBuffers } from "./header-buffers.ts";
import { HeadersIn, type HeadRefusal, type RequestFacts } from "./headers-in.ts";
import { latin1String } from "./latin1.ts";
import { parseRequestLine } from "./request-line.ts";

/** What a client's head may hold: nginx's limits and header-name rules (http level). */
export interface HeadLimits {
  readonly buffers: HeaderBufferSizes;
  /** `max_headers` of current nginx (Debian's 1.22.1 carries it too): more is 494. */
  readonly maxHeaders: number;
  /** `ignore_invalid_headers`: drop headers whose name has bytes other than letters, digits, `-`. */
  readonly ignoreInvalidHeaders: boolean;
  /** `underscores_in_headers`: `_` counts as a valid name byte. */
  readonly underscoresInHeaders: boolean;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = {
  buffers: DEFAULT_HEADER_BUFFERS,
  maxHeaders: 1000,
  ignoreInvalidHeaders: true,
  underscoresInHeaders: false,
};

/** A head read whole: the request, what the read phase decided, and the bytes after it. */
export interface ReadHead {
  readonly kind: "head";
  readonly head: RequestHead;
  readonly facts: RequestFacts;
  /** Bytes received after the head: the body's start, or the next request's. */
  readonly rest: Uint8Array;
}

/**
 * A head nginx refuses while reading it (400, 414, 494, 501, 405, 505): the status, nginx's
 * log reason, and as much of the head as was read (for the access log; a Host among the lines
 * read picks the server that logs it). An HTTP/0.9 request is answered without a status line.
 */
export interface RefusedHead extends HeadRefusal {
  readonly kind: "refused";
  readonly head: RequestHead;
}

const CR = 13;
const WHILE_LINE = " while reading client request line";
const WHILE_HEADERS = " while reading client request headers";
const LF = 10;
const NO_BYTES = new Uint8Array(0);

/**
 * Reads request heads off one client connection as nginx 1.22 does, incrementally: bytes are
 * pushed as they arrive, each is scanned once, and only the unfinished line is kept between
 * pushes, so a head trickling in a byte at a time costs what it costs in one read.
 *
 * Lines (request-line.ts for the first): leading empty lines are skipped; a line ends at LF,
 * and CRs before that LF are dropped; an empty line (LF or CR LF) ends the head, and a line of
 * CRs alone is 400 (`ngx_http_parse_header_line()`). Header names end at `:`; a control byte or
 * space in one is 400, and a line without a colon is a name with an empty value; a name with
 * other bytes than letters, digits and `-` (and `_` with `underscores_in_headers`) is dropped
 * under `ignore_invalid_headers`, uncounted. Values lose the spaces (not tabs) around them; a
 * NUL or a lone CR in one is 400. Limits are nginx's buffers (header-buffers.ts) and
 * `max_headers`; what the headers mean (duplicates, Host, framing) is headers-in.ts.
 */
export class RequestHeadParser {
  /** The limits of the address's default server, which read each head until it names its server. */
  readonly #initial: HeadLimits;
  /** The limits now: the named server's once the request line's host or a Host header is read. */
  #limits: HeadLimits;
  /** A server's limits by the host a request names; null when every server reads heads alike. */
  readonly #forHost: ((host: string) => HeadLimits) | null;
  #hostSeen = false;
  readonly #buffers: HeaderBuffers;
  /** Stream offset of the first byte of the pending bytes. */
  #base = 0;
  /** Our own copy of the unfinished line, between pushes; null when nothing is pending. */
  #own: Uint8Array | null = null;
  #ownLength = 0;
  /** Index in the pending bytes up to which they were searched for LF. */
  #scanned = 0;
  /** Stream offset where the current request began (its first non-blank byte once seen). */
  #requestStart = 0;
  #lineStart = 0;
  /** Only blank lines so far: the request line has not begun. */
  #isBlank = true;
  #requestLine: RequestHead | null = null;
  #headers: HeaderPairs = [];
  #headersIn = new HeadersIn();
  #count = 0;

  /**
   * `forHost`: the limits of the server a host names. nginx reads each header line with the
   * request's server of the moment (ngx_http_process_request_headers()), which an absolute
   * request-target or the Host header changes: the name rules and `max_headers` follow it, the
   * buffers stay the default server's.
   */
  constructor(limits: HeadLimits, forHost: ((host: string) => HeadLimits) | null = null) {
    this.#initial = limits;
    this.#limits = limits;
    this.#forHost = forHost;
    this.#buffers = new HeaderBuffers(limits.buffers);
    this.#buffers.fresh(0);
  }

  /**
   * Starts the next request on the connection, `bodyBytes` after the previous head's end (the
   * previous body's wire length); `pipelined` tells whether its first bytes came with the
   * previous request's (they are pushed next) or will arrive on their own.
   */
  next(bodyBytes: number, pipelined: boolean): void {
    const start = this.#lineStart + bodyBytes;
    if (pipelined) this.#buffers.pipelined(start);
    else this.#buffers.fresh(start);
    this.#base = start;
    this.#own = null;
    this.#ownLength = 0;
    this.#scanned = 0;
    this.#requestStart = start;
    this.#lineStart = start;
    this.#isBlank = true;
    this.#requestLine = null;
    this.#headers = [];
    this.#headersIn = new HeadersIn();
    this.#count = 0;
    this.#limits = this.#initial;
    this.#hostSeen = false;
  }

  /** The request names its server: its rules read the header lines after this (once per request). */
  #serverNamed(host: string): void {
    if (this.#hostSeen) return;
    this.#hostSeen = true;
    if (this.#forHost) this.#limits = this.#forHost(host);
  }

  /** Feeds received bytes: a head once it is whole or refused, null while more is needed. */
  push(chunk: Uint8Array): ReadHead | RefusedHead | null {
    const work = this.#append(chunk);
    let at = this.#scanned;
    if (this.#isBlank) {
      // Empty lines before the request line are skipped, CR and LF alike (sw_start).
      while (at < work.byteLength && (work[at] === CR || work[at] === LF)) at++;
      this.#lineStart = this.#base + at;
      if (at === work.byteLength) return this.#wait(work);
      this.#isBlank = false;
      this.#requestStart = this.#lineStart;
    }
    for (;;) {
      const lf = work.indexOf(LF, at);
      if (lf < 0) return this.#wait(work);
      const lineEnd = this.#base + lf;
      const refusal = this.#fit(lineEnd);
      if (refusal) return refusal;
      const result = this.#line(work, this.#lineStart - this.#base, lf);
      this.#lineStart = lineEnd + 1;
      at = lf + 1;
      if (result) return this.#finish(result, work, at);
    }
  }

  /** As much of the head as arrived, for the access log of one cut short (408). */
  partial(): RequestHead {
    if (this.#requestLine) return { ...this.#requestLine, headers: this.#headers };
    if (this.#isBlank || this.#own === null) return partialRequestLine("");
    const from = Math.max(0, this.#requestStart - this.#base);
    return partialRequestLine(latin1String(this.#own, from, this.#ownLength));
  }

  /** The bytes to scan: the chunk itself, or our copy of the unfinished line with the chunk after it. */
  #append(chunk: Uint8Array): Uint8Array {
    if (this.#ownLength === 0) return chunk;
    const needed = this.#ownLength + chunk.byteLength;
    let own = this.#own as Uint8Array;
    if (own.byteLength < needed) {
      const grown = new Uint8Array(Math.max(needed, own.byteLength * 2));
      grown.set(own.subarray(0, this.#ownLength));
      own = grown;
      this.#own = grown;
    }
    own.set(chunk, this.#ownLength);
    this.#ownLength = needed;
    return own.subarray(0, needed);
  }

  /** No LF in what arrived: keep the unfinished line, unless nginx would refuse it already. */
  #wait(work: Uint8Array): RefusedHead | null {
    const refusal = this.#fit(this.#base + work.byteLength - 1) ?? this.#judgeUnfinished(work);
    if (refusal) return refusal;
    // Only the unfinished line is kept: complete lines were read into strings already.
    const keepFrom = this.#lineStart - this.#base;
    const length = work.byteLength - keepFrom;
    if (this.#own !== null && work.buffer === this.#own.buffer) {
      this.#own.copyWithin(0, keepFrom, work.byteLength);
    } else if (length > 0) {
      this.#own = new Uint8Array(Math.max(length * 2, 256));
      this.#own.set(work.subarray(keepFrom));
    }
    this.#ownLength = length;
    this.#base = this.#lineStart;
    this.#scanned = length;
    return null;
  }

  /** Grows nginx's buffers until they hold the byte at `offset`; a refusal when they cannot. */
  #fit(offset: number): RefusedHead | null {
    while (offset >= this.#buffers.end) {
      const lineStart = this.#isBlank ? this.#buffers.end : this.#lineStart;
      if (this.#buffers.grow(lineStart, this.#isBlank)) continue;
      if (this.#requestLine === null) {
        return this.#refuse(414, "client sent too long URI", partialRequestLine(this.#unfinishedLine()));
      }
      const reason = lineStart < this.#buffers.end ? "client sent too long header line" : "client sent too large request";
      return this.#refuse(494, reason);
    }
    return null;
  }

  /**
   * nginx reads byte by byte and refuses at the first byte no request line or header line can
   * have, without waiting for the line's end: so does this, for the bytes that came so far.
   */
  #judgeUnfinished(work: Uint8Array): RefusedHead | null {
    if (this.#isBlank) return null;
    const from = this.#lineStart - this.#base;
    const text = latin1String(work, from, Math.min(work.byteLength, from + 256));
    if (this.#requestLine === null) {
      return isRequestLinePrefix(text) ? null : this.#refuse(400, "client sent invalid request", partialRequestLine(text));
    }
    return isHeaderLinePrefix(text) ? null : this.#refuse(400, invalidHeaderLine(text));
  }

  /** The unfinished line as far as one large buffer holds it (nginx logs a 414's line so). */
  #unfinishedLine(): string {
    const from = this.#lineStart - this.#base;
    const own = this.#own;
    if (own === null || from < 0) return "";
    return latin1String(own, from, Math.min(this.#ownLength, from + this.#limits.buffers.large));
  }

  /** One line `[start, lf)` of `work`: a refusal, `"done"` at the end of the head, or null to go on. */
  #line(work: Uint8Array, start: number, lf: number): RefusedHead | "done" | null {
    if (this.#requestLine === null) {
      // One CR may end the request line; the request-line reader refuses any other.
      const end = lf > start && work[lf - 1] === CR ? lf - 1 : lf;
      const parsed = parseRequestLine(latin1String(work, start, end));
      if ("status" in parsed) return this.#refuse(parsed.status, parsed.reason, parsed.head);
      this.#requestLine = parsed;
      const absolute = /^https?:\/\/([^/?#]*)/i.exec(parsed.target);
      if (absolute) this.#serverNamed(absolute[1] as string);
      return parsed.httpVersion === "0.9" ? "done" : null;
    }
    let end = lf;
    while (end > start && work[end - 1] === CR) end--;
    if (end === start) {
      // LF or CR LF ends the head; more CRs are a line nginx cannot read.
      return lf - start <= 1 ? "done" : this.#refuse(400, invalidHeaderLine("\r"));
    }
    return this.#headerLine(latin1String(work, start, end));
  }

  #headerLine(text: string): RefusedHead | null {
    const line = readHeaderLine(text, this.#limits);
    if (line === null) return this.#refuse(400, invalidHeaderLine(text));
    if (line === "ignored") return null;
    if (++this.#count > this.#limits.maxHeaders) return this.#refuse(494, "client sent too many header lines");
    this.#headers.push(line);
    const refusal = this.#headersIn.add(line[0], line[1]);
    if (refusal) return this.#refuse(refusal.status, refusal.reason);
    if (line[0].length === 4 && line[0].toLowerCase() === "host") this.#serverNamed(line[1]);
    return null;
  }

  #finish(result: RefusedHead | "done", work: Uint8Array, at: number): ReadHead | RefusedHead {
    if (result !== "done") return result;
    const line = this.#requestLine as RequestHead;
    // The rest may view our copy: the next line starts in a fresh one.
    this.#own = null;
    this.#ownLength = 0;
    this.#scanned = 0;
    const rest = at < work.byteLength ? work.subarray(at) : NO_BYTES;
    if (line.httpVersion === "0.9") return { kind: "head", head: line, facts: HTTP09_FACTS, rest };
    const head: RequestHead = { ...line, headers: this.#headers };
    const facts = this.#headersIn.finish(line.method, line.httpVersion);
    if ("status" in facts) return { kind: "refused", status: facts.status, reason: `${facts.reason}${WHILE_HEADERS}`, head };
    const read: RequestHead = facts.upgrade ? { ...head, framing: facts.framing, upgrade: true } : { ...head, framing: facts.framing };
    return { kind: "head", head: read, facts, rest };
  }

  /** A refusal, its reason ending with what nginx was reading (its log action). */
  #refuse(status: number, reason: string, head?: RequestHead): RefusedHead {
    const doing = this.#requestLine === null ? WHILE_LINE : WHILE_HEADERS;
    return {
      kind: "refused",
      status,
      reason: reason + doing,
      head: head ?? { ...(this.#requestLine as RequestHead), headers: this.#headers },
    };
  }

  /** What a timeout met: the action nginx's "client timed out" line ends with. */
  get whileDoing(): string {
    return this.#requestLine === null ? WHILE_LINE : WHILE_HEADERS;
  }
}

const HTTP09_FACTS: RequestFacts = { framing: { kind: "none" }, expectsContinue: false, keepAlive: false, upgrade: false };

/**
 * One header line without its line end: `[name, value]`, `"ignored"` for a name nginx drops
 * under `ignore_invalid_headers`, or null for a line nginx answers with 400.
 */
function readHeaderLine(text: string, limits: HeadLimits): [string, string] | "ignored" | null {
  let i = 0;
  let isInvalid = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) break;
    if (c <= 0x20 || c === 0x7f) return null;
    if (!isValidNameByte(c, limits.underscoresInHeaders)) isInvalid = true;
  }
  if (i === 0) return null;
  const name = text.slice(0, i);
  if (i === text.length) return isInvalid && limits.ignoreInvalidHeaders ? "ignored" : [name, ""];
  i++;
  while (i < text.length && text.charCodeAt(i) === 0x20) i++;
  let end = text.length;
  while (end > i && text.charCodeAt(end - 1) === 0x20) end--;
  // The line is read whole before its name is judged: a bad value is 400 even under a dropped name.
  for (let j = i; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 0 || c === CR) return null;
  }
  if (isInvalid && limits.ignoreInvalidHeaders) return "ignored";
  return [name, text.slice(i, end)];
}

/**
 * Whether the start of a request line can still become one nginx reads: method bytes, then
 * spaces, then a target that starts with `/` or a letter, and no control byte (a CR only as the
 * last byte, where its LF may follow).
 */
function isRequestLinePrefix(text: string): boolean {
  let i = 0;
  while (i < text.length && isMethodByte(text.charCodeAt(i))) i++;
  if (i === text.length) return true;
  if (i === 0 || text.charCodeAt(i) !== 0x20) return false;
  while (i < text.length && text.charCodeAt(i) === 0x20) i++;
  if (i === text.length) return true;
  const first = text.charCodeAt(i) | 0x20;
  if (text.charCodeAt(i) !== 0x2f && (first < 0x61 || first > 0x7a)) return false;
  return hasNoStrayControl(text, i);
}

/** Whether the start of a header line can still become one nginx reads (CR only where its LF may follow). */
function isHeaderLinePrefix(text: string): boolean {
  const first = text.charCodeAt(0);
  if (text.length === 1 && first === CR) return true;
  if (first <= 0x20 || first === 0x7f || first === 0x3a) return false;
  const colon = text.indexOf(":");
  const nameEnd = colon < 0 ? text.length : colon;
  for (let i = 0; i < nameEnd; i++) {
    const c = text.charCodeAt(i);
    if ((c <= 0x20 || c === 0x7f) && !(c === CR && isOnlyCrsAfter(text, i))) return false;
  }
  if (colon < 0) return true;
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || (c === CR && !isOnlyCrsAfter(text, i))) return false;
  }
  return true;
}

/** No control byte or DEL from `from` on, but CRs that end the text. */
function hasNoStrayControl(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && !(c === CR && isOnlyCrsAfter(text, i))) || c === 0x7f) return false;
  }
  return true;
}

/** The text from `i` on is CRs only: the line end may still come. */
function isOnlyCrsAfter(text: string, i: number): boolean {
  for (let j = i; j < text.length; j++) if (text.charCodeAt(j) !== CR) return false;
  return true;
}

function isMethodByte(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d;
}

/** A header name nginx keeps under `ignore_invalid_headers`. */
export function isValidHeaderName(name: string, underscores: boolean): boolean {
  for (let i = 0; i < name.length; i++) if (!isValidNameByte(name.charCodeAt(i), underscores)) return false;
  return name.length > 0;
}

/** nginx's lower-case table: letters, digits and `-` (and `_` when allowed) make a valid name. */
function isValidNameByte(c: number, underscores: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || (c === 0x5f && underscores);
}

/** A request line cut short, in words, for the access log. */
function partialRequestLine(line: string): RequestHead {
  const [method = "", target = "", version = ""] = line.split(" ");
  return {
    method,
    target,
    httpVersion: version.replace("HTTP/", "") || "1.0",
    headers: [],
    requestLine: line,
    framing: { kind: "none" },
  };
}

/** nginx's reason for a header line it cannot read, quoting it up to the byte it stopped at. */
function invalidHeaderLine(text: string): string {
  const at = badByteAt(text);
  return `client sent invalid header line: "${quoteBadLine(text, at < 0 ? text.length : at)}"`;
}
