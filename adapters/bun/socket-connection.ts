import { type ClientConnection, IdleTimeoutError, type ReadableListener, ReadQueue } from "../../core/index.ts";

/** Bun's TCP socket, with the flow control it has at run time but not in its types. */
export type BunSocket = Bun.Socket<BunSocketConnection> & { pause(): void; resume(): void };

interface PendingWrite {
  data: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** nginx's `lingering_timeout`: how long a closing connection keeps draining what the client still sends. */
const LINGERING_MS = 5000;

/**
 * A Bun socket as the core's HTTP/1 client (`Bun.connect`) and server (`Bun.listen`) use it.
 * Bun calls back with data and takes what it can of a write (it returns the count): reads go
 * through the core's queue, and the unwritten rest of a write waits for `drain`, in order.
 */
export class BunSocketConnection implements ClientConnection {
  #socket: BunSocket | null = null;
  readonly #reads = new ReadQueue({ pause: () => this.#socket?.pause(), resume: () => this.#socket?.resume() });
  #pending: PendingWrite[] = [];
  #idleMs = 0;
  #lastActive = 0;
  #deadlineMs = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #firesAt = 0;
  /** `end()` was called: close once the pending writes are out, drop what is read. */
  #ending = false;
  /** Bun closed the socket (its `close` handler ran). */
  #closed = false;

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

  watchIdle(listener: (() => void) | null): void {
    this.#reads.watchIdle(listener);
  }

  get isWriteBlocked(): boolean {
    return this.#pending.length > 0;
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#reads.isEnded || !socket) return Promise.reject(this.#reads.error ?? new Error("connection closed"));
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
    if (ms !== 0) this.#due(this.#lastActive + ms);
  }

  setDeadline(atMs: number): void {
    this.#deadlineMs = atMs;
    if (atMs !== 0) this.#due(atMs);
  }

  /**
   * Closes as close(2) does (nginx's and Node's): FIN, and a reset only where the kernel sends
   * one (bytes left unread). Bun's `end()` closes both ways at once; `terminate()` would reset
   * every connection, so a client reading its last answer or an idle one could see an error.
   */
  close(): void {
    this.#finish(null);
    this.#socket?.end();
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    if (!this.#reads.isEnded) {
      // Lingering close: what the client still sends is read and dropped, for a while (a socket
      // paused by the read queue would leave it unread).
      this.#deadlineMs = 0;
      this.setIdleTimeout(LINGERING_MS);
      this.#socket?.resume();
    }
    if (this.#pending.length === 0) this.#closeWritten();
  }

  /**
   * Once the last write is out: a client that shut its side already is closed; else only our
   * side is shut (FIN) and the client's last bytes are drained until it closes or lingering
   * ends. Bun's `end()` closes both ways, and a close over bytes still arriving resets the
   * connection, which can destroy the answer before the client reads it.
   */
  #closeWritten(): void {
    if (this.#reads.isEnded) this.#socket?.end();
    else this.#socket?.shutdown();
  }

  // Bun's socket handlers call these.

  onData(chunk: Uint8Array): void {
    this.#lastActive = Date.now();
    if (!this.#ending) this.#reads.push(chunk);
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
    if (this.#ending) this.#closeWritten();
  }

  onEnd(error: Error | null): void {
    this.#finish(error);
    // The client closed while we lingered: nothing more to drain.
    if (this.#ending) this.#socket?.end();
  }

  /** Bun's `close`: the socket is gone. */
  onClose(error: Error | null): void {
    this.#closed = true;
    this.#finish(error);
  }

  watchClose(listener: (() => void) | null): void {
    this.#reads.watchGone(listener);
  }

  whenReadable(listener: ReadableListener | null): void {
    this.#reads.whenReadable(listener);
  }

  /**
   * One timer per connection, moved only when it would fire too late: reads, writes and new
   * timeouts just note the time, so a request costs no timer work (measured: three timers per
   * request were 2% of a small GET's CPU on Bun). On firing it checks both limits and re-arms
   * for the nearer one if neither has passed.
   */
  #due(atMs: number): void {
    if (this.#reads.isEnded || (this.#timer && this.#firesAt <= atMs)) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armTimer(atMs);
  }

  #armTimer(atMs: number): void {
    this.#firesAt = atMs;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        if (this.#reads.isEnded) return;
        const idleDue = this.#idleMs === 0 ? Number.POSITIVE_INFINITY : this.#lastActive + this.#idleMs;
        const due = Math.min(idleDue, this.#deadlineMs === 0 ? Number.POSITIVE_INFINITY : this.#deadlineMs);
        if (due === Number.POSITIVE_INFINITY) return;
        if (Date.now() < due) {
          this.#armTimer(due);
          return;
        }
        this.#finish(new IdleTimeoutError());
        this.#socket?.end();
      },
      Math.max(0, atMs - Date.now()),
    );
    this.#timer.unref?.();
  }

  #finish(error: Error | null): void {
    this.#reads.finish(error);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const failure = this.#reads.error ?? new Error("connection closed");
    for (const p of this.#pending.splice(0)) p.reject(failure);
  }
}
