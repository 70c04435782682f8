import net from "node:net";

/** A TCP server on a loopback port: where it listens, and a close that also cuts open sockets. */
export interface LoopbackServer {
  readonly port: number;
  /** Cuts the open connections, and keeps listening. */
  cut(): void;
  close(): void;
}

/** Serves `onSocket` on 127.0.0.1 (an OS-chosen port), tracking sockets so close() ends them. */
export async function serveLoopback(onSocket: (socket: net.Socket) => void): Promise<LoopbackServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
