import { readFileSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

/** Opens a connection, sends `text`, and resolves with what came back once the server closed. */
function hold(port: number, text: string, ms: number): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let received = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    socket.on("data", (d) => {
      received += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ closedAfterMs: performance.now() - started, received }));
    setTimeout(() => socket.destroy(), ms);
  });
}

const check = conformance({
  workers: {
    "closes a head that does not finish within client_header_timeout, without a word": BECAUSE.edgeConnections,
    "closes a connection after keepalive_requests answers, and an idle one after keepalive_timeout": BECAUSE.edgeConnections,
    "holds the upstream back instead of buffering, and closes after send_timeout": BECAUSE.edgeConnections,
  },
});

// Slow and abusive clients (issue 6): client_header_timeout, keepalive_timeout, keepalive_requests.
describe("slow clients", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("slow", undefined, { keepAlive: true });
    proxies = await startBoth(
      (port) => `
    client_header_timeout 1s;
    keepalive_timeout 2s;
    keepalive_requests 2;
    server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  check("closes a head that does not finish within client_header_timeout, without a word", async () => {
    for (const p of proxies) {
      const r = await hold(p.port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ", 4000);
      expect({ name: p.name, received: r.received }).toEqual({ name: p.name, received: "" });
      expect(r.closedAfterMs).toBeGreaterThan(900);
      expect(r.closedAfterMs).toBeLessThan(3000);
    }
  });

  check("answers other clients while 300 slowloris connections hang", async () => {
    for (const p of proxies) {
      const loris = Array.from({ length: 300 }, () => hold(p.port, "GET / HTTP/1.1\r\nHost: a\r\n", 4000));
      await new Promise((r) => setTimeout(r, 200));
      const started = performance.now();
      const res = await get(p.port, "/fine");
      expect({ name: p.name, status: res.status }).toEqual({ name: p.name, status: 200 });
      expect(performance.now() - started).toBeLessThan(1000);
      await Promise.all(loris);
    }
  });

  check("closes a connection after keepalive_requests answers, and an idle one after keepalive_timeout", async () => {
    const request = "GET /k HTTP/1.1\r\nHost: a\r\n\r\n";
    for (const p of proxies) {
      const r = await hold(p.port, request.repeat(3), 6000);
      // Two answers, the second with Connection: close; the third request is never read.
      expect({ name: p.name, answers: (r.received.match(/HTTP\/1\.1 200/g) ?? []).length }).toEqual({ name: p.name, answers: 2 });
      const idle = await hold(p.port, request, 6000);
      expect(idle.closedAfterMs).toBeGreaterThan(1800);
      expect(idle.closedAfterMs).toBeLessThan(4000);
    }
  });
});

// A client that stops reading a large response (issue 6): backpressure, then send_timeout.
describe("a client that stops reading", () => {
  let big: net.Server;
  let bigPort: number;
  let proxies: RunningProxy[];
  const size = 256 * 1024 * 1024;
  /** Bytes the upstream handed to its socket, for the response in progress. */
  let upstreamSent = 0;
  beforeAll(async () => {
    const chunk = Buffer.alloc(1024 * 1024, 120);
    big = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", async () => {
        upstreamSent = 0;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
        for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
          upstreamSent += chunk.length;
          if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r).once("close", r));
        }
        socket.end();
      });
    });
    await new Promise<void>((r) => big.listen(0, "127.0.0.1", r));
    bigPort = (big.address() as net.AddressInfo).port;
    proxies = await startBoth(
      (port) => `
    send_timeout 1s;
    proxy_buffering off;
    server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${bigPort}; } }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    big.close();
  });

  check("holds the upstream back while the client does not read", async () => {
    for (const p of proxies) {
      const rssBefore = rssMiB(p.pid);
      const socket = net.connect(p.port, "127.0.0.1", () => socket.write("GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
      socket.on("error", () => {});
      let received = 0;
      socket.on("data", (d) => {
        received += d.length;
        if (received > 4 * 1024 * 1024) socket.pause();
      });
      await new Promise((r) => setTimeout(r, 1500));
      const held = { name: p.name, sentMiB: Math.round(upstreamSent / 2 ** 20), grewMiB: Math.round(rssMiB(p.pid) - rssBefore) };
      socket.destroy();
      // Socket buffers on three hops hold a few MiB; the other 250 stay unsent upstream.
      expect(held.sentMiB, JSON.stringify(held)).toBeLessThan(48);
      expect(held.grewMiB, JSON.stringify(held)).toBeLessThan(48);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  check("holds the upstream back instead of buffering, and closes after send_timeout", async () => {
    for (const p of proxies) {
      const rssBefore = rssMiB(p.pid);
      const socket = net.connect(p.port, "127.0.0.1", () => socket.write("GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
      let received = 0;
      let paused = false;
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.on("error", () => {});
      socket.on("data", (d) => {
        received += d.length;
        // Read the first 4 MiB, then stop reading for a while.
        if (!paused && received > 4 * 1024 * 1024) {
          paused = true;
          socket.pause();
        }
      });
      await new Promise((r) => setTimeout(r, 3000));
      // The unread rest stayed upstream, not in the proxy's memory.
      const grew = rssMiB(p.pid) - rssBefore;
      socket.resume();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 8000))]);
      socket.destroy();
      // send_timeout (1s) cut the response while the client was away.
      expect({ name: p.name, cut: received < size / 2 }).toEqual({ name: p.name, cut: true });
      expect(grew).toBeLessThan(64);
    }
  });
});

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}
