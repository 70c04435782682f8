import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy, startEdgeproxyMain } from "../support/proxies.ts";
import { type RunningRedis, startRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

/** What a paced run came to: each request's status, and ms from the first request to the last. */
interface Run {
  readonly statuses: number[];
  readonly spanMs: number;
}

/** `count` requests under `key`, one every `everyMs`, to each port in turn (each answered before the next). */
async function paced(ports: readonly number[], key: string, count: number, everyMs = 100): Promise<Run> {
  const statuses: number[] = [];
  const start = performance.now();
  let lastAt = start;
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, start + i * everyMs - performance.now())));
    lastAt = performance.now();
    const port = ports[i % ports.length] as number;
    statuses.push((await get(port, "/", ["Host: example.com", `X-Key: ${key}`])).status);
  }
  return { statuses, spanMs: lastAt - start };
}

const passed = (run: Run) => run.statuses.filter((s) => s === 200).length;

/**
 * How many requests a 2r/s zone without burst lets through over a run's span, one round trip of
 * lag allowed: at most the first, one every 500 ms after it, and one more; at least the first
 * and one in every 700 ms (500 ms and the wait for the next request, on a loaded machine).
 */
const expectSharedRate = (run: Run) => {
  expect(passed(run)).toBeLessThanOrEqual(2 + Math.floor(run.spanMs / 500));
  expect(passed(run)).toBeGreaterThanOrEqual(1 + Math.floor(run.spanMs / 700));
};

let serial = 0;
const freshKey = () => `client-${process.pid}-${++serial}`;

// edgeproxy_state and limit_req: three edgeproxy servers (Node, Bun, and Node with two worker
// threads) share a 2r/s zone through a real redis-server that the test kills and starts again;
// a fourth, without edgeproxy_state, limits alone.
describe("limit_req zones shared across servers through Redis (edgeproxy_state)", () => {
  let redis: RunningRedis;
  let backend: Backend;
  const shared: RunningProxy[] = [];
  let solo: RunningProxy;
  let watcher: ReturnType<typeof createClient>;
  let channel = "";

  const config = (state: string) => (port: number) =>
    `
    ${state}
    upstream backend { server 127.0.0.1:${backend.port}; }
    limit_req_zone $http_x_key zone=perclient:1m rate=2r/s;
    server {
        listen 127.0.0.1:${port};
        location / { limit_req zone=perclient; proxy_pass http://backend; }
    }`;

  /** Until each shared server listens on the channel: Node, Bun, and the first of the two threads. */
  const allSubscribed = () =>
    waitFor(async () => {
      const counts = await watcher.pubSubNumSub(channel);
      return counts[channel] === 3;
    }, 10_000);

  beforeAll(async () => {
    redis = await startRedis();
    backend = await startBackend("ok");
    const prefix = `limits${process.pid}:`;
    channel = `${prefix}limits`;
    const withState = config(`edgeproxy_state ${redis.url} prefix=${prefix};`);
    shared.push(await startEdgeproxy(withState, ADAPTER_COMMANDS.node));
    shared.push(await startEdgeproxy(withState, ADAPTER_COMMANDS.bun));
    shared.push(await startEdgeproxyMain("worker_processes 2;", withState, ADAPTER_COMMANDS.node));
    solo = await startEdgeproxy(config(""), ADAPTER_COMMANDS.node);
    watcher = createClient({ url: redis.url });
    watcher.on("error", () => {});
    await watcher.connect();
    await allSubscribed();
  }, 60_000);
  afterAll(async () => {
    watcher?.destroy();
    await Promise.all([...shared, solo].map((p) => p?.stop()));
    await backend?.close();
    await redis?.stop();
  });

  test("a client whose requests go to all three servers gets the zone's rate overall", async () => {
    // Alone, each server would let one of its requests through every 600 ms: 12 of these 20.
    const run = await paced(
      shared.map((p) => p.port),
      freshKey(),
      20,
    );
    console.log(`limit_req over 3 servers sharing Redis: ${passed(run)} of 20 passed in ${run.spanMs.toFixed(0)} ms`);
    expect(run.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(run.statuses[0]).toBe(200);
    expectSharedRate(run);
  });

  test("a server counts its own requests once: they come back on the channel and are ignored", { timeout: 30_000 }, async () => {
    // The two threads of the third share one process's zone: the kernel spreads the connections
    // over them, so a few rounds there, for a request of the thread that does not receive.
    for (const [p, rounds] of [...shared.entries()].map(([i, p]) => [p, i === 2 ? 4 : 1] as const)) {
      for (let round = 0; round < rounds; round++) {
        const key = freshKey();
        expect((await paced([p.port], key, 1)).statuses).toEqual([200]);
        // 700 ms later the bucket has drained (2r/s): counted twice, it would still hold 0.6 of a request.
        await new Promise((r) => setTimeout(r, 700));
        expect((await paced([p.port], key, 1)).statuses).toEqual([200]);
      }
    }
  });

  test("a server without edgeproxy_state limits alone, as before", async () => {
    const key = freshKey();
    const run = await paced(
      shared.map((p) => p.port),
      key,
      3,
    );
    expect(run.statuses[0]).toBe(200);
    // The key's rate is spent on the three others, which solo does not hear of: its own bucket decides.
    expect((await paced([solo.port], key, 2, 0)).statuses).toEqual([200, 503]);
  });

  test("a Redis outage fails no request: each server limits alone, says so once, and shares again once it is back", async () => {
    // Killed in the middle of a run: requests counted as it goes find no Redis.
    const during = paced(
      shared.map((p) => p.port),
      freshKey(),
      9,
    );
    await new Promise((r) => setTimeout(r, 250));
    await redis.kill();
    expect((await during).statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const warning = "limit_req zones count per process until it is back";
    await waitFor(async () => shared.every((p) => p.log().includes(warning)), 10_000);

    // Each server lets its own first request through: the three limit apart.
    const alone = await paced(
      shared.map((p) => p.port),
      freshKey(),
      9,
    );
    expect(alone.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(alone.statuses.slice(0, 3)).toEqual([200, 200, 200]);
    for (const p of shared) expect(p.log().split(warning).length - 1).toBe(p === shared[2] ? 2 : 1);

    await redis.restart();
    await waitFor(async () => shared.every((p) => p.log().includes("limit_req zones are shared again")), 15_000);
    await waitFor(async () => watcher.isReady, 10_000);
    await allSubscribed();
    const again = await paced(
      shared.map((p) => p.port),
      freshKey(),
      20,
    );
    expect(again.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expectSharedRate(again);
  }, 60_000);
});
