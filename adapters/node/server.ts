import { once } from "node:events";
import { unlinkSync } from "node:fs";
import net, { type AddressInfo, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  AcceptedConnection,
  type ClientLimits,
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
import { ClientSocket } from "./client-socket.ts";
import { DescriptorGuard } from "./descriptors.ts";
import { Http2Sessions } from "./http2-server.ts";
import { BindError, listenAddress } from "./system-error.ts";
import { TlsAddress, type TlsHandoff } from "./tls-listener.ts";

export type { ClientLimits };

/** How a server shares its addresses with other threads (`worker_processes`). */
export interface Sharing {
  /** Bind TCP addresses with SO_REUSEPORT, so that the kernel spreads connections over threads. */
  readonly reusePort: boolean;
  /** Bind unix sockets here; a path can have one listener only, so one thread takes them. */
  readonly bindUnix: boolean;
}

/** One thread alone on its addresses. */
export const ALONE: Sharing = { reusePort: false, bindUnix: true };

/** How often client connections are checked against their timeouts. */
const SWEEP_MS = 250;

/**
 * The listening side: node:net servers for every `listen` address. Each accepted socket goes to
 * the core's HTTP/1 server (core/http1/server.ts), which parses requests as nginx does and frames
 * the responses; node:http is not on the path.
 */
export class NodeServer {
  readonly #http: Http1Server;
  readonly #http2: Http2Sessions;
  readonly #log: Logger;
  #limits: ClientLimits;
  #config: Config;
  #plan: TlsPlan;
  /** The TLS side of each listen address that has one, made at its first connection. */
  readonly #tls = new Map<string, TlsAddress>();
  readonly #handoff: TlsHandoff;
  readonly #servers = new Map<string, net.Server>();
  readonly #sockets = new Set<ClientSocket>();
  readonly #sharing: Sharing;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #descriptors: DescriptorGuard;
  /** This thread's words of the status counters, for the connections counted before HTTP/1 or HTTP/2 takes them. */
  readonly #counts: Float64Array;

  /** `proxy` is read per request, so a reload can swap it; `counters` are its capabilities' (stub_status). */
  constructor(
    proxy: () => EdgeProxy,
    log: Logger,
    config: Config,
    sharing: Sharing = ALONE,
    counters: StatusCounters = new MemoryCounters(),
  ) {
    this.#limits = config;
    this.#config = config;
    this.#plan = new TlsPlan(config);
    this.#log = log;
    this.#sharing = sharing;
    this.#counts = counters.server;
    this.#http = new Http1Server(proxy, () => this.#limits, log, counters);
    this.#http2 = new Http2Sessions(proxy, config, log, counters);
    this.#handoff = {
      http1: (socket, info, counted) => this.#http.serve(new ClientSocket(socket, this.#sockets), info, counted),
      http2: (socket, info, counted) => this.#serveHttp2(socket, info, counted),
    };
    this.#descriptors = new DescriptorGuard(log);
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const socket of this.#sockets) socket.sweep(now);
    }, SWEEP_MS);
    this.#sweeper.unref();
  }

  /** Binds every address; rejects with the first bind error (nothing is left listening). */
  async listen(listens: readonly Listen[]): Promise<void> {
    try {
      for (const l of listens) await this.#listenOne(l);
    } catch (error) {
      await this.close(0);
      throw error;
    }
  }

  /**
   * After a reload: binds the new addresses and stops accepting on the ones the config no
   * longer has (their requests in flight finish), as nginx's reload does.
   */
  async update(listens: readonly Listen[], config: Config, shutdownTimeoutMs: number | null): Promise<void> {
    this.#limits = config;
    // The old config's connections end as an old nginx worker's: idle ones now, the rest after
    // their response, and what is left at worker_shutdown_timeout.
    const closeRest = this.#http.retire();
    if (shutdownTimeoutMs !== null) setTimeout(closeRest, shutdownTimeoutMs).unref();
    this.#config = config;
    this.#plan = new TlsPlan(config);
    this.#http2.update(config);
    for (const [key, side] of this.#tls) {
      const address = this.#addressOf(key);
      if (address?.ssl) side.update(config, this.#plan, address);
      else this.#tls.delete(key);
    }
    const wanted = new Set(listens.map((l) => l.key));
    for (const l of listens) if (!this.#servers.has(l.key)) await this.#listenOne(l);
    for (const [key, server] of this.#servers) {
      if (wanted.has(key)) continue;
      server.close();
      this.#servers.delete(key);
    }
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    for (const s of this.#servers.values()) s.close();
    this.#http.stop();
    this.#http2.stop();
    const deadline = Date.now() + graceMs;
    while (this.#http.inFlight + this.#http2.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const socket of this.#sockets) socket.close();
    this.#http2.destroy();
    clearInterval(this.#sweeper);
  }

  async #listenOne(l: Listen): Promise<void> {
    if (l.kind === "unix" && !this.#sharing.bindUnix) return;
    // Half-open: a client that shuts its sending side after the request still gets the answer.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(l, socket));
    if (l.kind === "unix") {
      try {
        unlinkSync(l.path);
      } catch {}
      server.listen(l.path);
    } else {
      server.listen({
        host: l.host ?? "0.0.0.0",
        port: l.port,
        ipv6Only: l.ipv6Only && (l.host?.includes(":") ?? false),
        reusePort: this.#sharing.reusePort,
      });
    }
    try {
      await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e))]);
    } catch (error) {
      throw new BindError(listenAddress(l), error);
    }
    this.#servers.set(l.key, server);
  }

  #accept(l: Listen, socket: Socket): void {
    if (!this.#descriptors.admits(this.#sockets.size)) {
      socket.destroy();
      this.#http.turnedAway();
      return;
    }
    const info = connectionOf(l, socket);
    if (this.#plan.isPlainHttp1(l.key)) {
      this.#http.serve(new ClientSocket(socket, this.#sockets), info);
      return;
    }
    const address = this.#plan.address(l.key, info.localAddress, info.localPort);
    // Counted from here, as nginx counts every connection at its accept; HTTP/1 or HTTP/2 takes the record over.
    if (address?.ssl)
      this.#tlsSide(address.key)?.accept(socket, info, this.#config.clientHeaderTimeoutMs, new AcceptedConnection(this.#counts));
    else if (address?.http2) this.#http2.serve(socket, info, address.defaultServer, new AcceptedConnection(this.#counts));
    else this.#http.serve(new ClientSocket(socket, this.#sockets), info);
  }

  /** The TLS side of an address, made on its first connection. */
  #tlsSide(key: string): TlsAddress | null {
    let side = this.#tls.get(key);
    if (!side) {
      const address = this.#addressOf(key);
      if (!address) return null;
      side = new TlsAddress(this.#config, this.#plan, address, this.#handoff, this.#log);
      this.#tls.set(key, side);
    }
    return side;
  }

  /** An address by its key, as TlsPlan finds it from a local address and port. */
  #addressOf(key: string) {
    if (key.startsWith("unix:")) return this.#plan.address(key, "", 0);
    const colon = key.lastIndexOf(":");
    const host = key.startsWith("*") ? "0.0.0.0" : key.slice(0, colon).replace(/^\[|\]$/g, "");
    return this.#plan.address(key, host, Number(key.slice(colon + 1)));
  }

  /** An h2 connection: its `http2_*` settings are those of the server its SNI name chose. */
  #serveHttp2(socket: TLSSocket, info: ConnectionInfo, counted: AcceptedConnection): void {
    const address = this.#plan.address(info.listenKey, info.localAddress, info.localPort) ?? this.#addressOf(info.listenKey);
    if (!address) return void socket.destroy();
    this.#http2.serve(socket, info, this.#plan.serverFor(address, info.tls?.serverName || null), counted);
  }
}

/** What the core knows of a client connection. */
function connectionOf(l: Listen, socket: Socket): ConnectionInfo {
  // A socket already closed has no addresses left ({} and undefined).
  const local = l.kind === "unix" ? null : (socket.address() as Partial<AddressInfo>);
  return {
    remoteAddress: l.kind === "unix" ? "unix:" : unmapped(socket.remoteAddress ?? ""),
    remotePort: socket.remotePort ?? 0,
    listenKey: l.key,
    localAddress: local?.address ? unmapped(local.address) : "",
    localPort: local?.port ?? 0,
    isTls: false,
    id: nextConnectionNumber(),
  };
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
