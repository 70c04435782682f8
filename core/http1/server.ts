import type { Logger } from "../capabilities.ts";
import type { ClientLimits } from "../config/settings.ts";
import type { ConnectionInfo, ProxyResponse, RequestHead, RequestWire, Tunnel } from "../exchange.ts";
import { statusResponse } from "../forward/status-page.ts";
import { nextConnectionNumber } from "../log/connection-number.ts";
import type { EdgeProxy } from "../proxy.ts";
import {
  type CountedConnection,
  countAccepted,
  countClosed,
  countHandOver,
  countRequest,
  countResponse,
  countWaiting,
  countWriting,
  NOWHERE,
} from "../status/connection-stats.ts";
import { MemoryCounters, type StatusCounters } from "../status/counters.ts";
import type { ClientConnection } from "./connection.ts";
import type { ReadableListener } from "./read-queue.ts";
import { RequestBody } from "./request-body.ts";
import { type HeadLimits, type ReadHead, type RefusedHead, RequestHeadParser } from "./request-parser.ts";
import { writeResponse } from "./response-writer.ts";
import { runTunnel } from "./tunnel.ts";

/** The client-connection settings: the http level's, or a connection's default server's (EdgeProxy.clientLimits). */
export type { ClientLimits };

const NO_BYTES = new Uint8Array(0);

/** What the server keeps of a connection between its requests. */
class Session implements ReadableListener, CountedConnection {
  readonly conn: ClientConnection;
  readonly info: ConnectionInfo;
  readonly #run: (session: Session) => Promise<void>;
  /** Between pipelined requests only: the next head continues in nginx's buffers. */
  parser: RequestHeadParser | null = null;
  /** Bytes of the next request read along with the last one. */
  pending: Uint8Array = NO_BYTES;
  served = 0;
  /** The state word the connection is counted in (status/connection-stats.ts). */
  counted = NOWHERE;
  /** When the current request's first byte came (ms): its duration for the status counters. */
  startedMs = 0;
  /** The connection's serial number (`$connection`). */
  readonly number: number;
  /** Bytes given to the parser for the request being read (`$request_length`). */
  received = 0;
  /** When the connection was accepted, for `keepalive_time`. */
  readonly connectedMs = Date.now();
  /** A reload retired it: it closes after its response instead of waiting for another. */
  retired = false;

  constructor(conn: ClientConnection, info: ConnectionInfo, run: (session: Session) => Promise<void>, number: number) {
    this.conn = conn;
    this.info = info;
    this.#run = run;
    this.number = number;
  }

