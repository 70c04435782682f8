import { once } from "node:events";
import { unlinkSync } from "node:fs";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ConnectionInfo, EdgeProxy, HeaderPairs, Listen, Logger, ProxyResponse, RequestHead } from "../../core/index.ts";
import { answerAndClose, statusForParseError } from "./parse-errors.ts";

/** The client-connection limits of a config (http level), for node:http's own timers. */
export interface ClientLimits {
  readonly clientHeaderTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  readonly sendTimeoutMs: number;
}

/** How a server shares its addresses with other threads (`worker_processes`). */
export interface Sharing {
  /** Bind TCP addresses with SO_REUSEPORT, so that the kernel spreads connections over threads. */
  readonly reusePort: boolean;
  /** Bind unix sockets here; a path can have one listener only, so one thread takes them. */
  readonly bindUnix: boolean;
}

const ALONE: Sharing = { reusePort: false, bindUnix: true };

/** The listening side: node:http servers for every `listen` address, handing plain data to the core. */
export class NodeServer {
  readonly #proxy: () => EdgeProxy;
  readonly #log: Logger;
  #limits: ClientLimits;
  readonly #servers = new Map<string, http.Server>();
  readonly #sharing: Sharing;
  #inFlight = 0;

  /** `proxy` is read per request, so a reload can swap it. */
  constructor(proxy: () => EdgeProxy, log: Logger, limits: ClientLimits, sharing: Sharing = ALONE) {
    this.#proxy = proxy;
    this.#log = log;
    this.#limits = limits;
    this.#sharing = sharing;
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
  async update(listens: readonly Listen[], limits: ClientLimits): Promise<void> {
    this.#limits = limits;
    for (const server of this.#servers.values()) applyLimits(server, limits);
    const wanted = new Set(listens.map((l) => l.key));
    for (const l of listens) if (!this.#servers.has(l.key)) await this.#listenOne(l);
    for (const [key, server] of this.#servers) {
      if (wanted.has(key)) continue;
      server.close();
      server.closeIdleConnections();
      this.#servers.delete(key);
    }
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    for (const s of this.#servers.values()) {
      s.close();
      s.closeIdleConnections();
    }
    const deadline = Date.now() + graceMs;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.#servers.values()) s.closeAllConnections();
  }

  async #listenOne(l: Listen): Promise<void> {
    if (l.kind === "unix" && !this.#sharing.bindUnix) return;
    const server = http.createServer(
      {
        // The core answers a missing Host with nginx's 400 page itself.
        requireHostHeader: false,
        requestTimeout: 0,
        maxHeaderSize: 32 * 1024,
        // client_header_timeout is checked this often.
        connectionsCheckingInterval: 250,
      },
      (req, res) => void this.#onRequest(l, req, res),
    );
    applyLimits(server, this.#limits);
    server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
      // client_header_timeout: nginx closes without a word, and logs 408 if a byte had come.
      const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
      const status = timedOut ? 408 : statusForParseError(error);
      // Only a head that came and was refused is a request to log (not a reset, nor silence).
      if ((timedOut || error.code?.startsWith("HPE_")) && error.rawPacket?.length) {
        try {
          this.#proxy().refused(headFromRaw(error.rawPacket), status, connectionOf(l, socket));
        } catch (failure) {
          this.#log.error(`logging a refused request failed: ${(failure as Error).message}`);
        }
      }
      if (timedOut) socket.destroy();
      else answerAndClose(socket, status);
    });
    // CONNECT host:port is not a request-target nginx takes (400): never a tunnel.
    server.on("connect", (_req, socket) => answerAndClose(socket as Socket, 400));
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
    await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e))]);
    this.#servers.set(l.key, server);
  }

  async #onRequest(l: Listen, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.#inFlight++;
    try {
      const connection = connectionOf(l, req.socket);
      const raw = req.rawHeaders;
      const headers: HeaderPairs = [];
      for (let i = 0; i < raw.length; i += 2) headers.push([raw[i] as string, raw[i + 1] as string]);
      const head = { method: req.method ?? "GET", target: req.url ?? "/", httpVersion: req.httpVersion, headers };
      let result: ProxyResponse;
      try {
        result = await this.#proxy().handle(head, Object.assign(req, { isPrereadComplete }), connection);
      } catch (error) {
        this.#log.error(`unexpected error: ${(error as Error).stack ?? error}`);
        result = {
          kind: "response",
          status: 500,
          reason: "Internal Server Error",
          headers: [["Content-Length", "0"]],
          body: null,
          closeConnection: true,
        };
      }
      await writeResponse(req, res, result, this.#limits);
    } finally {
      this.#inFlight--;
    }
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
  };
}

