import type { RequestHead } from "../exchange.ts";

/** What the HTTP/1 server reads from a request's headers for itself, in one pass. */
export interface RequestFraming {
  /** `Transfer-Encoding` was sent (the core refuses any but a lone `chunked` before the body is read). */
  readonly chunked: boolean;
  /** The `Content-Length`, 0 without one (or with a bad one, which the core refuses). */
  readonly length: number;
  /** `Expect: 100-continue` from an HTTP/1.1 client with a body: nginx answers it when it starts reading. */
  readonly expectsContinue: boolean;
  /**
   * nginx's keep-alive wish (`ngx_http_process_connection()`): HTTP/1.1 unless `Connection`
   * says close, HTTP/1.0 only if it says keep-alive; the last such header counts.
   */
  readonly keepAlive: boolean;
}

export function readFraming(head: RequestHead): RequestFraming {
  let chunked = false;
  let length = 0;
  let expects = false;
  let close = false;
  let keepAlive = false;
  for (const [name, value] of head.headers) {
    switch (name.length) {
      case 17:
        if (name.toLowerCase() === "transfer-encoding") chunked = true;
        break;
      case 14:
        if (name.toLowerCase() === "content-length") length = /^\d+$/.test(value) ? Number(value) : 0;
        break;
      case 10:
        if (name.toLowerCase() === "connection") {
          const v = value.toLowerCase();
          close = v.includes("close");
          keepAlive = !close && v.includes("keep-alive");
        }
        break;
      case 6:
        if (name.toLowerCase() === "expect") expects = value.toLowerCase() === "100-continue";
        break;
    }
  }
  const v = head.httpVersion;
  return {
    chunked,
    length: chunked ? 0 : length,
    expectsContinue: expects && v === "1.1" && (chunked || length > 0),
    keepAlive: v === "1.1" ? !close : v === "1.0" && keepAlive,
  };
}
