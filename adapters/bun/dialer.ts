import { type Dialer, type DialFailure, describeError, type Http1Connection, type PeerAddress, type TlsOptions } from "../../core/index.ts";
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
 * Upstream connections over `Bun.connect` (TCP, TLS, unix sockets): Bun's native sockets,
 * under the core's HTTP/1 client, which times connect, send and read apart as nginx does and
 * keeps its keepalive cache (Bun's fetch did neither, and cost more per request).
 */
export const bunDialer: Dialer = {
  dial(peer: PeerAddress, tls: TlsOptions | null, timeoutMs: number): Promise<Http1Connection | DialFailure> {
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
      const tlsOptions = tls ? { rejectUnauthorized: tls.verify, ...(tls.servername ? { serverName: tls.servername } : {}) } : undefined;
      const socket = {
        ...handlers,
        connectError: (_socket: Bun.Socket<BunSocketConnection>, error: Error) => onFailure(error),
        ...(tls
          ? {
              // A TLS connection is ready after its handshake. Bun reports `success` false for a
              // certificate it could not verify even when not asked to: only proxy_ssl_verify counts.
              handshake: (s: Bun.Socket<BunSocketConnection>, success: boolean, authorizationError: Error | null) => {
                if (!tls.verify || (success && !authorizationError)) onOpen(s as BunSocket);
                else {
                  onFailure(authorizationError ?? new Error("TLS handshake failed"));
                  s.terminate();
                }
              },
            }
          : { open: (s: Bun.Socket<BunSocketConnection>) => onOpen(s as BunSocket) }),
      };
      const connecting =
        peer.kind === "unix"
          ? Bun.connect({ unix: peer.path, data: conn, socket })
          : Bun.connect({ hostname: peer.host, port: peer.port, data: conn, socket, ...(tlsOptions ? { tls: tlsOptions } : {}) });
      connecting.then(
        (s) => (s as BunSocket).setNoDelay(true),
        (error: Error) => onFailure(error),
      );
    });
  },
};
