import type { Socket } from "node:net";
import { type Http1Connection, IdleTimeoutError, ReadQueue } from "../../core/index.ts";
import { writeToSocket } from "./socket-write.ts";

/**
 * A node:net or node:tls socket as the core's HTTP/1 client and server use it: reads through
 * the core's queue, writes held back by a full socket. Upstream connections time out with
 * node's socket timer; accepted client sockets (`ClientSocket`) swap it for a sweep.
 */
export class SocketConnection implements Http1Connection {
  protected readonly socket: Socket;
  protected readonly reads: ReadQueue;
  #timeoutMs = 0;

  constructor(socket: Socket) {
    this.socket = socket;
    this.reads = new ReadQueue(socket);
    socket.on("data", (chunk: Buffer) => this.reads.push(chunk));
    socket.on("end", () => this.reads.finish(null));
    socket.on("close", () => this.reads.finish(null));
    socket.on("error", (e) => this.reads.finish(e));
    socket.on("timeout", () => socket.destroy(new IdleTimeoutError()));
  }

  get isClosed(): boolean {
    return this.reads.isEnded || this.socket.destroyed;
  }

  read(): Promise<Uint8Array | null> {
    return this.reads.read();
  }

  watchIdle(listener: (() => void) | null): void {
    this.reads.watchIdle(listener);
  }

  write(data: Uint8Array): Promise<void> {
    return writeToSocket(this.socket, data, () => this.reads.error ?? new Error("connection closed"));
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
}
