import type { ProxyResponse } from "../exchange.ts";
import type { Http1Connection } from "./connection.ts";
import { latin1Bytes } from "./latin1.ts";

type Answer = Extract<ProxyResponse, { kind: "response" }>;

/** What the response's framing depends on in the request it answers. */
export interface Answering {
  readonly isHead: boolean;
  /** `"0.9"`, `"1.0"` or `"1.1"`. */
  readonly httpVersion: string;
  /** Keep the connection for another request, if the response can be framed for it. */
  readonly keepAlive: boolean;
}

const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

/**
 * Writes a response as nginx's header filter and chunked filter frame it: `HTTP/1.1` status
 * line, the core's headers with `Date` after `Server`, `Connection: keep-alive` or `close`;
 * a body of unknown length goes chunked to an HTTP/1.1 client and ends the connection for an
 * HTTP/1.0 one; HEAD, 204 and 304 answers carry no body. A small body goes out with its head
 * in one write. Resolves whether the connection may carry another request; a failure while
 * writing (the client left, the upstream broke mid-body) closes it.
 */
export async function writeResponse(conn: Http1Connection, res: Answer, req: Answering): Promise<boolean> {
  const body = res.body;
  if (res.isHttp09 || req.httpVersion === "0.9") {
    // HTTP/0.9: the body alone, then close (nginx relaying an HTTP/0.9 upstream, or answering one).
    try {
      if (body instanceof Uint8Array) await conn.write(body);
      else if (body !== null) for await (const chunk of body) await conn.write(chunk);
    } catch {}
    return false;
  }
  const noBody = req.isHead || res.status === 204 || res.status === 304 || res.status < 200;
  let head = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
  let hasLength = false;
  let dated = false;
  for (const [name, value] of res.headers) {
    head += `${name}: ${value}\r\n`;
    if (!dated) {
      head += `Date: ${httpDate()}\r\n`;
      dated = true;
    }
    if (name.length === 14 && name.toLowerCase() === "content-length") hasLength = true;
  }
  if (!dated) head += `Date: ${httpDate()}\r\n`;
  const isStream = body !== null && !(body instanceof Uint8Array);
  const chunked = isStream && !hasLength && !noBody && req.httpVersion === "1.1";
  // Without a length or chunks, only the close can end the body.
  const keepAlive = req.keepAlive && !res.closeConnection && (hasLength || chunked || noBody || !isStream);
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";

  try {
    if (body === null || noBody) {
      await conn.write(latin1Bytes(head));
      // An upstream body still runs to its framed end, so its connection can be kept.
      if (isStream) for await (const _ of body);
    } else if (body instanceof Uint8Array) {
      await writeWithHead(conn, head, body);
    } else if (chunked) {
      await conn.write(latin1Bytes(head));
      for await (const chunk of body) {
        if (chunk.byteLength === 0) continue;
        await conn.write(asChunk(chunk));
      }
      await conn.write(LAST_CHUNK);
    } else {
      let first = true;
      for await (const chunk of body) {
        if (first) await writeWithHead(conn, head, chunk);
        else await conn.write(chunk);
        first = false;
      }
      if (first) await conn.write(latin1Bytes(head));
    }
  } catch {
    // The upstream failed mid-body, or the client left: cut the connection so the client sees it.
    conn.close();
    return false;
  }
  return keepAlive;
}

/** One chunk of a chunked body, framed, as one write. */
function asChunk(data: Uint8Array): Uint8Array {
  const size = `${data.byteLength.toString(16)}\r\n`;
  const bytes = latin1Bytes(size, data.byteLength + 2);
  bytes.set(data, size.length);
  bytes.set(CRLF, size.length + data.byteLength);
  return bytes;
}

/** Up to this size, a body is copied behind its head, to go out in one write. */
const COPY_WITH_HEAD_BYTES = 4096;

/** The head and the start of the body: one write, or two back to back (a platform may gather them). */
function writeWithHead(conn: Http1Connection, head: string, body: Uint8Array): Promise<void> {
  if (body.byteLength > COPY_WITH_HEAD_BYTES) {
    void conn.write(latin1Bytes(head)).catch(() => {});
    return conn.write(body);
  }
  const bytes = latin1Bytes(head, body.byteLength);
  bytes.set(body, head.length);
  return conn.write(bytes);
}

let dateSecond = -1;
let dateText = "";

/** The `Date` value, formatted once a second as nginx caches its time. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
