import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
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

  test("closes a head that does not finish within client_header_timeout, without a word", async () => {
    for (const p of proxies) {
      const r = await hold(p.port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ", 4000);
      expect({ name: p.name, received: r.received }).toEqual({ name: p.name, received: "" });
      expect(r.closedAfterMs).toBeGreaterThan(900);
      expect(r.closedAfterMs).toBeLessThan(3000);
    }
  });

  test("answers other clients while 300 slowloris connections hang", async () => {
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

  test("closes a connection after keepalive_requests answers, and an idle one after keepalive_timeout", async () => {
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
