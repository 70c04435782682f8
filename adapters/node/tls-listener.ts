import type { Socket } from "node:net";
import type tls from "node:tls";
import type { AcceptedConnection, AddressTls, Config, ConnectionInfo, Logger, Server, TlsPlan } from "../../core/index.ts";
import { nodeTls } from "./builtins.ts";
import { type ServerTls, serverTlsOf } from "./server-tls.ts";
import { SessionCache } from "./session-cache.ts";
import { SocketTlsFacts } from "./socket-tls-facts.ts";

/** Where a connection goes once its protocol is known. */
export interface TlsHandoff {
  /**
   * HTTP/1 on the socket: a TLS socket, or the raw one that spoke plain HTTP (`isPlainOnTlsPort`).
   * `counted` is the connection's record in the status counts since its accept.
   */
  http1(socket: Socket, info: ConnectionInfo, counted: AcceptedConnection): void;
  /** HTTP/2 on a TLS socket that chose h2 by ALPN. */
  http2(socket: tls.TLSSocket, info: ConnectionInfo, counted: AcceptedConnection): void;
}

/** What the listener keeps of a handshake between SNI and its end. */
const CHOSEN = Symbol("edgeproxy server chosen by SNI");
type Handshaking = tls.TLSSocket & {
  [CHOSEN]?: Server;
  /** The accepted socket under the TLS one (node:tls's, Node's and Bun's). */
  _parent?: Socket;
  _handle?: { setVerifyMode?: (request: boolean, reject: boolean) => void };
};

/** What an accepted socket brings to its TLS socket once the handshake is done. */
interface Accepted {
  readonly info: ConnectionInfo;
  readonly counted: AcceptedConnection;
}
const accepted = new WeakMap<Socket, Accepted>();

/**
 * The TLS side of one listen address (node:tls, Node's or Bun's): it looks at a connection's
 * first bytes as nginx's `ngx_http_ssl_handshake()` does (a TLS record starts a handshake,
 * anything else is plain HTTP, answered 497 by the core once its request is read), then runs
 * the handshake with nginx's choices: the certificate of the server the SNI name picks, client
 * certificates asked for when that server verifies them, the ALPN protocol, the session cache.
 * A node:tls server that never listens does the handshakes; sockets come to it already accepted.
 */
export class TlsAddress {
  readonly #server: tls.Server;
  readonly #handoff: TlsHandoff;
  readonly #log: Logger;
  #plan: TlsPlan;
  #address: AddressTls;
  #servers: ReturnType<typeof serverTlsOf>;

