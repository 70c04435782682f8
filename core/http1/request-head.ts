import type { HeaderPairs } from "../exchange.ts";

/** A CR, LF or NUL: none may leave edgeproxy inside a header. */
const UNSAFE_VALUE = /[\0\r\n]/;

/**
 * The request line and header block as bytes go on the wire: `GET /x HTTP/1.0\r\nHost: b\r\n\r\n`.
 * A header whose value holds a CR, LF or NUL (a variable such as a decoded `$uri` can) is left
 * out and reported through `onUnsafe`: sent, it would end the header early and start another
 * one, or a request, of the client's making. Names come from the parser or a checked config.
 */
export function serializeRequestHead(
  method: string,
  target: string,
  httpVersion: string,
  headers: HeaderPairs,
  onUnsafe: (name: string) => void,
): string {
  let head = `${method} ${target} HTTP/${httpVersion}\r\n`;
  for (const [name, value] of headers) {
    if (UNSAFE_VALUE.test(value)) onUnsafe(name);
    else head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** Whether a header value can be written as it is (no CR, LF or NUL). */
export function isSafeHeaderValue(value: string): boolean {
  return !UNSAFE_VALUE.test(value);
}
