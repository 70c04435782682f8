import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy } from "../support/proxies.ts";
import { type RunningRedis, startRedis } from "../support/redis.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";
import { waitFor } from "../support/wait.ts";

/** A peer that resets every connection, counting them and noting when the last came (performance.now). */
async function deadPeer(): Promise<{ server: LoopbackServer; port: number; attempts: number; lastAt: number }> {
  const dead = { server: null as unknown as LoopbackServer, port: 0, attempts: 0, lastAt: 0 };
  dead.server = await serveLoopback((socket) => {
    dead.attempts++;
    dead.lastAt = performance.now();
    socket.resetAndDestroy();
  });
  dead.port = dead.server.port;
  return dead;
}

// edgeproxy_state: three edgeproxy processes (Node, Bun, Node) share peer failures through a real
// redis-server that the test kills and starts again.
describe("peer health shared across servers through Redis (edgeproxy_state)", () => {
  let redis: RunningRedis;
  let healthy: Backend;
  let a: Awaited<ReturnType<typeof deadPeer>>;
  let c: Awaited<ReturnType<typeof deadPeer>>;
  let d: Awaited<ReturnType<typeof deadPeer>>;
  let proxies: RunningProxy[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    healthy = await startBackend("ok");
    a = await deadPeer();
    c = await deadPeer();
    d = await deadPeer();
    const config = (port: number) => `
      edgeproxy_state ${redis.url} prefix=t${port}:;
      upstream u {
          server 127.0.0.1:${a.port} max_fails=1 fail_timeout=60s;
          server 127.0.0.1:${healthy.port};
      }
      upstream v {
          server 127.0.0.1:${c.port} max_fails=1 fail_timeout=60s;
          server 127.0.0.1:${healthy.port};
      }
      upstream w {
          server 127.0.0.1:${d.port} max_fails=1 fail_timeout=60s;
          server 127.0.0.1:${healthy.port};
      }
      server {
          listen 127.0.0.1:${port};
          location /u/ { proxy_pass http://u; }
          location /v/ { proxy_pass http://v; }
          location /w/ { proxy_pass http://w; }
      }`;
    // One prefix for the three: the first one's port.
    let prefixPort = 0;
    const shared = (port: number) => {
      prefixPort ||= port;
      return config(port).replace(`prefix=t${port}:`, `prefix=t${prefixPort}:`);
    };
    proxies = [
      await startEdgeproxy(shared, ADAPTER_COMMANDS.node),
      await startEdgeproxy(shared, ADAPTER_COMMANDS.bun),
      await startEdgeproxy(shared, ADAPTER_COMMANDS.node),
    ];
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await healthy.close();
    a.server.close();
    c.server.close();
    d.server.close();
    await redis.stop();
  });

  test("a failure one server sees is skipped by the others within 100 ms", async () => {
    const [x, y, z] = proxies as [RunningProxy, RunningProxy, RunningProxy];
    // Watch the channel as the servers do, to measure when the news reaches a subscriber.
    const watcher = createClient({ url: redis.url });
    await watcher.connect();
    let heardAt = 0;
    await watcher.subscribe(`t${x.port}:events`, () => {
      heardAt ||= performance.now();
    });
    try {
      // Round robin starts with a: x's first request fails there and is retried on the healthy peer.
      expect((await get(x.port, "/u/1")).status).toBe(200);
      expect(a.attempts).toBe(1);
      const failedAt = a.lastAt;
      await waitFor(async () => heardAt > 0, 2000);
      const propagationMs = heardAt - failedAt;
      console.log(`edgeproxy_state: a subscriber heard the failure ${propagationMs.toFixed(1)} ms after the peer reset`);
      expect(propagationMs).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, Math.max(0, failedAt + 100 - performance.now())));
      for (const p of [y, z, y, z]) expect((await get(p.port, "/u/2")).status).toBe(200);
      expect(a.attempts).toBe(1);
    } finally {
      await watcher.close();
    }
  });

  test("a Redis outage fails no request; failures seen meanwhile reach the others once it is back", async () => {
    const [x, y, z] = proxies as [RunningProxy, RunningProxy, RunningProxy];
    await redis.kill();
    await waitFor(async () => proxies.every((p) => p.log().includes("peer health stays local to this process")), 5000);
    // Every server goes on alone: y meets c's failure while Redis is away.
    for (const p of [x, y, z]) expect((await get(p.port, "/u/3")).status).toBe(200);
    expect((await get(y.port, "/v/1")).status).toBe(200);
    expect(c.attempts).toBe(1);

    await redis.restart();
    await waitFor(async () => proxies.every((p) => p.log().includes("is back: peer health is shared again")), 10_000);
    // y wrote what it missed: x and z skip c without trying it.
    for (const p of [x, z, x, z]) expect((await get(p.port, "/v/2")).status).toBe(200);
    expect(c.attempts).toBe(1);

    // And news travels live again after the restart.
    expect((await get(z.port, "/w/1")).status).toBe(200);
    expect(d.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, Math.max(0, d.lastAt + 100 - performance.now())));
    for (const p of [x, y, x, y]) expect((await get(p.port, "/w/2")).status).toBe(200);
    expect(d.attempts).toBe(1);
  });
});
