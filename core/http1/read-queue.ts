/** Chunks queued unread before the socket is paused: backpressure from a slow consumer. */
const MAX_QUEUED = 4;

/** What the queue asks of its socket. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** Told once that there is something to read (bytes, the end, or an error). */
export interface ReadableListener {
  onReadable(): void;
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
  #onGone: (() => void) | null = null;
  #onIdleActivity: (() => void) | null = null;
  #onReadable: ReadableListener | null = null;

  constructor(flow: FlowControl) {
    this.#flow = flow;
  }

  /** The socket ended or failed (queued chunks are still read first). */
  get isEnded(): boolean {
    return this.#ended;
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
    this.#tellIdleActivity();
    this.#tellReadable();
  }

  /**
   * Calls `listener.onReadable()` once when there is something to read: a chunk, the end, or an
   * error (at once if there is). Waiting so holds no promise and no suspended function, which is
   * what an idle connection costs; null removes it.
   */
  whenReadable(listener: ReadableListener | null): void {
    this.#onReadable = listener;
    if (listener && (this.#chunks.length > 0 || this.#ended)) this.#tellReadable();
  }

  #tellReadable(): void {
    const listener = this.#onReadable;
    this.#onReadable = null;
    listener?.onReadable();
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

  /**
   * Calls `listener` once if bytes arrive, or the socket ends or fails, while nobody reads: an
   * idle keepalive connection that is no longer clean (nginx's
   * `ngx_http_upstream_keepalive_close_handler()`). At once if bytes are queued or the socket has
   * ended already; null removes it.
   */
  watchIdle(listener: (() => void) | null): void {
    this.#onIdleActivity = listener;
    if (listener && (this.#chunks.length > 0 || this.#ended)) this.#tellIdleActivity();
  }

  #tellIdleActivity(): void {
    const listener = this.#onIdleActivity;
    this.#onIdleActivity = null;
    listener?.();
  }

  /**
   * Calls `listener` once when the peer has gone: the socket failed, or ended with nothing left
   * unread (a pipelined request still queued is not a peer that left). At once if it has; null
   * removes it. One listener at a time.
   */
  watchGone(listener: (() => void) | null): void {
    this.#onGone = listener;
    if (listener) this.#tellIfGone();
  }

  #tellIfGone(): void {
    if (!this.#ended || (this.#error === null && this.#chunks.length > 0)) return;
    const listener = this.#onGone;
    this.#onGone = null;
    listener?.();
  }

  /** The socket ended (`null`) or failed; the first error is kept. A pending read settles. */
  finish(error: Error | null): void {
    if (error && !this.#error) this.#error = error;
    this.#ended = true;
    this.#tellIfGone();
    this.#tellIdleActivity();
    this.#tellReadable();
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    if (this.#error) w.reject(this.#error);
    else w.resolve(null);
  }
}
