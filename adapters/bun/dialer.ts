import { type Dialer, type DialFailure, describeError, type Http1Connection, type PeerAddress, type TlsOptions } from "../../core/index.ts";
import { nodeDialer } from "../node/dialer.ts";
import { type BunSocket, BunSocketConnection } from "./socket-connection.ts";

/** One set of handlers for every upstream socket (Bun's advice): each socket's `data` is its connection. */
const handlers: Bun.SocketHandler<BunSocketConnection> = {
  data: (socket, chunk) => socket.data.onData(chunk),
  drain: (socket) => socket.data.onDrain(),
  end: (socket) => socket.data.onEnd(null),
  close: (socket, error) => socket.data.onClose(error ?? null),
  error: (socket, error) => socket.data.onEnd(error),
};

/**
 * Upstream connections over `Bun.connect` (TCP, unix sockets; TLS over Bun's node:tls): Bun's native sockets,
 * under the core's HTTP/1 client, which times connect, send and read apart as nginx does and
 * keeps its keepalive cache (Bun's fetch did neither, and cost more per request).
 */
export const bunDialer: Dialer = {
  dial(peer: PeerAddress, tls: TlsOptions | null, timeoutMs: number): Promise<Http1Connection | DialFailure> {
    // TLS goes through Bun's node:tls, which resumes sessions (proxy_ssl_session_reuse) and
    // sends no SNI unless asked; Bun.connect's TLS does neither.
    if (tls && peer.kind !== "unix") return nodeDialer.dial(peer, tls, timeoutMs);
    return new Promise((resolve) => {
      const conn = new BunSocketConnection();
      let settled = false;
      const settle = (result: Http1Connection | DialFailure) => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        resolve(result);
        return true;
      };
      const timer = setTimeout(() => {
        if (settle({ failed: "timeout", detail: "upstream timed out while connecting" })) conn.close();
      }, timeoutMs);
      const onOpen = (socket: BunSocket) => {
        conn.attach(socket);
        if (!settle(conn)) conn.close();
      };
      const onFailure = (error: Error) => {
        settle({ failed: "error", detail: describeError(error) });
      };
      const socket = {
        ...handlers,
        connectError: (_socket: Bun.Socket<BunSocketConnection>, error: Error) => onFailure(error),
        open: (s: Bun.Socket<BunSocketConnection>) => onOpen(s as BunSocket),
      };
      const connecting =
        peer.kind === "unix"
          ? Bun.connect({ unix: peer.path, data: conn, socket })
          : Bun.connect({ hostname: peer.host, port: peer.port, data: conn, socket });
      connecting.then(
        (s) => (s as BunSocket).setNoDelay(true),
        (error: Error) => onFailure(error),
      );
    });
  },
};
