import type { Socket } from "node:net";
import { type Http1Connection, IdleTimeoutError, ReadQueue } from "../../core/index.ts";
import { writeToSocket } from "./socket-write.ts";

const OWNER = Symbol("edgeproxy connection");

/** A socket that knows the connection wrapping it: its listeners are shared, not closures. */
type Owned = Socket & { [OWNER]: SocketConnection };

/**
 * A node:net or node:tls socket as the core's HTTP/1 client and server use it: reads through
 * the core's queue, writes held back by a full socket. Upstream connections time out with
 * node's socket timer; accepted client sockets (`ClientSocket`) swap it for a sweep.
 */
export class SocketConnection implements Http1Connection {
  protected readonly socket: Socket;
  /** Public to the module's shared listeners; nothing else outside the class touches it. */
  readonly reads: ReadQueue;
  #timeoutMs = 0;

  constructor(socket: Socket) {
    this.socket = socket;
    this.reads = new ReadQueue(socket);
    (socket as Owned)[OWNER] = this;
    // One set of listener functions for every socket: an idle connection holds no closures.
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", onError);
    socket.on("timeout", onTimeout);
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

  watchClose(listener: (() => void) | null): void {
    this.reads.watchGone(listener);
  }

  get isWriteBlocked(): boolean {
    return this.socket.writableNeedDrain;
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

  /** The socket ended, closed or failed (a subclass may also forget it here); for the shared listeners. */
  ended(error: Error | null): void {
    this.reads.finish(error);
  }
}

function onData(this: Socket, chunk: Buffer): void {
  (this as Owned)[OWNER].reads.push(chunk);
}

function onEnd(this: Socket): void {
  (this as Owned)[OWNER].ended(null);
}

function onError(this: Socket, error: Error): void {
  (this as Owned)[OWNER].ended(error);
}

function onTimeout(this: Socket): void {
  this.destroy(new IdleTimeoutError());
}
