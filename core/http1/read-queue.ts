/** Chunks queued unread before the socket is paused: backpressure from a slow consumer. */
const MAX_QUEUED = 4;

/** What the queue asks of its socket. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/**
 * The read half of an `Http1Connection` over a socket that pushes chunks (node:net events,
 * Bun's callbacks): a pull-style `read()`, the socket paused while chunks pile up unread, and
 * the end or the error handed to the next read.
 */
export class ReadQueue {
  readonly #flow: FlowControl;
  #chunks: Uint8Array[] = [];
  #waiter: { resolve: (chunk: Uint8Array | null) => void; reject: (error: Error) => void } | null = null;
  #ended = false;
  #error: Error | null = null;

  constructor(flow: FlowControl) {
    this.#flow = flow;
  }

  /** The socket ended or failed (queued chunks are still read first). */
  get isEnded(): boolean {
    return this.#ended;
  }

  /** Chunks are waiting to be read. */
  get hasQueued(): boolean {
    return this.#chunks.length > 0;
  }

  /** Why the socket failed, if it did. */
  get error(): Error | null {
    return this.#error;
  }

  /** A chunk from the socket. */
  push(chunk: Uint8Array): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    if (this.#chunks.length > MAX_QUEUED) this.#flow.pause();
  }

  /** The next chunk; null at the end; rejects with the socket's error. */
  read(): Promise<Uint8Array | null> {
    const next = this.#chunks.shift();
    if (next) {
      if (this.#chunks.length === 0) this.#flow.resume();
      return Promise.resolve(next);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    this.#flow.resume();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Bytes read too far go back to the front. */
  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.#chunks.unshift(chunk);
  }

  /** The socket ended (`null`) or failed; the first error is kept. A pending read settles. */
  finish(error: Error | null): void {
    if (error && !this.#error) this.#error = error;
    this.#ended = true;
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    if (this.#error) w.reject(this.#error);
    else w.resolve(null);
  }
}
