import type { Socket } from "node:net";
import { type Http1Connection, IdleTimeoutError } from "../../core/index.ts";

/**
 * A node:net or node:tls socket as the core's HTTP/1 client uses it, for a connection that
 * outlives one request (upstream keepalive): pull-style reads queued with backpressure, errors
 * and end surfaced to the next read, writes held back by a full socket.
 */
export class SocketConnection implements Http1Connection {
  readonly socket: Socket;
  #queue: Buffer[] = [];
  #waiter: { resolve: (b: Buffer | null) => void; reject: (e: Error) => void } | null = null;
  #ended = false;
  #error: Error | null = null;
  #timeoutMs = 0;

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

  get isClosed(): boolean {
    return this.#ended || this.socket.destroyed;
  }

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

  unshift(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.#queue.unshift(chunk as Buffer);
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed) return Promise.reject(this.#error ?? new Error("upstream connection closed"));
    if (socket.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        socket.off("drain", onDrain);
        socket.off("close", onClose);
        socket.off("error", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = (e?: unknown) => done(e instanceof Error ? e : (this.#error ?? new Error("upstream connection closed")));
      socket.on("drain", onDrain);
      socket.on("close", onClose);
      socket.on("error", onClose);
    });
  }

  /**
   * node:net allocates a timer on every setTimeout, and send, read and cache timeouts are usually
   * one value: set only changes. The countdown still restarts with every read and write.
   */
  setIdleTimeout(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  close(): void {
    this.socket.destroy();
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
