import type { HeaderPairs } from "../exchange.ts";

/** The request line and header block as bytes go on the wire: `GET /x HTTP/1.0\r\nHost: b\r\n\r\n`. */
export function serializeRequestHead(method: string, target: string, httpVersion: string, headers: HeaderPairs): string {
  let head = `${method} ${target} HTTP/${httpVersion}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
