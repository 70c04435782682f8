import type { PeerAddress } from "../config/model.ts";
import type { ProxySslSettings } from "../config/modules/proxy-ssl.ts";
import { describeSocketError } from "../log/system-error.ts";
import type { ReadableListener } from "./read-queue.ts";

/**
 * An open byte connection to an upstream peer, as a platform's sockets give it (node:net,
 * Bun.connect): what the HTTP/1 client needs and nothing more.
 */
export interface Http1Connection {
  /** The next chunk read; null once the peer has closed; rejects with the connection's error. */
  read(): Promise<Uint8Array | null>;
  /**
   * Calls `listener` once if bytes arrive, or the peer closes, while nobody reads (at once if
   * that happened already); null removes it. A cached upstream connection is dropped then.
   */
  watchIdle(listener: (() => void) | null): void;
  /**
   * Sends bytes in order. Resolves once the platform has taken them (it may still be sending),
   * so a writer that awaits each write is held back by a slow peer; rejects if the connection fails.
   */
  write(data: Uint8Array): Promise<void>;
  /** The peer has not taken all that was written: the last write waits for it. */
  readonly isWriteBlocked: boolean;
  /**
   * Calls `listener` once if the peer closes or resets the connection with nothing of it left
   * unread (at once if it already has); null removes it. One listener at a time.
   */
  watchClose(listener: (() => void) | null): void;
  /**
   * After `ms` with no byte read or written, the connection closes and a pending or later read
   * or write fails with `IdleTimeoutError` (nginx's send and read timeouts, and the idle time of
   * a cached connection), counted from the last read or write (a platform may restart it on the
   * call as well). 0 turns the timer off.
   */
  setIdleTimeout(ms: number): void;
  /** The peer closed, or the connection failed or was closed. */
  readonly isClosed: boolean;
  /** Closes at once; pending reads end. Safe to call twice. */
  close(): void;
}

/** An accepted client connection, as a platform's sockets give it. */
export interface ClientConnection extends Http1Connection {
  /**
   * Closes the connection at `atMs` (a `Date.now()` time) whatever it is doing, failing a
   * pending read with `IdleTimeoutError`: nginx's `client_header_timeout` bounds the whole head,
   * not the pause between two reads. 0 removes it.
   */
  setDeadline(atMs: number): void;
  /** Sends what was written, then closes; what the client still sends is read and dropped. */
  end(): void;
  /**
   * Calls `listener.onReadable()` once when there is something to read (bytes, the end, an
   * error), at once if there is; null removes it. How an idle connection waits: no promise.
   */
  whenReadable(listener: ReadableListener | null): void;
}

/** Opens connections: the platform's half of the HTTP/1 client. */
export interface Dialer {
  /**
   * Connects within `timeoutMs`, with TLS when asked. Never throws: a failure is a value with
   * nginx's reason (`timeout` or `error`) and a line for the error log.
   */
  dial(peer: PeerAddress, tls: TlsOptions | null, timeoutMs: number): Promise<Http1Connection | DialFailure>;
}

export interface TlsOptions {
  /** SNI, sent only with `proxy_ssl_server_name on`. */
  readonly servername: string | null;
  /** `proxy_ssl_verify`. */
  readonly verify: boolean;
  /** The name the certificate is verified against: `proxy_ssl_name`, else the proxied host (5.9). */
  readonly name: string;
  /** The location's `proxy_ssl_*` settings: CAs, depth, client certificate, protocols, ciphers, session reuse. */
  readonly settings: ProxySslSettings;
  /**
   * The upstream peer the connection is to: nginx keeps one TLS session per peer, whichever
   * location made it (`ngx_http_upstream_save_round_robin_peer_session()`).
   */
  readonly sessionKey?: string;
}

export interface DialFailure {
  readonly failed: "timeout" | "error";
  /**
   * Why, as `describeError` words a socket error (`111: Connection refused`); for a TLS
   * handshake that failed, nginx's whole message (`upstream SSL certificate verify error: (...)`).
   */
  readonly detail: string;
  /** The TCP connection was made and its TLS handshake failed. */
  readonly inHandshake?: boolean;
}

/** A socket error as nginx words its reason (`111: Connection refused`): what a dialer reports. */
export function describeError(error: unknown): string {
  return describeSocketError(error);
}

/** A connection stayed idle past its timeout; the client reports it as nginx's `timeout`. */
export class IdleTimeoutError extends Error {
  constructor() {
    super("upstream timed out");
    this.name = "IdleTimeoutError";
  }
}
