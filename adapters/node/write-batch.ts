import type { Socket } from "node:net";

/** Sockets corked since the event loop last went idle. */
const corked: Socket[] = [];
let scheduled = false;

/**
 * Holds a socket's writes until the event loop has run every callback that was ready, then sends
 * each socket's writes at once (one write or writev per socket), as uWebSockets corks per loop
 * iteration. The peers on the other end are then woken once per batch rather than once per write.
 */
export function corkUntilIdle(socket: Socket): void {
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
