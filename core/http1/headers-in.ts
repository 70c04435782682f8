import type { BodyFraming } from "../exchange.ts";
import { validateHost } from "../route/host.ts";

/** A request nginx refuses while reading its head: the status it answers, then it closes. */
export interface HeadRefusal {
  readonly status: number;
  /** The error-log line nginx writes (`client sent ...`), at `info`. */
  readonly reason: string;
}

/** What the read phase decided about a request, once its head is whole. */
export interface RequestFacts {
  readonly framing: BodyFraming;
  /** `Expect: 100-continue` from an HTTP/1.1 client: nginx answers it when it starts reading the body, if any. */
  readonly expectsContinue: boolean;
  /**
   * nginx's keep-alive wish (`ngx_http_process_connection()`): HTTP/1.1 unless `Connection`
   * says close, HTTP/1.0 only if it says keep-alive; the last such header counts.
   */
  readonly keepAlive: boolean;
  /** The client asked for a protocol upgrade (`Upgrade` sent): decides what a 101 answer may become. */
  readonly upgrade: boolean;
}

/**
 * Headers nginx takes at most once: a second one is 400 (`ngx_http_process_unique_header_line()`
 * in `ngx_http_headers_in[]`), Host included (`ngx_http_process_host()`).
 */
const UNIQUE = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "expect",
  "authorization",
  "if-modified-since",
  "if-unmodified-since",
  "if-match",
  "if-none-match",
  "if-range",
  "content-range",
]);

/** Names of the headers the read phase interprets, by length, for a cheap first test. */
const INTERPRETED_LENGTHS = new Set([4, 6, 7, 8, 10, 13, 14, 17, 19]);

/**
 * nginx's read phase for the headers of one request (`ngx_http_headers_in[]` handlers, then
 * `ngx_http_process_request_header()`), in nginx's order: each header as it is read (duplicates,
 * Host), then Host presence, `Content-Length`, `Transfer-Encoding`, and last the methods nginx
 * refuses. The framing decided here is the only reading of `Content-Length` and
 * `Transfer-Encoding` anywhere: it travels with the request as a typed value.
 */
export class HeadersIn {
  readonly #seen = new Map<string, string>();
  #connectionClose = false;
  #connectionKeepAlive = false;
  #upgrade = false;

  /** One header as it is read; a refusal ends the request at once, as nginx's handlers do. */
  add(name: string, value: string): HeadRefusal | null {
    if (!INTERPRETED_LENGTHS.has(name.length)) return null;
    const lower = name.toLowerCase();
    if (UNIQUE.has(lower)) {
      const previous = this.#seen.get(lower);
      if (previous !== undefined) {
        if (lower === "host") return { status: 400, reason: "client sent duplicate host header" };
        return { status: 400, reason: `client sent duplicate header line: "${name}: ${value}", previous value: "${name}: ${previous}"` };
      }
      this.#seen.set(lower, value);
      if (lower === "host" && validateHost(value) === null) return { status: 400, reason: "client sent invalid host header" };
    } else if (lower === "connection") {
      const v = value.toLowerCase();
      this.#connectionClose = v.includes("close");
      this.#connectionKeepAlive = !this.#connectionClose && v.includes("keep-alive");
    } else if (lower === "upgrade") {
      this.#upgrade = true;
    }
    return null;
  }

  /** The first Host header, if any. */
  get host(): string | undefined {
    return this.#seen.get("host");
  }

  /** The checks nginx makes once the head is whole; `method` and `httpVersion` from the request line. */
  finish(method: string, httpVersion: string): RequestFacts | HeadRefusal {
    if (this.#seen.get("host") === undefined && httpVersion === "1.1") {
      return { status: 400, reason: `client sent HTTP/1.1 request without "Host" header` };
    }
    const framing = this.#framing(httpVersion);
    if ("status" in framing) return framing;
    // 1.22 refuses CONNECT (it has no tunnels) and TRACE after the framing checks.
    if (method === "CONNECT") return { status: 405, reason: "client sent CONNECT method" };
    if (method === "TRACE") return { status: 405, reason: "client sent TRACE method" };
    const expect = this.#seen.get("expect");
    return {
      framing,
      // Whatever the body: nginx answers it once the body is read, an empty one too (ngx_http_test_expect()).
      expectsContinue: httpVersion === "1.1" && expect !== undefined && expect.toLowerCase() === "100-continue",
      keepAlive: httpVersion === "1.1" ? !this.#connectionClose : httpVersion === "1.0" && this.#connectionKeepAlive,
      upgrade: this.#upgrade,
    };
  }

  #framing(httpVersion: string): BodyFraming | HeadRefusal {
    const length = this.#seen.get("content-length");
    const coding = this.#seen.get("transfer-encoding");
    if (length !== undefined && !/^\d{1,15}$/.test(length)) return { status: 400, reason: `client sent invalid "Content-Length" header` };
    if (coding !== undefined) {
      if (httpVersion === "1.0") return { status: 400, reason: `client sent HTTP/1.0 request with "Transfer-Encoding" header` };
      if (coding.toLowerCase() !== "chunked") return { status: 501, reason: `client sent unknown "Transfer-Encoding": "${coding}"` };
      if (length !== undefined) {
        return { status: 400, reason: `client sent "Content-Length" and "Transfer-Encoding" headers at the same time` };
      }
      return { kind: "chunked" };
    }
    return length === undefined ? { kind: "none" } : { kind: "length", length: Number(length) };
  }
}
