import type { ConnectionInfo, EdgeProxy, Listen, Logger } from "../../core/index.ts";

/** What Bun.serve is told of a config's client limits. */
export interface ServeLimits {
  /** The largest `client_max_body_size` (Bun refuses above it before the core could). */
  readonly maxBodyBytes: number;
  /**
   * Bun keeps one idle timer per connection, in whole seconds (1-255), for a head in progress
   * and for keep-alive alike: `keepalive_timeout`, rounded up.
   */
  readonly idleTimeoutSec: number;
  /** `keepalive_timeout 0`: every response closes its connection. */
  readonly closeAfterEach: boolean;
}

/**
 * The listening side on Bun: one `Bun.serve` per `listen` address, each request handed to
 * the core's Fetch entry with the connection's facts.
 */
export class BunServer {
  readonly #proxy: () => EdgeProxy;
  readonly #log: Logger;
  readonly #servers = new Map<string, Bun.Server<undefined>>();
  #inFlight = 0;

  /** `proxy` is read per request, so a reload can swap it. */
  constructor(proxy: () => EdgeProxy, log: Logger) {
    this.#proxy = proxy;
    this.#log = log;
  }

  /** Binds every address; on a bind error nothing is left listening. */
  listen(listens: readonly Listen[], limits: ServeLimits): void {
    try {
      for (const l of listens) this.#servers.set(l.key, this.#serve(l, limits));
    } catch (error) {
      for (const s of this.#servers.values()) void s.stop(true);
      throw error;
    }
  }

  /** After a reload: binds new addresses, stops accepting on removed ones (in-flight finish). */
  update(listens: readonly Listen[], limits: ServeLimits): void {
    const wanted = new Set(listens.map((l) => l.key));
    for (const l of listens) if (!this.#servers.has(l.key)) this.#servers.set(l.key, this.#serve(l, limits));
    for (const [key, server] of this.#servers) {
      if (wanted.has(key)) continue;
      void server.stop(false);
      this.#servers.delete(key);
    }
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    for (const s of this.#servers.values()) void s.stop(false);
    const deadline = Date.now() + graceMs;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.#servers.values()) void s.stop(true);
  }

  #serve(l: Listen, limits: ServeLimits): Bun.Server<undefined> {
    const handle = (request: Request, server: Bun.Server<undefined>) => this.#handle(l, request, server);
    // keepalive_timeout 0: every response closes its connection (decided here, not per request).
    const fetch = limits.closeAfterEach
      ? async (request: Request, server: Bun.Server<undefined>) => {
          const response = await handle(request, server);
          response.headers.set("Connection", "close");
          return response;
        }
      : handle;
    // Bun answers 413 above maxRequestBodySize itself: let client_max_body_size decide instead.
    const common = { maxRequestBodySize: limits.maxBodyBytes, fetch };
    if (l.kind === "unix") return Bun.serve({ ...common, unix: l.path });
    const ipv6Only = l.ipv6Only && (l.host?.includes(":") ?? false);
    return Bun.serve({ ...common, idleTimeout: limits.idleTimeoutSec, hostname: l.host ?? "0.0.0.0", port: l.port, ipv6Only });
  }

  async #handle(l: Listen, request: Request, server: Bun.Server<undefined>): Promise<Response> {
    this.#inFlight++;
    try {
      const ip = l.kind === "unix" ? null : server.requestIP(request);
      const connection: ConnectionInfo = {
        remoteAddress: l.kind === "unix" ? "unix:" : unmapped(ip?.address ?? ""),
        remotePort: ip?.port ?? 0,
        listenKey: l.key,
        // Bun does not tell which local address a wildcard socket answered on.
        localAddress: l.kind === "tcp" ? (l.host ?? "0.0.0.0") : "",
        localPort: l.kind === "tcp" ? l.port : 0,
        isTls: false,
      };
      return await this.#proxy().fetch(request, connection);
    } catch (error) {
      this.#log.error(`unexpected error: ${(error as Error).stack ?? error}`);
      return new Response(null, { status: 500 });
    } finally {
      this.#inFlight--;
    }
  }
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
