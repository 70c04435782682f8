import type { Logger } from "../capabilities.ts";
import type { ProxyResponse } from "../exchange.ts";
import { isSafeHeaderValue } from "../http1/request-head.ts";

type Answer = Extract<ProxyResponse, { kind: "response" }>;

/** An HTTP/2 header block as platforms take it: lower-case names, repeated ones as lists. */
export type Http2Headers = Record<string, string | number | string[]>;

/**
 * Fields HTTP/2 does not carry (RFC 9113 §8.2.2), which nginx's HTTP/2 header filter leaves out
 * (`ngx_http_v2_header_filter()`); framing is HTTP/2's own. `te` too, which nginx 1.22 relays
 * and HTTP/2 clients and layers then refuse the whole response for.
 */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "te",
]);

/** Whether an answer to this request carries no body: HEAD, 1xx, 204, 304. */
export function hasNoBody(response: Answer, isHead: boolean): boolean {
  return isHead || response.status === 204 || response.status === 304 || response.status < 200;
}

/**
 * The response head for an HTTP/2 stream, as nginx's HTTP/2 header filter writes it:
 * `:status`, the headers with lower-case names (a value holding CR, LF or NUL left out and
 * logged, as on HTTP/1), and `content-length` from the typed length when it is known. `Date`
 * is the platform's.
 */
export function http2ResponseHeaders(response: Answer, log: Logger): Http2Headers {
  // No prototype: an upstream's `constructor` or `__proto__` header is a header like any other.
  const out: Http2Headers = Object.create(null);
  out[":status"] = response.status;
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower)) continue;
    if (!isSafeHeaderValue(value)) {
      log.error(`header "${name}" was not sent to the client: its value holds CR, LF or NUL`);
      continue;
    }
    const prior = out[lower];
    if (prior === undefined) out[lower] = value;
    else out[lower] = Array.isArray(prior) ? [...prior, value] : [String(prior), value];
  }
  const body = response.body;
  const length =
    response.status === 204 || response.status < 200 ? null : body instanceof Uint8Array ? body.byteLength : response.contentLength;
  if (length !== null) out["content-length"] = String(length);
  return out;
}
