import {
  type Config,
  type ConnectionInfo,
  type EdgeProxy,
  Http1Server,
  type Listen,
  type Logger,
  MemoryCounters,
  nextConnectionNumber,
  type StatusCounters,
  TlsPlan,
} from "../../core/index.ts";
import { DescriptorGuard } from "../node/descriptors.ts";
import { ALONE, NodeServer, type Sharing } from "../node/server.ts";
import { BindError, listenAddress } from "../node/system-error.ts";
import { type BunSocket, BunSocketConnection } from "./socket-connection.ts";

type Listener = Bun.TCPSocketListener<BunSocketConnection> | Bun.UnixSocketListener<BunSocketConnection>;

/**
 * The listening side on Bun: one `Bun.listen` per plain `listen` address, each accepted socket
 * served by the core's HTTP/1 server, as on Node. (Bun.serve parsed and framed requests itself,
 * and a Fetch handler cannot see what nginx reads: the raw target, the request line, a preread
 * body.) Addresses with TLS or HTTP/2 are served as on Node, on Bun's node:net, node:tls and
 * node:http2: Bun.listen's TLS takes one certificate per socket and no SNI choice, cannot tell a
 * plain request from a handshake (nginx's 497), and hands no socket to an HTTP/2 layer.
 */
export class BunServer {
  readonly #http: Http1Server;
  readonly #proxy: () => EdgeProxy;
  readonly #log: Logger;
  #limits: Config;
  readonly #listeners = new Map<string, Listener>();
  readonly #open = new Set<BunSocketConnection>();
  readonly #descriptors: DescriptorGuard;
  /** The TLS and HTTP/2 addresses, on node:net; made when a config has one. */
  #node: NodeServer | null = null;

  readonly #sharing: Sharing;
  readonly #counters: StatusCounters;

  /** `proxy` is read per request, so a reload can swap it; `counters` are its capabilities' (stub_status). */
  constructor(
    proxy: () => EdgeProxy,
    log: Logger,
    config: Config,
    sharing: Sharing = ALONE,
    counters: StatusCounters = new MemoryCounters(),
  ) {
    this.#limits = config;
    this.#proxy = proxy;
    this.#log = log;
    this.#sharing = sharing;
    this.#counters = counters;
    this.#http = new Http1Server(proxy, () => this.#limits, log, counters);
    this.#descriptors = new DescriptorGuard(log);
  }

  /** Binds every address; on a bind error nothing is left listening. */
  async listen(listens: readonly Listen[]): Promise<void> {
    const { plain, other } = split(listens, this.#limits, this.#sharing);
    try {
      for (const l of plain) this.#listeners.set(l.key, this.#listen(l));
      if (other.length > 0) await this.#nodeServer().listen(other);
    } catch (error) {
      for (const s of this.#listeners.values()) s.stop(true);
      throw error;
    }
  }

  /** After a reload: binds new addresses, stops accepting on removed ones (in-flight finish). */
  async update(listens: readonly Listen[], config: Config, shutdownTimeoutMs: number | null): Promise<void> {
    this.#limits = config;
    // The old config's connections end as an old nginx worker's: idle ones now, the rest after
    // their response, and what is left at worker_shutdown_timeout.
    const closeRest = this.#http.retire();
    if (shutdownTimeoutMs !== null) setTimeout(closeRest, shutdownTimeoutMs).unref?.();
    const { plain, other } = split(listens, config, this.#sharing);
    const wanted = new Set(plain.map((l) => l.key));
    for (const l of plain) if (!this.#listeners.has(l.key)) this.#listeners.set(l.key, this.#listen(l));
    for (const [key, listener] of this.#listeners) {
      if (wanted.has(key)) continue;
      listener.stop(false);
      this.#listeners.delete(key);
    }
    if (other.length > 0 || this.#node) await this.#nodeServer().update(other, config, shutdownTimeoutMs);
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    for (const s of this.#listeners.values()) s.stop(false);
    this.#http.stop();
    const node = this.#node?.close(graceMs);
    const deadline = Date.now() + graceMs;
    while (this.#http.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.#open) conn.close();
    await node;
  }

  #nodeServer(): NodeServer {
    this.#node ??= new NodeServer(this.#proxy, this.#log, this.#limits, this.#sharing, this.#counters);
    return this.#node;
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
    // Bun.listen takes ipv6Only and reusePort as Bun.connect does, though its listen types leave
    // them out. With worker_processes each thread binds with SO_REUSEPORT: the kernel spreads connections.
    const options: Bun.TCPSocketListenOptions<BunSocketConnection> & { ipv6Only: boolean; reusePort: boolean } = {
      hostname: l.host ?? "0.0.0.0",
      port: l.port,
      ipv6Only: l.ipv6Only && (l.host?.includes(":") ?? false),
      allowHalfOpen: true,
      reusePort: this.#sharing.reusePort,
      socket,
    };
    return Bun.listen<BunSocketConnection>(options);
  }

  #accept(l: Listen, socket: BunSocket): void {
    if (!this.#descriptors.admits(this.#open.size)) {
      socket.terminate();
      this.#http.turnedAway();
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
      id: nextConnectionNumber(),
    };
    this.#http.serve(conn, info);
  }
}

/** The addresses Bun.listen serves (plain HTTP/1) and the others; a unix socket only where this thread binds them. */
function split(listens: readonly Listen[], config: Config, sharing: Sharing): { plain: Listen[]; other: Listen[] } {
  const plan = new TlsPlan(config);
  const ours = sharing.bindUnix ? listens : listens.filter((l) => l.kind !== "unix");
  const plain = ours.filter((l) => plan.isPlainHttp1(l.key));
  return { plain, other: ours.filter((l) => !plain.includes(l)) };
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
