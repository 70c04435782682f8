import type { Socket } from "node:net";

/** Sockets corked since the event loop last went idle. */
const corked: Socket[] = [];
let scheduled = false;

/**
 * Writes to a node:net socket as both HTTP/1 sides do: resolves at once while the socket takes
 * more, else at its `drain`, so a writer that awaits each write is held back by a slow peer;
 * rejects with `closed()` if the socket closes first.
 *
 * Writes are held until the event loop has run every callback that was ready, then each
 * socket's go out at once (one write or writev), as uWebSockets corks per loop iteration: the
 * peers are woken once per batch rather than once per write (perf: waking them was a third of
 * the kernel's time per small GET).
 */
export function writeToSocket(socket: Socket, data: Uint8Array, closed: () => Error): Promise<void> {
  if (socket.destroyed) return Promise.reject(closed());
  if (socket.writableCorked === 0) corkUntilIdle(socket);
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      socket.off("error", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = (e?: unknown) => done(e instanceof Error ? e : closed());
    socket.on("drain", onDrain);
    socket.on("close", onClose);
    socket.on("error", onClose);
  });
}

function corkUntilIdle(socket: Socket): void {
  socket.cork();
  corked.push(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  for (const socket of corked.splice(0)) socket.uncork();
}
