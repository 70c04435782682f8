import net from "node:net";

/** What one client connection received, and whether the proxy ended it (FIN or reset) before the harness did. */
export interface ClientOutcome {
  readonly port: number;
  readonly received: Buffer;
  readonly closedByProxy: boolean;
}

/** How long a client waits: quiet for `quietMs` (nothing received after the last write) ends a wait, `capMs` ends it anyway. */
export interface Patience {
  readonly quietMs: number;
  readonly capMs: number;
  /** Pause between the writes of a request cut into several. */
  readonly gapMs: number;
}

/** One client connection of a case: connects, writes, and collects everything until the harness ends it. */
export class FuzzClient {
  readonly #socket: net.Socket;
  readonly #port: number;
  readonly #chunks: Buffer[] = [];
  #closed = false;
  #lastActivity = performance.now();
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#port = socket.localPort ?? 0;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#touch();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#closed = true;
      this.#touch();
    });
  }

  /** Connects to a proxy; `register` learns the local port before any byte is sent. */
  static async open(port: number, register: (localPort: number) => void): Promise<FuzzClient> {
    const socket = net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new FuzzClient(socket);
    register(socket.localPort as number);
    return client;
  }

  get port(): number {
    return this.#port;
  }

  /** Writes `bytes` cut at `splits`, pausing between the pieces; stops if the proxy has closed. */
  async send(bytes: Buffer, splits: readonly number[], patience: Patience): Promise<void> {
    const edges = [0, ...splits, bytes.length];
    for (let i = 0; i + 1 < edges.length; i++) {
      if (this.#closed || this.#socket.destroyed) return;
      if (i > 0) await new Promise((r) => setTimeout(r, patience.gapMs));
      this.#socket.write(bytes.subarray(edges[i], edges[i + 1]));
      this.#touch();
    }
  }

  /** Waits until the proxy has closed the connection, or has sent nothing for `quietMs`, or `capMs` passed. */
  async settle(patience: Patience): Promise<void> {
    const deadline = performance.now() + patience.capMs;
    while (!this.#closed) {
      const now = performance.now();
      const quietAt = this.#lastActivity + patience.quietMs;
      if (now >= quietAt || now >= deadline) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(quietAt, deadline) - now);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Ends the connection (if the proxy has not) and returns what it received. */
  finish(): ClientOutcome {
    const closedByProxy = this.#closed;
    this.#socket.destroy();
    return { port: this.#port, received: Buffer.concat(this.#chunks), closedByProxy };
  }

  #touch(): void {
    this.#lastActivity = performance.now();
    this.#wake?.();
  }
}
