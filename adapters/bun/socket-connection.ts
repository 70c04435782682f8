import { type Http1Connection, IdleTimeoutError } from "../../core/index.ts";

/** Bun's TCP socket, with the flow control it has at run time but not in its types. */
export type BunSocket = Bun.Socket<BunSocketConnection> & { pause(): void; resume(): void };

/** Chunks queued unread before the socket is paused: backpressure from a slow consumer. */
const MAX_QUEUED = 4;

interface PendingWrite {
  data: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A `Bun.connect` socket as the core's HTTP/1 client uses it. Bun calls back with data and takes
 * what it can of a write (it returns the count): reads are queued for a pull-style reader and
 * paused when the queue is full; the unwritten rest of a write waits for `drain`, in order.
 */
export class BunSocketConnection implements Http1Connection {
  #socket: BunSocket | null = null;
  #queue: Uint8Array[] = [];
  #waiter: { resolve: (b: Uint8Array | null) => void; reject: (e: Error) => void } | null = null;
  #pending: PendingWrite[] = [];
  #ended = false;
  #error: Error | null = null;
  #idleMs = 0;
  #lastActive = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #firesAt = 0;

  /** Called by the dialer once the socket is open (after the handshake for TLS). */
  attach(socket: BunSocket): void {
    this.#socket = socket;
  }

  get isClosed(): boolean {
    return this.#ended;
  }

  read(): Promise<Uint8Array | null> {
    const next = this.#queue.shift();
    if (next) {
      if (this.#queue.length === 0) this.#socket?.resume();
      return Promise.resolve(next);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.#queue.unshift(chunk);
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#ended || !socket) return Promise.reject(this.#error ?? new Error("upstream connection closed"));
    this.#lastActive = Date.now();
    let rest = data;
    if (this.#pending.length === 0) {
      const written = socket.write(data);
      if (written === data.byteLength) return Promise.resolve();
      rest = data.subarray(Math.max(0, written));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ data: rest, resolve, reject });
    });
  }

  setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
    this.#lastActive = Date.now();
    if (ms === 0 || this.#ended) return;
    // The armed timer may stay when it fires no later than this deadline (it re-arms itself).
    if (this.#timer && this.#firesAt <= this.#lastActive + ms) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armTimer(ms);
  }

  close(): void {
    this.#finish(null);
    this.#socket?.terminate();
  }

  // Bun's socket handlers call these.

  onData(chunk: Uint8Array): void {
    this.#lastActive = Date.now();
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
    if (this.#queue.length > MAX_QUEUED) this.#socket?.pause();
  }

  onDrain(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#lastActive = Date.now();
    while (this.#pending.length > 0) {
      const next = this.#pending[0] as PendingWrite;
      const written = socket.write(next.data);
      if (written < next.data.byteLength) {
        next.data = next.data.subarray(Math.max(0, written));
        return;
      }
      this.#pending.shift();
      next.resolve();
    }
  }

  onEnd(error: Error | null): void {
    this.#finish(error);
  }

  /**
   * One timer per connection, moved only when it would fire too late: reads, writes and new
   * timeouts just note the time, so a request costs no timer work (measured: three timers per
   * request were 2% of a small GET's CPU on Bun).
   */
  #armTimer(delay: number): void {
    this.#firesAt = Date.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#idleMs === 0 || this.#ended) return;
      const idle = Date.now() - this.#lastActive;
      if (idle < this.#idleMs) {
        this.#armTimer(this.#idleMs - idle);
        return;
      }
      this.#finish(new IdleTimeoutError());
      this.#socket?.terminate();
    }, delay);
    this.#timer.unref?.();
  }

  #finish(error: Error | null): void {
    if (error && !this.#error) this.#error = error;
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const failure = this.#error ?? new Error("upstream connection closed");
    for (const p of this.#pending.splice(0)) p.reject(failure);
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    if (this.#error) w.reject(this.#error);
    else w.resolve(null);
  }
}
