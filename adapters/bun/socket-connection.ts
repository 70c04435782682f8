import { type Http1Connection, IdleTimeoutError, ReadQueue } from "../../core/index.ts";

/** Bun's TCP socket, with the flow control it has at run time but not in its types. */
export type BunSocket = Bun.Socket<BunSocketConnection> & { pause(): void; resume(): void };

interface PendingWrite {
  data: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A `Bun.connect` socket as the core's HTTP/1 client uses it. Bun calls back with data and takes
 * what it can of a write (it returns the count): reads go through the core's queue, and the
 * unwritten rest of a write waits for `drain`, in order.
 */
export class BunSocketConnection implements Http1Connection {
  #socket: BunSocket | null = null;
  readonly #reads = new ReadQueue({ pause: () => this.#socket?.pause(), resume: () => this.#socket?.resume() });
  #pending: PendingWrite[] = [];
  #idleMs = 0;
  #lastActive = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #firesAt = 0;

  /** Called by the dialer once the socket is open (after the handshake for TLS). */
  attach(socket: BunSocket): void {
    this.#socket = socket;
  }

  get isClosed(): boolean {
    return this.#reads.isEnded;
  }

  read(): Promise<Uint8Array | null> {
    return this.#reads.read();
  }

  unshift(chunk: Uint8Array): void {
    this.#reads.unshift(chunk);
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#reads.isEnded || !socket) return Promise.reject(this.#reads.error ?? new Error("upstream connection closed"));
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
    if (ms === 0 || this.#reads.isEnded) return;
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
    this.#reads.push(chunk);
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
      if (this.#idleMs === 0 || this.#reads.isEnded) return;
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
    this.#reads.finish(error);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const failure = this.#reads.error ?? new Error("upstream connection closed");
    for (const p of this.#pending.splice(0)) p.reject(failure);
  }
}
