import net from "node:net";
import tls from "node:tls";
import { type Dialer, type DialFailure, describeError, type Http1Connection, type PeerAddress, type TlsOptions } from "../../core/index.ts";
import { SocketConnection } from "./socket-connection.ts";

/** Upstream connections over node:net and node:tls (TCP, TLS, unix sockets). */
export const nodeDialer: Dialer = {
  dial(peer: PeerAddress, tlsOptions: TlsOptions | null, timeoutMs: number): Promise<Http1Connection | DialFailure> {
    return new Promise((resolve) => {
      const socket =
        peer.kind === "unix"
          ? net.connect({ path: peer.path })
          : tlsOptions
            ? tls.connect({
                host: peer.host,
                port: peer.port,
                rejectUnauthorized: tlsOptions.verify,
                ...(tlsOptions.servername ? { servername: tlsOptions.servername } : {}),
              })
            : net.connect({ host: peer.host, port: peer.port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ failed: "timeout", detail: "upstream timed out while connecting" });
      }, timeoutMs);
      const onError = (e: Error) => {
        clearTimeout(timer);
        resolve({ failed: "error", detail: describeError(e) });
      };
      socket.once("error", onError);
      socket.once(tlsOptions && peer.kind !== "unix" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        socket.setNoDelay(true);
        resolve(new SocketConnection(socket));
      });
    });
  },
};
