import type { Logger } from "../capabilities.ts";
import type { Server } from "../config/model.ts";
import type { ConnectionInfo, RequestHead } from "../exchange.ts";
import { findHeader } from "../shape/request-context.ts";

/**
 * A request's error log, as nginx writes a request's lines (`ngx_http_log_error()`): the
 * connection's number first (`*12`), then the message, then where it happened: `, client:
 * 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", upstream:
 * "http://10.0.0.1:8080/", host: "example.com", referrer: "..."`. fail2ban filters and grep
 * habits match on these. Lines go to the current block's `error_log` (`block`); the context is
 * only put together for a line that is written.
 */
export class RequestLog implements Logger {
  /** The error log of the block the request is in now (server, location, `if`). */
  block: Logger;
  /** The upstream being tried, as nginx names it: `http://10.0.0.1:8080/uri`; null before any. */
  upstream: string | null = null;
  /** The client connection its lines name; the realip module changes its address. */
  connection: ConnectionInfo;
  readonly #head: RequestHead;
  readonly #server: Server;

  constructor(block: Logger, head: RequestHead, connection: ConnectionInfo, server: Server) {
    this.block = block;
    this.#head = head;
    this.connection = connection;
    this.#server = server;
  }

  alert(message: string): void {
    this.block.alert(this.#line(message));
  }

  crit(message: string): void {
    this.block.crit(this.#line(message));
  }

  error(message: string): void {
    this.block.error(this.#line(message));
  }

  warn(message: string): void {
    this.block.warn(this.#line(message));
  }

  notice(message: string): void {
    this.block.notice(this.#line(message));
  }

  info(message: string): void {
    this.block.info(this.#line(message));
  }

  #line(message: string): string {
    const head = this.#head;
    const c = this.connection;
    let line = `${c.id === undefined ? "" : `*${c.id} `}${message}, client: ${c.remoteAddress}, server: ${this.#server.names[0] ?? ""}`;
    line += `, request: "${head.requestLine ?? `${head.method} ${head.target} HTTP/${head.httpVersion}`}"`;
    if (this.upstream !== null) line += `, upstream: "${this.upstream}"`;
    const host = findHeader(head, "host");
    if (host !== undefined) line += `, host: "${host}"`;
    const referrer = findHeader(head, "referer");
    if (referrer !== undefined) line += `, referrer: "${referrer}"`;
    return line;
  }
}
