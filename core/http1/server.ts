import type { Logger } from "../capabilities.ts";
import type { ConnectionInfo, ProxyResponse, RequestHead } from "../exchange.ts";
import { statusResponse } from "../forward/status-page.ts";
import type { EdgeProxy } from "../proxy.ts";
import type { ClientConnection } from "./connection.ts";
import { RequestBody } from "./request-body.ts";
import { readFraming } from "./request-framing.ts";
import { parseRequestHead, partialHead, type RequestHeadParse } from "./request-parser.ts";
import { writeResponse } from "./response-writer.ts";

/** The client-connection limits of a config (http level). */
export interface ClientLimits {
  readonly clientHeaderTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  readonly sendTimeoutMs: number;
}

type HeadRead = { readonly parse: NonNullable<RequestHeadParse>; readonly bytes: Uint8Array };

const NO_BYTES = new Uint8Array(0);

/**
 * HTTP/1.x for client connections, in the core so that every platform with sockets serves
 * clients alike: nginx's request parsing (request-parser.ts), keep-alive and pipelining, its
 * client timeouts, `Expect: 100-continue`, and its framing of responses (response-writer.ts).
 * The platform accepts connections and hands each to `serve`.
 */
export class Http1Server {
  readonly #proxy: () => EdgeProxy;
  readonly #limits: () => ClientLimits;
  readonly #log: Logger;
  /** Connections waiting for a request: a graceful stop closes them at once. */
  readonly #waiting = new Set<ClientConnection>();
  #inFlight = 0;
  #closing = false;

  /** `proxy` and `limits` are read per connection and request, so a reload can swap them. */
  constructor(proxy: () => EdgeProxy, limits: () => ClientLimits, log: Logger) {
    this.#proxy = proxy;
    this.#limits = limits;
    this.#log = log;
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A graceful stop: waiting connections close now, the others after their response. */
  stop(): void {
    this.#closing = true;
    for (const conn of this.#waiting) conn.close();
    this.#waiting.clear();
  }

  /** Serves one connection's requests until it closes. */
  async serve(conn: ClientConnection, info: ConnectionInfo): Promise<void> {
    if (this.#closing) return conn.close();
    // The first head is due client_header_timeout after the accept, as in nginx.
    conn.setDeadline(Date.now() + this.#limits().clientHeaderTimeoutMs);
    let pending: Uint8Array = NO_BYTES;
    let served = 0;
    try {
      for (;;) {
        this.#waiting.add(conn);
        const read = await this.#readHead(conn, pending, info);
        this.#waiting.delete(conn);
        // The client left or timed out: what was written still goes out before the close.
        if (read === null) return conn.end();
        const { parse, bytes } = read;
        if (parse.kind === "refused") return await this.#refuse(conn, parse.head, parse.status, info);
        conn.setDeadline(0);
        served++;
        const head = parse.head;
        const framing = readFraming(head);
        const body = new RequestBody(conn, framing, bytes.subarray(parse.length));
        if (!(await this.#answer(conn, head, framing.keepAlive, body, info, served))) return conn.end();
        const next = await body.finish();
        if (next === null) return conn.end();
        pending = next;
      }
    } catch {
      this.#waiting.delete(conn);
      conn.close();
    }
  }

  /** One request: the core's answer, written. Resolves whether the connection goes on. */
  async #answer(
    conn: ClientConnection,
    head: RequestHead,
    wantsKeepAlive: boolean,
    body: RequestBody,
    info: ConnectionInfo,
    served: number,
  ): Promise<boolean> {
    this.#inFlight++;
    let result: ProxyResponse | null = null;
    try {
      result = await this.#handle(head, body, info);
      if (result.kind === "close") {
        conn.close();
        return false;
      }
      const limits = this.#limits();
      conn.setIdleTimeout(limits.sendTimeoutMs);
      const keepAlive = !this.#closing && limits.keepaliveTimeoutMs > 0 && served < limits.keepaliveRequests && wantsKeepAlive;
      const kept = await writeResponse(conn, result, { isHead: head.method === "HEAD", httpVersion: head.httpVersion, keepAlive });
      // Between requests, keepalive_timeout; the next head's first byte starts its own clock.
      if (kept) conn.setIdleTimeout(limits.keepaliveTimeoutMs);
      return kept;
    } finally {
      this.#inFlight--;
      if (result?.kind === "response") result.done?.();
    }
  }

  async #handle(head: RequestHead, body: RequestBody, info: ConnectionInfo): Promise<ProxyResponse> {
    try {
      return await this.#proxy().handle(head, body, info);
    } catch (error) {
      this.#log.error(`unexpected error: ${(error as Error).stack ?? error}`);
      const response = statusResponse(500);
      return response.kind === "response" ? { ...response, closeConnection: true } : response;
    }
  }

  /**
   * Reads until a head is whole or refused. Null when the client closed or timed out first; a
   * head cut short by client_header_timeout is logged as nginx logs it (408, nothing sent).
   */
  async #readHead(conn: ClientConnection, pending: Uint8Array, info: ConnectionInfo): Promise<HeadRead | null> {
    let bytes = pending;
    for (;;) {
      if (bytes.byteLength > 0) {
        const parse = parseRequestHead(bytes);
        if (parse !== null) return { parse, bytes };
      }
      let chunk: Uint8Array | null;
      try {
        chunk = await conn.read();
      } catch (error) {
        if (bytes.byteLength > 0 && (error as Error).name === "IdleTimeoutError") this.#logRefused(partialHead(bytes), 408, info);
        return null;
      }
      if (chunk === null) return null;
      if (bytes.byteLength === 0) {
        // The next request has begun: its head is due within client_header_timeout.
        conn.setIdleTimeout(0);
        conn.setDeadline(Date.now() + this.#limits().clientHeaderTimeoutMs);
        bytes = chunk;
      } else {
        const joined = new Uint8Array(bytes.byteLength + chunk.byteLength);
        joined.set(bytes);
        joined.set(chunk, bytes.byteLength);
        bytes = joined;
      }
    }
  }

  /** A head nginx refuses while reading it: logged, answered with its page, closed. */
  async #refuse(conn: ClientConnection, head: RequestHead, status: number, info: ConnectionInfo): Promise<void> {
    this.#logRefused(head, status, info);
    const response = statusResponse(status);
    if (response.kind !== "response") return conn.close();
    conn.setDeadline(0);
    conn.setIdleTimeout(this.#limits().sendTimeoutMs);
    const httpVersion = head.httpVersion === "0.9" ? "0.9" : "1.1";
    await writeResponse(conn, response, { isHead: false, httpVersion, keepAlive: false });
    conn.end();
  }

  #logRefused(head: RequestHead, status: number, info: ConnectionInfo): void {
    try {
      this.#proxy().refused(head, status, info);
    } catch (failure) {
      this.#log.error(`logging a refused request failed: ${(failure as Error).message}`);
    }
  }
}
