import type { Socket } from "node:net";

/** Raised when a socket stays idle past its timeout; the transport reports it as `timeout`. */
export class IdleTimeoutError extends Error {
  constructor() {
    super("upstream timed out");
    this.name = "IdleTimeoutError";
  }
}

/**
 * Pull-style reads from a socket that outlives one request (upstream keepalive): one reader
 * per socket, chunks queued with backpressure, errors and end surfaced to the next read.
 */
export class SocketReader {
  readonly socket: Socket;
  #queue: Buffer[] = [];
  #waiter: { resolve: (b: Buffer | null) => void; reject: (e: Error) => void } | null = null;
  #ended = false;
  #error: Error | null = null;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      const w = this.#waiter;
      if (w) {
        this.#waiter = null;
        w.resolve(chunk);
        return;
      }
      this.#queue.push(chunk);
      if (this.#queue.length > 4) socket.pause();
    });
    socket.on("end", () => this.#finish(null));
    socket.on("close", () => this.#finish(null));
    socket.on("error", (e) => this.#finish(e));
    socket.on("timeout", () => socket.destroy(new IdleTimeoutError()));
  }

  /** True when the peer closed or the socket failed. */
  get isClosed(): boolean {
    return this.#ended || this.socket.destroyed;
  }

  /** The next chunk; null at end of stream; rejects with the socket's error. */
  read(): Promise<Buffer | null> {
    const next = this.#queue.shift();
    if (next) {
      if (this.#queue.length === 0) this.socket.resume();
      return Promise.resolve(next);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    this.socket.resume();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Bytes read too far (the start of a body after a head) go back to the front. */
  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.#queue.unshift(chunk);
  }

  #finish(error: Error | null): void {
    if (error && !this.#error) this.#error = error;
    this.#ended = true;
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    if (this.#error) w.reject(this.#error);
    else w.resolve(null);
  }
}
