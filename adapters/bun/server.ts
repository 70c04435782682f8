import { type ClientLimits, type ConnectionInfo, type EdgeProxy, Http1Server, type Listen, type Logger } from "../../core/index.ts";
import { DescriptorGuard } from "../node/descriptors.ts";
import { BindError, listenAddress } from "../node/system-error.ts";
import { type BunSocket, BunSocketConnection } from "./socket-connection.ts";

type Listener = Bun.TCPSocketListener<BunSocketConnection> | Bun.UnixSocketListener<BunSocketConnection>;

/**
 * The listening side on Bun: one `Bun.listen` per `listen` address, each accepted socket served
 * by the core's HTTP/1 server, as on Node. (Bun.serve parsed and framed requests itself, and a
 * Fetch handler cannot see what nginx reads: the raw target, the request line, a preread body.)
 */
export class BunServer {
  readonly #http: Http1Server;
  #limits: ClientLimits;
  readonly #listeners = new Map<string, Listener>();
  readonly #open = new Set<BunSocketConnection>();
  readonly #descriptors: DescriptorGuard;

  /** `proxy` is read per request, so a reload can swap it. */
  constructor(proxy: () => EdgeProxy, log: Logger, limits: ClientLimits) {
    this.#limits = limits;
    this.#http = new Http1Server(proxy, () => this.#limits, log);
    this.#descriptors = new DescriptorGuard(log);
  }

  /** Binds every address; on a bind error nothing is left listening. */
  listen(listens: readonly Listen[]): void {
    try {
      for (const l of listens) this.#listeners.set(l.key, this.#listen(l));
    } catch (error) {
      for (const s of this.#listeners.values()) s.stop(true);
      throw error;
    }
  }

  /** After a reload: binds new addresses, stops accepting on removed ones (in-flight finish). */
  update(listens: readonly Listen[], limits: ClientLimits, shutdownTimeoutMs: number | null): void {
    this.#limits = limits;
    // Tunnels of the old config live on, as an old nginx worker's, up to worker_shutdown_timeout.
    if (shutdownTimeoutMs !== null) setTimeout(this.#http.tunnelsNow(), shutdownTimeoutMs).unref?.();
    const wanted = new Set(listens.map((l) => l.key));
    for (const l of listens) if (!this.#listeners.has(l.key)) this.#listeners.set(l.key, this.#listen(l));
    for (const [key, listener] of this.#listeners) {
      if (wanted.has(key)) continue;
      listener.stop(false);
      this.#listeners.delete(key);
    }
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    for (const s of this.#listeners.values()) s.stop(false);
    this.#http.stop();
    const deadline = Date.now() + graceMs;
    while (this.#http.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.#open) conn.close();
  }

  /** Binds one address; a failure names it and the reason, as nginx's `bind() to ... failed`. */
  #listen(l: Listen): Listener {
    try {
      return this.#bind(l);
    } catch (error) {
      throw new BindError(listenAddress(l), error);
    }
  }

  #bind(l: Listen): Listener {
    const socket: Bun.SocketHandler<BunSocketConnection> = {
      open: (s) => this.#accept(l, s as BunSocket),
      // A socket turned away at the accept has no connection (`data`).
      data: (s, chunk) => s.data?.onData(chunk),
      drain: (s) => s.data?.onDrain(),
      end: (s) => s.data?.onEnd(null),
      close: (s, error) => {
        s.data?.onClose(error ?? null);
        this.#open.delete(s.data);
      },
      error: (s, error) => s.data?.onEnd(error),
    };
    // Half-open: a client that shuts its sending side after the request still gets the answer.
    if (l.kind === "unix") return Bun.listen<BunSocketConnection>({ unix: l.path, allowHalfOpen: true, socket });
    // Bun.listen takes ipv6Only as Bun.connect does, though its listen types leave it out.
    const options: Bun.TCPSocketListenOptions<BunSocketConnection> & { ipv6Only: boolean } = {
      hostname: l.host ?? "0.0.0.0",
      port: l.port,
      ipv6Only: l.ipv6Only && (l.host?.includes(":") ?? false),
      allowHalfOpen: true,
      socket,
    };
    return Bun.listen<BunSocketConnection>(options);
  }

  #accept(l: Listen, socket: BunSocket): void {
    if (!this.#descriptors.admits(this.#open.size)) {
      socket.terminate();
      return;
    }
    const conn = new BunSocketConnection();
    conn.attach(socket);
    socket.data = conn;
    socket.setNoDelay(true);
    this.#open.add(conn);
    const info: ConnectionInfo = {
      remoteAddress: l.kind === "unix" ? "unix:" : unmapped(socket.remoteAddress),
      remotePort: l.kind === "unix" ? 0 : socket.remotePort,
      listenKey: l.key,
      localAddress: l.kind === "unix" ? "" : unmapped(socket.localAddress),
      localPort: l.kind === "unix" ? 0 : socket.localPort,
      isTls: false,
      id: ++accepted,
    };
    this.#http.serve(conn, info);
  }
}

/** Connections accepted by this process: each one's number in the error log (nginx's `*N`). */
let accepted = 0;

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