  constructor(config: Config, plan: TlsPlan, address: AddressTls, handoff: TlsHandoff, log: Logger) {
    this.#plan = plan;
    this.#address = address;
    this.#servers = serverTlsOf(config);
    this.#handoff = handoff;
    this.#log = log;
    const self = this;
    this.#server = nodeTls().createServer({
      ...this.#defaultOptions(),
      rejectUnauthorized: false,
      handshakeTimeout: config.clientHeaderTimeoutMs,
      // A regular function: node:tls calls it on the handshaking socket.
      SNICallback(this: Handshaking, name: string, done: (error: Error | null, context?: tls.SecureContext) => void) {
        const chosen = self.#sni(this, name);
        if (chosen instanceof Error) done(chosen);
        else done(null, chosen);
      },
      ALPNCallback: ({ servername, protocols }) => this.#alpn(servername, protocols) ?? undefined,
    });
    this.#server.on("secureConnection", (socket: tls.TLSSocket) => this.#secured(socket as Handshaking));
    this.#server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      log.info(
        `SSL_do_handshake() failed (SSL: ${(error as { code?: string }).code ?? error.message}) while SSL handshaking, client: ${socket.remoteAddress ?? ""}`,
      );
    });
    this.#applySessionCache();
  }

  /** A reload: new connections get the new certificates and choices; those open keep theirs. */
  update(config: Config, plan: TlsPlan, address: AddressTls): void {
    this.#plan = plan;
    this.#address = address;
    this.#servers = serverTlsOf(config);
    this.#server.setSecureContext(this.#defaultOptions());
    this.#applySessionCache();
  }

  /**
   * A new connection to this address: its first bytes decide. `info` is the connection's
   * addresses; `timeoutMs` bounds the wait for them (client_header_timeout); `counted` is its
   * record in the status counts, which counts its close until HTTP/1 or HTTP/2 takes it over.
   */
  accept(socket: Socket, info: ConnectionInfo, timeoutMs: number, counted: AcceptedConnection): void {
    socket.once("close", () => counted.closed());
    socket.setTimeout(timeoutMs);
    const onTimeout = () => socket.destroy();
    const onFirst = (chunk: Buffer) => {
      socket.off("timeout", onTimeout);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      // A TLS handshake record, or an SSLv2-style hello (ngx_http_ssl_handshake()).
      const first = chunk[0] as number;
      if (first === 0x16 || first & 0x80) {
        accepted.set(socket, { info, counted });
        counted.handshaking();
        // A client that leaves mid-handshake is closed at once, as nginx closes it; half-open
        // (the TLS socket takes this from its parent), node:tls would wait for the handshake timeout.
        socket.allowHalfOpen = false;
        this.#server.emit("connection", socket);
      } else {
        this.#handoff.http1(socket, { ...info, isPlainOnTlsPort: true }, counted);
        socket.resume();
      }
    };
    socket.once("timeout", onTimeout);
    socket.once("data", onFirst);
    socket.once("error", () => socket.off("data", onFirst));
  }

  #defaultOptions(): tls.TlsOptions {
    const address = this.#address;
    const own = this.#servers.of(address.defaultServer);
    // Certificates are asked for when any server here verifies them; the SNI choice narrows it.
    const requestCert = address.servers.some((s) => this.#servers.of(s)?.requestsCertificate);
    return { ...(own?.options ?? {}), requestCert };
  }

  /**
   * ngx_http_ssl_servername(): the server the name picks, its client verification, and its
   * context (undefined keeps the socket's, an Error ends the handshake).
   */
  #sni(socket: Handshaking, name: string): tls.SecureContext | Error | undefined {
    const server = this.#plan.serverFor(this.#address, name);
    const own = this.#servers.of(server);
    socket[CHOSEN] = server;
    if (!own) return undefined;
    if (own.rejectsHandshake) return new Error("ssl_reject_handshake");
    socket._handle?.setVerifyMode?.(own.requestsCertificate, false);
    // The default server's context is already the socket's, with all its certificates
    // (node:tls switches to another context with only its last pair).
    if (own === this.#servers.of(this.#address.defaultServer)) return undefined;
    return this.#context(own, name);
  }

  /** A server's context for a handshake; one loaded per handshake (variables) may fail, logged as nginx does. */
  #context(own: ServerTls, name: string): tls.SecureContext | Error {
    try {
      return own.contextFor(name.toLowerCase());
    } catch (error) {
      this.#log.error(`${(error as Error).message} while SSL handshaking`);
      return error as Error;
    }
  }

  #alpn(serverName: string | false | undefined, offered: readonly string[]): string | null {
    const address = this.#address;
    return this.#plan.alpn(address, this.#plan.serverFor(address, typeof serverName === "string" ? serverName : null), offered);
  }

  #secured(socket: Handshaking): void {
    const server = socket[CHOSEN] ?? this.#address.defaultServer;
    const own: ServerTls | null = this.#servers.of(server) ?? this.#servers.of(this.#address.defaultServer);
    const raw = socket._parent;
    const first = raw ? accepted.get(raw) : undefined;
    // Every socket comes through accept(), which recorded its facts under the TLS socket's parent.
    if (!first) return void socket.destroy();
    // Half-open again, as the listening socket is: a client may shut its side after its request.
    socket.allowHalfOpen = true;
    const info: ConnectionInfo = {
      ...first.info,
      isTls: true,
      tls: new SocketTlsFacts(socket, own?.verifyDepth ?? 1, own?.trusted ?? []),
    };
    if (socket.alpnProtocol === "h2") this.#handoff.http2(socket, info, first.counted);
    else this.#handoff.http1(socket, info, first.counted);
  }

  #applySessionCache(): void {
    const own = this.#servers.of(this.#address.defaultServer);
    const cache = this.#address.defaultServer.settings.sslSessionCache;
    this.#server.removeAllListeners("newSession");
    this.#server.removeAllListeners("resumeSession");
    if (!own || cache.kind !== "cache") return;
    new SessionCache(cache.sessions, this.#address.defaultServer.settings.sslSessionTimeoutSec * 1000).attach(this.#server);
  }
}
