import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

/** What a WebSocket upstream saw of one handshake. */
export interface SeenUpgrade {
  readonly requestLine: string;
  /** Header lines in order, name case kept. */
  readonly headers: [string, string][];
}

/** A WebSocket echo upstream on loopback (the `ws` package), recording handshakes and closes. */
export interface WebSocketUpstream {
  readonly port: number;
  readonly handshakes: SeenUpgrade[];
  /** Close codes the upstream received, in order. */
  readonly closes: number[];
  close(): Promise<void>;
}

/**
 * Echoes every message as it came (text as text, binary as binary). Paths choose a behaviour:
 * `/ping` pings once and says `pong` when the pong comes back; `/close/CODE` closes with CODE;
 * `/drop` cuts the connection without a close frame; `/silent` never answers.
 */
export async function startWebSocketUpstream(): Promise<WebSocketUpstream> {
  const handshakes: SeenUpgrade[] = [];
  const closes: number[] = [];
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1", maxPayload: 64 * 1024 * 1024 });
  server.on("connection", (ws, req: IncomingMessage) => {
    handshakes.push(seen(req));
    const path = req.url ?? "/";
    ws.on("close", (code) => closes.push(code));
    ws.on("error", () => {});
    if (path.endsWith("/silent")) return;
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    if (path.endsWith("/ping")) {
      ws.on("pong", () => ws.send("pong"));
      ws.ping();
    }
    const closeWith = /\/close\/(\d+)$/.exec(path);
    if (closeWith) ws.close(Number(closeWith[1]), "closing");
    if (path.endsWith("/drop")) ws.terminate();
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    closes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

function seen(req: IncomingMessage): SeenUpgrade {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  return { requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`, headers };
}