/** The head node:http refused, as far as it came, for the access log (its Host picks the server). */
function headFromRaw(raw: Buffer | undefined): RequestHead {
  const text = raw ? raw.subarray(0, 32 * 1024).toString("latin1") : "";
  const end = text.indexOf("\r\n\r\n");
  const [line = "", ...rest] = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  const headers: [string, string][] = [];
  for (const l of rest) {
    const colon = l.indexOf(":");
    if (colon > 0) headers.push([l.slice(0, colon), l.slice(colon + 1).trim()]);
  }
  const [method = "", target = "", version = ""] = line.split(" ");
  return { method, target, httpVersion: version.replace("HTTP/", ""), headers, requestLine: line };
}

/** Whether node:http parsed the whole body along with the head (it does so on the next turn). */
function isPrereadComplete(this: http.IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => setImmediate(() => resolve(this.complete)));
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; nginx shows `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** nginx's client keep-alive settings on a node:http server. */
function applyLimits(server: http.Server, limits: ClientLimits): void {
  server.headersTimeout = limits.clientHeaderTimeoutMs;
  // keepalive_timeout 0 turns keep-alive off (writeResponse closes); node's 0 would mean "forever".
  server.keepAliveTimeout = limits.keepaliveTimeoutMs || 1;
  server.maxRequestsPerSocket = limits.keepaliveRequests;
}

async function writeResponse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  result: ProxyResponse,
  limits: ClientLimits,
): Promise<void> {
  const noKeepalive = limits.keepaliveTimeoutMs === 0;
  if (result.kind === "close") {
    req.socket.destroy();
    return;
  }
  if (result.isHttp09 && result.body && !(result.body instanceof Uint8Array)) {
    await writeRaw(req, result.body);
    result.done?.();
    return;
  }
  try {
    const flat: string[] = [];
    let length = -1;
    for (const [name, value] of result.headers) {
      flat.push(name, value);
      if (name.length === 14 && name.toLowerCase() === "content-length") length = Number(value);
    }
    if (result.closeConnection || noKeepalive) flat.push("Connection", "close");
    res.writeHead(result.status, result.reason, flat);
    const body = result.body;
    if (body === null) {
      res.end();
    } else if (body instanceof Uint8Array) {
      res.end(body);
    } else {
      const it = body[Symbol.asyncIterator]();
      const first = await it.next();
      // A body that came whole in one chunk goes out with the head in one write.
      if (!first.done && first.value.byteLength === length) {
        res.end(first.value);
        // Let the body finish where its framing ends, so the upstream connection can be kept.
        await it.next();
      } else {
        for (let next = first; !next.done; next = await it.next()) {
          if (res.destroyed) break;
          // Backpressure: a client that stops reading holds the upstream back, for send_timeout at most.
          if (!res.write(next.value)) await drained(res, limits.sendTimeoutMs);
        }
        res.end();
      }
    }
  } catch {
    // The upstream failed mid-body (or the client left): cut the connection so the client sees it.
    res.destroy();
  } finally {
    result.done?.();
  }
}

/** HTTP/0.9 relaying: the upstream's bytes straight onto the client socket, then close. */
async function writeRaw(req: http.IncomingMessage, body: AsyncIterable<Uint8Array>): Promise<void> {
  const socket = req.socket;
  try {
    for await (const chunk of body) if (!socket.write(chunk)) await once(socket, "drain");
  } catch {}
  socket.end();
}

function drained(res: http.ServerResponse, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("client closed the connection"));
    // send_timeout: nginx closes a connection whose client took nothing for this long.
    const timer = setTimeout(() => done(new Error("client timed out")), timeoutMs);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}
