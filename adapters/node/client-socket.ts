import type { Socket } from "node:net";
import { type ClientConnection, IdleTimeoutError, ReadQueue } from "../../core/index.ts";
import { writeToSocket } from "./socket-write.ts";

/** nginx's `lingering_timeout`: how long a closing connection keeps draining what the client still sends. */
const LINGERING_MS = 5000;

/**
 * An accepted node:net socket as the core's HTTP/1 server uses it. Its timers are not node
 * timers: `sweep()`, called by the server a few times a second for every connection, closes
 * the ones past their deadline or idle for too long. So a request moves no timer at all, only
 * a flag and two numbers (node:http checks its connections the same way).
 */
export class ClientSocket implements ClientConnection {
  readonly #socket: Socket;
  readonly #reads: ReadQueue;
  /** A byte was read or written since the last sweep. */
  #active = true;
  #lastActiveMs: number;
  #idleMs = 0;
  #deadlineMs = 0;

  constructor(socket: Socket, nowMs: number) {
    this.#socket = socket;
    this.#lastActiveMs = nowMs;
    this.#reads = new ReadQueue(socket);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#active = true;
      this.#reads.push(chunk);
    });
    socket.on("end", () => this.#reads.finish(null));
    socket.on("close", () => this.#reads.finish(null));
    socket.on("error", (e) => this.#reads.finish(e));
  }

  watchClose(listener: (() => void) | null): void {
    this.#reads.watchGone(listener);
  }

  get isClosed(): boolean {
    return this.#reads.isEnded || this.#socket.destroyed;
  }

  read(): Promise<Uint8Array | null> {
    return this.#reads.read();
  }

  unshift(chunk: Uint8Array): void {
    this.#reads.unshift(chunk);
  }

  write(data: Uint8Array): Promise<void> {
    this.#active = true;
    return writeToSocket(this.#socket, data, () => this.#reads.error ?? new Error("client closed the connection"));
  }

  setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
    this.#active = true;
  }

  setDeadline(atMs: number): void {
    this.#deadlineMs = atMs;
  }

  close(): void {
    this.#socket.destroy();
  }

  end(): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    // Lingering close: read and drop what the client still sends, so the kernel does not answer
    // it with a reset that could destroy the response before the client has read it.
    socket.removeAllListeners("data");
    socket.on("data", () => {});
    socket.resume();
    socket.end();
    this.#idleMs = LINGERING_MS;
    this.#deadlineMs = 0;
  }

  /** Closes the connection if its deadline passed or it was idle for its whole timeout. */
  sweep(nowMs: number): void {
    if (this.#active) {
      this.#active = false;
      this.#lastActiveMs = nowMs;
    }
    const late = this.#deadlineMs > 0 && nowMs >= this.#deadlineMs;
    const idle = this.#idleMs > 0 && nowMs - this.#lastActiveMs >= this.#idleMs;
    if (late || idle) this.#socket.destroy(new IdleTimeoutError());
  }
}
