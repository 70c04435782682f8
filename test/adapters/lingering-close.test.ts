import net from "node:net";
import { describe, expect, test } from "vitest";
import { ADAPTER_COMMANDS, startEdgeproxy } from "../support/proxies.ts";

/** A head of five 8000-byte header lines: refused (400) at the fifth, while the client still sends. */
const REQUEST = `GET / HTTP/1.1\r\nHost: a\r\n${`X: ${"b".repeat(7995)}\r\n`.repeat(5)}Connection: close\r\n\r\n`;

/** Sends REQUEST seven bytes a write; resolves with the first bytes it got back, or the error. */
function dribbled(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = "";
    let error = "";
    socket.on("connect", async () => {
      socket.setNoDelay(true);
      for (let at = 0; at < REQUEST.length && !socket.destroyed; at += 7) {
        socket.write(REQUEST.slice(at, at + 7), "latin1");
        if (at % (7 * 64) === 0) await new Promise((r) => setImmediate(r));
      }
    });
    socket.on("data", (chunk) => {
      got += chunk.toString("latin1");
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on("close", () => resolve(got.split("\r\n")[0] || `nothing (${error})`));
  });
}

// nginx's lingering close: after answering a request it will not read on, the proxy shuts its
// side and drains what the client still sends, so the client's kernel does not meet a reset
// that throws the answer away unread.
for (const adapter of ["node", "bun"] as const) {
  describe(`${adapter} adapter: lingering close`, () => {
    test("a client still sending when its request is refused reads the answer, every time", async () => {
      const proxy = await startEdgeproxy(
        (port) => `server { listen 127.0.0.1:${port}; location / { return 200; } }`,
        ADAPTER_COMMANDS[adapter],
      );
      try {
        const answers = [];
        for (let i = 0; i < 20; i++) answers.push(await dribbled(proxy.port));
        expect(answers).toEqual(Array(20).fill("HTTP/1.1 400 Bad Request"));
      } finally {
        await proxy.stop();
      }
    });
  });
}
