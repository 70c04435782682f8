import net from "node:net";
import { describe, expect, test } from "vitest";
import { ADAPTER_COMMANDS, startCommand } from "../support/proxies.ts";
import { serveLoopback } from "../support/tcp-server.ts";

const RUNTIMES = { node: process.execPath, bun: ADAPTER_COMMANDS.bun[0] as string };

// nginx drops the upstream request of a client that leaves while it waits (499); in a Hono app
// the Fetch entry learns of it from request.signal, which Bun.serve and @hono/node-server abort.
for (const [runtime, executable] of Object.entries(RUNTIMES)) {
  describe(`edgeproxy/hono on ${runtime}: a client that leaves`, () => {
    test("closes the upstream connection when the client leaves while its request waits", async () => {
      let opened: () => void = () => {};
      const upstreamOpened = new Promise<void>((r) => {
        opened = r;
      });
      let closedAt = 0;
      const upstream = await serveLoopback((socket) => {
        // Read, so that the proxy's close is seen.
        socket.resume();
        opened();
        socket.on("close", () => {
          closedAt = performance.now();
        });
      });
      const config = `server { location / { proxy_pass http://127.0.0.1:${upstream.port}; } }`;
      const app = await startCommand(`hono on ${runtime}`, (port) => [executable, "test/support/hono-app.ts", String(port), config]);
      try {
        const client = net.connect(app.port, "127.0.0.1", () => client.write("GET /wait HTTP/1.1\r\nHost: app.test\r\n\r\n"));
        client.on("error", () => {});
        await upstreamOpened;
        const left = performance.now();
        client.destroy();
        await new Promise((r) => setTimeout(r, 1000));
        expect(closedAt, "the upstream connection is closed").toBeGreaterThan(0);
        expect(closedAt - left).toBeLessThan(1000);
      } finally {
        await app.stop();
        upstream.close();
      }
    });
  });
}
