import { writeFileSync } from "node:fs";
import net from "node:net";
import { describe, expect, test } from "vitest";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxyMain, wrapConfig } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";
import { waitFor } from "../support/wait.ts";

const HANDSHAKE = "GET /t HTTP/1.1\r\nHost: a\r\nUpgrade: x-raw\r\nConnection: Upgrade\r\n\r\n";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An upstream that switches protocols for every request, then runs `tunnel` on the raw socket;
 * it keeps count of what it wrote and read.
 */
async function switchingUpstream(tunnel: (socket: net.Socket, counts: { written: number; read: number }) => void) {
  const counts = { written: 0, read: 0 };
  const server = await serveLoopback((socket) => {
    let head = "";
    const onHead = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onHead);
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-raw\r\nConnection: upgrade\r\n\r\n");
      tunnel(socket, counts);
    };
    socket.on("data", onHead);
  });
  return { server, counts };
}

/** Writes as fast as the socket takes it, until it is closed. */
async function flood(socket: net.Socket, count: (n: number) => void): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 7);
  while (!socket.destroyed) {
    count(chunk.length);
    if (!socket.write(chunk)) await new Promise<void>((r) => socket.once("drain", r).once("close", r));
  }
}

/** A client that completes the handshake and then does what `then` says. */
function client(port: number, then: (socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(HANDSHAKE));
    let head = "";
    const onHead = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onHead);
      then(socket);
      resolve(socket);
    };
    socket.on("data", onHead);
    socket.on("error", reject);
  });
}

function config(upstream: LoopbackServer, http = "") {
  return (port: number) => `
    ${http}
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_pass http://127.0.0.1:${upstream.port};
        }
    }`;
}

for (const adapter of ["node", "bun"] as const) {
  describe(`${adapter} adapter: tunnels`, () => {
    const start = (upstream: LoopbackServer, main = "", http = "") =>
      startEdgeproxyMain(main, config(upstream, http), ADAPTER_COMMANDS[adapter]);

    test("a client that stops reading holds the upstream back, and an upstream that stops reading holds the client back", async () => {
      const down = await switchingUpstream((socket, counts) => void flood(socket, (n) => (counts.written += n)));
      let proxy: RunningProxy | null = null;
      try {
        proxy = await start(down.server);
        const reader = await client(proxy.port, (s) => s.pause());
        await sleep(1500);
        // 256 MiB would be gone in this time unread; kernel buffers and a few chunks in flight are all.
        expect(down.counts.written).toBeLessThan(32 * 1024 * 1024);
        reader.destroy();
      } finally {
        await proxy?.stop();
        down.server.close();
      }
      const up = await switchingUpstream((socket) => socket.pause());
      try {
        // What the client sent stays owed to the upstream after it leaves, as in nginx: the stop
        // waits for it up to worker_shutdown_timeout.
        proxy = await start(up.server, "worker_shutdown_timeout 1s;");
        let pushed = 0;
        const writer = await client(proxy.port, (s) => void flood(s, (n) => (pushed += n)));
        await sleep(1500);
        expect(pushed).toBeLessThan(32 * 1024 * 1024);
        writer.destroy();
      } finally {
        await proxy?.stop();
        up.server.close();
      }
    });

    test("a write that waits past proxy_send_timeout or send_timeout closes the tunnel", async () => {
      // One side floods, the other stops reading; the flooding side sees the close (a paused socket would not).
      for (const [timeout, upstreamFloods] of [
        ["proxy_send_timeout 1s;", false],
        ["send_timeout 1s;", true],
      ] as const) {
        let upstreamClosed: Promise<unknown> = new Promise(() => {});
        const upstream = await switchingUpstream((socket) => {
          upstreamClosed = new Promise((r) => socket.once("close", r));
          socket.on("error", () => {});
          if (upstreamFloods) void flood(socket, () => {});
          else socket.pause();
        });
        const proxy = await start(upstream.server, "", timeout);
        try {
          const opened = performance.now();
          const tunnel = await client(proxy.port, (s) => (upstreamFloods ? s.pause() : void flood(s, () => {})));
          tunnel.on("error", () => {});
          await (upstreamFloods ? upstreamClosed : new Promise((r) => tunnel.once("close", r)));
          const waited = performance.now() - opened;
          expect(waited, timeout).toBeGreaterThan(900);
          expect(waited, timeout).toBeLessThan(5000);
          tunnel.destroy();
        } finally {
          await proxy.stop();
          upstream.server.close();
        }
      }
    });

    test("a client's half-close ends the tunnel for both once what it sent reached the upstream", async () => {
      let received = "";
      let upstreamClosed = false;
      const upstream = await switchingUpstream((socket) => {
        socket.on("data", (d) => {
          received += d.toString();
        });
        socket.on("close", () => {
          upstreamClosed = true;
        });
      });
      const proxy = await start(upstream.server);
      try {
        const tunnel = await client(proxy.port, () => {});
        const closed = new Promise((r) => tunnel.once("close", r));
        tunnel.end("last words");
        await closed;
        await waitFor(async () => upstreamClosed, 3000);
        expect(received).toBe("last words");
      } finally {
        await proxy.stop();
        upstream.server.close();
      }
    });

    test("a graceful stop waits for tunnels up to worker_shutdown_timeout, then closes them", async () => {
      const upstream = await switchingUpstream(() => {});
      const proxy = await start(upstream.server, "worker_shutdown_timeout 1s;");
      try {
        const tunnel = await client(proxy.port, () => {});
        const closed = new Promise((r) => tunnel.once("close", r));
        const signalled = performance.now();
        process.kill(proxy.pid, "SIGTERM");
        await closed;
        expect(await proxy.exited).toBe(0);
        const waited = performance.now() - signalled;
        expect(waited).toBeGreaterThan(900);
        expect(waited).toBeLessThan(5000);
      } finally {
        await proxy.stop();
        upstream.server.close();
      }
    });

    test("after a reload, the old config's tunnels close at worker_shutdown_timeout and new ones open", async () => {
      const upstream = await switchingUpstream((socket) => socket.on("data", (d) => socket.write(d)));
      const proxy = await start(upstream.server, "worker_shutdown_timeout 1s;");
      try {
        const old = await client(proxy.port, () => {});
        let oldClosedAt = 0;
        old.once("close", () => {
          oldClosedAt = performance.now();
        });
        writeFileSync(
          `${proxy.dir}/edgeproxy.conf`,
          `worker_shutdown_timeout 1s;\n${wrapConfig(proxy.dir, config(upstream.server)(proxy.port))}`,
        );
        const reloaded = performance.now();
        process.kill(proxy.pid, "SIGHUP");
        await waitFor(async () => proxy.log().includes("reloaded its configuration"), 5000);
        const fresh = await client(proxy.port, () => {});
        await waitFor(async () => oldClosedAt > 0, 5000);
        expect(oldClosedAt - reloaded).toBeGreaterThan(800);
        const echoed = new Promise<string>((r) => fresh.once("data", (d) => r(d.toString())));
        fresh.write("still open");
        expect(await echoed).toBe("still open");
        fresh.destroy();
      } finally {
        await proxy.stop();
        upstream.server.close();
      }
    });
  });
}
