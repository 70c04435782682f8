import net from "node:net";
import type tls from "node:tls";
import {
  type Dialer,
  type DialFailure,
  describeError,
  type Http1Connection,
  type PeerAddress,
  proxySslKey,
  type TlsOptions,
} from "../../core/index.ts";
import { nodeTls } from "./builtins.ts";
import { SocketConnection } from "./socket-connection.ts";
import { upstreamTlsOf, upstreamVerifyFailure } from "./upstream-tls.ts";

/** The last TLS session with each upstream peer, for `proxy_ssl_session_reuse`. */
const sessions = new Map<string, Buffer>();
const MAX_SESSIONS = 1000;

/** Upstream connections over node:net and node:tls (TCP, TLS, unix sockets). */
export const nodeDialer: Dialer = {
  dial(peer: PeerAddress, tlsOptions: TlsOptions | null, timeoutMs: number): Promise<Http1Connection | DialFailure> {
    return new Promise((resolve) => {
      const socket =
        peer.kind === "unix" ? net.connect({ path: peer.path }) : tlsOptions ? connectTls(peer, tlsOptions) : net.connect(peer);
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ failed: "timeout", detail: "upstream timed out while connecting" });
      }, timeoutMs);
      let connected = false;
      const onError = (e: Error) => {
        clearTimeout(timer);
        // After the TCP connect, a TLS socket's error is its handshake's (SSL_do_handshake()).
        if (connected && tlsOptions)
          resolve({ failed: "error", detail: `SSL_do_handshake() failed (SSL: ${e.message})`, inHandshake: true });
        else resolve({ failed: "error", detail: describeError(e) });
      };
      socket.once("connect", () => {
        connected = true;
      });
      socket.once("error", onError);
      socket.once(tlsOptions && peer.kind !== "unix" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        const failure = tlsOptions && peer.kind !== "unix" ? verifyFailure(socket as tls.TLSSocket, tlsOptions) : null;
        if (failure !== null) {
          socket.destroy();
          resolve({ failed: "error", detail: failure, inHandshake: true });
          return;
        }
        socket.setNoDelay(true);
        resolve(new SocketConnection(socket));
      });
    });
  },
};

/**
 * A TLS connection as nginx makes one (docs/nginx-semantics.md 5.9): SNI only when asked, the
 * location's CAs, client certificate, protocols and ciphers, and the last session with this
 * peer resumed. Verification is done after the handshake, by nginx's rules.
 */
function connectTls(peer: { host: string; port: number }, options: TlsOptions): tls.TLSSocket {
  const upstream = upstreamTlsOf(options.settings);
  const key = options.sessionKey ?? `${peer.host}:${peer.port}:${options.servername ?? ""}:${proxySslKey(options.settings)}`;
  const reuse = options.settings.proxySslSessionReuse;
  const session = reuse ? sessions.get(key) : undefined;
  const socket = nodeTls().connect({
    host: peer.host,
    port: peer.port,
    secureContext: upstream.secureContext,
    rejectUnauthorized: false,
    // The name is checked against proxy_ssl_name once the chain is (upstreamVerifyFailure).
    checkServerIdentity: () => undefined,
    ...(options.servername ? { servername: options.servername } : {}),
    ...(session ? { session } : {}),
  });
  if (reuse) {
    socket.on("session", (s: Buffer) => {
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
      sessions.set(key, s);
    });
  }
  return socket;
}

function verifyFailure(socket: tls.TLSSocket, options: TlsOptions): string | null {
  const error = socket.authorizationError;
  const code =
    socket.authorized || !error ? null : typeof error === "string" ? error : ((error as { code?: string }).code ?? String(error));
  const peer = socket.getPeerCertificate();
  return upstreamVerifyFailure(options, upstreamTlsOf(options.settings), code, peer?.raw ? peer : null, socket.getPeerX509Certificate());
}
