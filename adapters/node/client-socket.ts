import type { Socket } from "node:net";
import { type ClientConnection, IdleTimeoutError, type ReadableListener } from "../../core/index.ts";
import { SocketConnection } from "./socket-connection.ts";

/** nginx's `lingering_timeout`: how long a closing connection keeps draining what the client still sends. */
const LINGERING_MS = 5000;

/**
 * An accepted node:net socket as the core's HTTP/1 server uses it. Its timers are not node
 * timers: `sweep()`, called by the server a few times a second for every connection, closes
 * the ones past their deadline or idle for too long, idle meaning that the socket's byte counts
 * did not move. So a request moves no timer at all, only two numbers (node:http checks its
 * connections the same way).
 */
export class ClientSocket extends SocketConnection implements ClientConnection {
  /** The server's open connections, which this one leaves when its socket closes. */
  readonly #open: Set<ClientSocket>;
  /** Bytes read and written at the last sweep; -1 restarts the idle countdown. */
  #progress = -1;
  #lastActiveMs = 0;
  #idleMs = 0;
  #deadlineMs = 0;

  constructor(socket: Socket, open: Set<ClientSocket>) {
    super(socket);
    this.#open = open;
    open.add(this);
  }

  override ended(error: Error | null): void {
    super.ended(error);
    if (this.socket.destroyed) this.#open.delete(this);
  }

  whenReadable(listener: ReadableListener | null): void {
    this.reads.whenReadable(listener);
  }

  override setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
    this.#progress = -1;
  }

  setDeadline(atMs: number): void {
    this.#deadlineMs = atMs;
  }

  end(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    // Lingering close: read and drop what the client still sends, so the kernel does not answer
    // it with a reset that could destroy the response before the client has read it.
    socket.removeAllListeners("data");
    socket.on("data", () => {});
    socket.resume();
    socket.end();
    this.setIdleTimeout(LINGERING_MS);
    this.#deadlineMs = 0;
  }

  /** Closes the connection if its deadline passed or it was idle for its whole timeout. */
  sweep(nowMs: number): void {
    const progress = this.socket.bytesRead + this.socket.bytesWritten;
    if (progress !== this.#progress) {
      this.#progress = progress;
      this.#lastActiveMs = nowMs;
    }
    const late = this.#deadlineMs > 0 && nowMs >= this.#deadlineMs;
    const idle = this.#idleMs > 0 && nowMs - this.#lastActiveMs >= this.#idleMs;
    if (late || idle) this.socket.destroy(new IdleTimeoutError());
  }
}
