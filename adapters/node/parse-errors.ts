import type { Socket } from "node:net";
import { statusResponse } from "../../core/index.ts";

/**
 * The status nginx gives a request node:http's parser refused (docs/nginx-semantics.md 7.1,
 * 7.2, 8): an unknown transfer coding is 501, an HTTP version above 1 is 505, a head over the
 * limits is nginx's "Request Header Or Cookie Too Large" 400, anything else 400.
 */
export function statusForParseError(error: { code?: string | undefined; reason?: unknown; message: string }): number {
  const why = `${String(error.reason ?? "")} ${error.message}`;
  switch (error.code) {
    case "HPE_INVALID_TRANSFER_ENCODING":
      // llhttp reports Content-Length beside Transfer-Encoding here too: nginx's 400.
      return /Content-Length/i.test(why) ? 400 : 501;
    case "HPE_INVALID_VERSION":
      return 505;
    default:
      return 400;
  }
}

/** Writes nginx's error page for `status` straight onto the socket, then closes it. */
export function answerAndClose(socket: Socket, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const res = statusResponse(status);
  if (res.kind !== "response") return;
  let head = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
  for (const [name, value] of res.headers) head += `${name}: ${value}\r\n`;
  head += `Date: ${new Date().toUTCString()}\r\nConnection: close\r\n\r\n`;
  const body = res.body instanceof Uint8Array ? res.body : new Uint8Array(0);
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}