  onReadable(): void {
    void this.#run(this);
  }
}

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
  /** Connections waiting for a request, with their sessions: a graceful stop closes them at once. */
  readonly #waiting = new Map<ClientConnection, Session>();
  /** Connections answering a request now. */
  readonly #answering = new Set<Session>();
  /** Connections that are tunnels now (after a 101). */
  readonly #tunnels = new Set<ClientConnection>();
  #inFlight = 0;
  #closing = false;
  /** The parser's limits made from each set of client settings, made once. */
  readonly #headLimits = new WeakMap<ClientLimits, HeadLimits>();
  /** This thread's words of the status counters: connections, requests, responses. */
  readonly #counts: Float64Array;

  /**
   * `proxy` and `limits` are read per connection and request, so a reload can swap them.
   * `counters` are the proxy's (the same object through reloads), which stub_status reads.
   */
  constructor(proxy: () => EdgeProxy, limits: () => ClientLimits, log: Logger, counters: StatusCounters = new MemoryCounters()) {
    this.#proxy = proxy;
    this.#limits = limits;
    this.#log = log;
    this.#counts = counters.server;
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A graceful stop: waiting connections close now, the others after their response. */
  stop(): void {
    this.#closing = true;
    for (const conn of this.#waiting.keys()) conn.close();
    this.#waiting.clear();
  }

  /**
   * Serves one connection's requests until it closes. Between requests the connection waits on
   * its read queue's callback, with only its `Session` kept: no promise, no suspended function,
   * no parser (an idle connection costs little more than its socket, as in nginx). `accepted`
   * is the record that counted the connection from its accept, when something came first (a
   * TLS handshake); without it, the connection is counted as accepted here.
   */
  serve(conn: ClientConnection, info: ConnectionInfo, accepted?: CountedConnection): void {
    const session = new Session(conn, info, this.#run, info.id ?? nextConnectionNumber());
    if (accepted) countHandOver(accepted, session);
    else countAccepted(this.#counts, !this.#closing);
    if (this.#closing) {
      conn.close();
      if (accepted) countClosed(this.#counts, session);
      return;
    }
    // The first head is due client_header_timeout after the accept, as in nginx.
    conn.setDeadline(Date.now() + this.#limitsFor(info).clientHeaderTimeoutMs);
    this.#park(session);
  }

  /**
   * A connection the platform accepted and closed at once without serving it (no descriptor to
   * spare): nginx's accepted but not handled.
   */
  turnedAway(): void {
    countAccepted(this.#counts, false);
  }

  /** Waits for the next request's first byte. */
  #park(session: Session): void {
    if (session.retired) {
      this.#end(session);
      return;
    }
    countWaiting(this.#counts, session);
    this.#waiting.set(session.conn, session);
    session.conn.whenReadable(session);
  }

  /** Closes after what was written, and counts the connection gone. */
  #end(session: Session): void {
    session.conn.end();
    countClosed(this.#counts, session);
  }

  /** Requests from the first byte of one until the connection idles or closes. */
  readonly #run = async (session: Session): Promise<void> => {
    const conn = session.conn;
    try {
      for (;;) {
        const parser = session.parser ?? this.#parser(session.info);
        session.parser = parser;
        const pipelined = session.pending.byteLength > 0;
        session.received = 0;
        const read = await this.#readHead(session, parser);
        this.#waiting.delete(conn);
        // The client left or timed out: what was written still goes out before the close.
        if (read === null) return this.#end(session);
        if (read.kind === "refused") return await this.#refuse(session, read);
        countWriting(this.#counts, session);
        conn.setDeadline(0);
        session.served++;
        const body = new RequestBody(conn, read.facts, read.rest);
        const wire: RequestWire = {
          connection: session.number,
          requests: session.served,
          pipelined,
          headBytes: session.received - read.rest.byteLength,
          bodyBytes: () => body.wireBytes,
          connectedMs: session.connectedMs,
        };
        if (!(await this.#answer(session, read, body, wire))) return this.#end(session);
        const next = await body.finish();
        if (next === null) return this.#end(session);
        if (next.byteLength > 0) {
          // Pipelined: the next head continues where this request left nginx's buffers.
          parser.next(body.wireBytes, true);
          session.pending = next;
          continue;
        }
        // The next request, when it comes, starts in fresh buffers.
        session.parser = null;
        session.pending = NO_BYTES;
        return this.#park(session);
      }
    } catch {
      this.#waiting.delete(conn);
      conn.close();
      countClosed(this.#counts, session);
    }
  };

  /** A connection's client settings: its address's default server's, else the config's (http level). */
  #limitsFor(info: ConnectionInfo): ClientLimits {
    return this.#proxy().clientLimits?.(info) ?? this.#limits();
  }

  /** A parser for a connection's heads, its rules switching to the server a request names. */
  #parser(info: ConnectionInfo): RequestHeadParser {
    const proxy = this.#proxy();
    const byHost = proxy.clientLimitsByHost?.(info);
    return new RequestHeadParser(this.#headLimitsOf(this.#limitsFor(info)), byHost ? (host) => this.#headLimitsOf(byHost(host)) : null);
  }

  #headLimitsOf(limits: ClientLimits): HeadLimits {
    let head = this.#headLimits.get(limits);
    if (!head) {
      const large = limits.largeClientHeaderBuffers;
      head = {
        buffers: { client: limits.clientHeaderBufferSize, large: large.size, count: large.count },
        maxHeaders: limits.maxHeaders,
        ignoreInvalidHeaders: limits.ignoreInvalidHeaders,
        underscoresInHeaders: limits.underscoresInHeaders,
      };
      this.#headLimits.set(limits, head);
    }
    return head;
  }

  /** One request: the core's answer, written. Resolves whether the connection goes on. */
  async #answer(session: Session, read: ReadHead, body: RequestBody, wire: RequestWire): Promise<boolean> {
    const conn = session.conn;
    this.#inFlight++;
    this.#answering.add(session);
    const head = read.head;
    let result: ProxyResponse | null = null;
    try {
      result = await this.#handle(head, body, session.info, wire);
      if (result.kind === "close") {
        conn.close();
        return false;
      }
      // The answering location's settings (the core has decided keep-alive by them), else the connection's.
      const limits = this.#limitsFor(session.info);
      const client = result.client ?? {
        keepaliveTimeoutMs: limits.keepaliveTimeoutMs,
        keepaliveHeaderSec: null,
        sendTimeoutMs: limits.sendTimeoutMs,
        chunked: true,
      };
      conn.setIdleTimeout(client.sendTimeoutMs);
      const allowed = result.client ? true : limits.keepaliveTimeoutMs > 0 && session.served < limits.keepaliveRequests;
      const keepAlive = !this.#closing && !session.retired && allowed && read.facts.keepAlive;
      const answering = {
        isHead: head.method === "HEAD",
        httpVersion: head.httpVersion,
        keepAlive,
        keepAliveHeaderSec: client.keepaliveHeaderSec,
        chunked: client.chunked,
      };
      const kept = await writeResponse(conn, result, answering, result.log ?? this.#log);
      if (result.tunnel) {
        await this.#tunnel(conn, result.tunnel, body, client.sendTimeoutMs);
        return false;
      }
      // Between requests, keepalive_timeout; the next head's first byte starts its own clock.
      if (kept) conn.setIdleTimeout(client.keepaliveTimeoutMs);
      return kept;
    } finally {
      this.#inFlight--;
      this.#answering.delete(session);
      if (result) this.#responded(session, result.kind === "response" ? result.status : result.logStatus);
      if (result?.kind === "response") result.done?.();
    }
  }

  /** After its 101: the connection is a tunnel until either side closes (tunnel.ts). */
  async #tunnel(conn: ClientConnection, tunnel: Tunnel, body: RequestBody, sendTimeoutMs: number): Promise<void> {
    const upstream = tunnel.upstream;
    const clientFirst = await body.finish();
    if (upstream.kind !== "connection" || clientFirst === null) {
      if (upstream.kind === "connection") upstream.connection.close();
      conn.close();
      return;
    }
    this.#tunnels.add(conn);
    try {
      const ends = {
        client: conn,
        clientFirst,
        upstream: upstream.connection,
        upstreamFirst: upstream.first,
        clientSendTimeoutMs: sendTimeoutMs,
      };
      await runTunnel(ends, tunnel);
    } finally {
      this.#tunnels.delete(conn);
    }
  }

  /**
   * A reload retires the connections open now, as an old nginx worker's
   * (ngx_close_idle_connections(), ngx_shutdown_timer_handler()): those idle after a request close
   * at once, the others after the response they are answering; the returned function closes
   * what is left of them (connections yet to send a request, requests, tunnels), for
   * `worker_shutdown_timeout`.
   */
  retire(): () => void {
    const open = [...this.#waiting.keys(), ...[...this.#answering].map((s) => s.conn), ...this.#tunnels];
    for (const session of [...this.#waiting.values(), ...this.#answering]) session.retired = true;
    for (const [conn, session] of this.#waiting) {
      if (session.served === 0) continue;
      this.#waiting.delete(conn);
      conn.close();
      countClosed(this.#counts, session);
    }
    return () => {
      for (const conn of open) {
        const session = this.#waiting.get(conn);
        this.#waiting.delete(conn);
        conn.close();
        if (session) countClosed(this.#counts, session);
      }
    };
  }

  async #handle(head: RequestHead, body: RequestBody, info: ConnectionInfo, wire: RequestWire): Promise<ProxyResponse> {
    try {
      return await this.#proxy().handle(head, body, info, wire);
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
  async #readHead(session: Session, parser: RequestHeadParser): Promise<ReadHead | RefusedHead | null> {
    const conn = session.conn;
    const pending = session.pending;
    let started = pending.byteLength > 0;
    if (started) {
      this.#started(session);
      session.received += pending.byteLength;
      const read = parser.push(pending);
      if (read !== null) return read;
    }
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await conn.read();
      } catch (error) {
        if (started && (error as Error).name === "IdleTimeoutError") this.#timedOut(session, parser);
        return null;
      }
      if (chunk === null) return null;
      if (!started) {
        // The next request has begun: its head is due within client_header_timeout.
        started = true;
        this.#started(session);
        conn.setIdleTimeout(0);
        conn.setDeadline(Date.now() + this.#limitsFor(session.info).clientHeaderTimeoutMs);
      }
      session.received += chunk.byteLength;
      const read = parser.push(chunk);
      if (read !== null) return read;
    }
  }

  /** A request's first byte came: counted, and timed from here (nginx's `$request_time` starts here too). */
  #started(session: Session): void {
    countRequest(this.#counts, session);
    session.startedMs = Date.now();
  }

  /** The request ended with `status` (sent, or the one it is logged with): counted with its duration. */
  #responded(session: Session, status: number): void {
    countResponse(this.#counts, status, Date.now() - session.startedMs);
  }

  /** A head cut short by client_header_timeout: logged and counted as nginx logs it (408, nothing sent). */
  #timedOut(session: Session, parser: RequestHeadParser): void {
    this.#logRefused(parser.partial(), 408, session.info, `client timed out (110: Connection timed out)${parser.whileDoing}`);
    this.#responded(session, 408);
  }

  /** A head nginx refuses while reading it: logged, answered with its page, closed. */
  async #refuse(session: Session, refused: RefusedHead): Promise<void> {
    const conn = session.conn;
    this.#logRefused(refused.head, refused.status, session.info, refused.reason);
    const response = statusResponse(refused.status);
    this.#responded(session, response.kind === "response" ? response.status : refused.status);
    if (response.kind !== "response") {
      conn.close();
      countClosed(this.#counts, session);
      return;
    }
    conn.setDeadline(0);
    conn.setIdleTimeout(this.#limitsFor(session.info).sendTimeoutMs);
    const httpVersion = refused.head.httpVersion === "0.9" ? "0.9" : "1.1";
    await writeResponse(conn, { ...response, closeConnection: true }, { isHead: false, httpVersion, keepAlive: false }, this.#log);
    this.#end(session);
  }

  #logRefused(head: RequestHead, status: number, info: ConnectionInfo, reason: string): void {
    try {
      this.#proxy().refused(head, status, info, reason);
    } catch (failure) {
      this.#log.error(`logging a refused request failed: ${(failure as Error).message}`);
    }
  }
}
