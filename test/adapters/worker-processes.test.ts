import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { startBackend } from "../support/backend.ts";
import { get, rawRequest } from "../support/client.ts";
import { ADAPTER_COMMANDS, startEdgeproxyMain, tempDir, wrapConfig } from "../support/proxies.ts";
import { serveLoopback } from "../support/tcp-server.ts";
import { waitFor } from "../support/wait.ts";

// Node and Bun both run worker_processes as threads of one process on SO_REUSEPORT sockets.
describe.each([
  ["Node", ADAPTER_COMMANDS.node],
  ["Bun", ADAPTER_COMMANDS.bun],
])("worker_processes on %s", (_runtime, adapter) => {
  const start = (main: string, http: (port: number) => string) => startEdgeproxyMain(main, http, adapter);

  test("SIGUSR1 reopens the access log in every thread, and the pid file is the main thread's", async () => {
    const logs = tempDir("logs");
    const log = `${logs}/access.log`;
    const proxy = await start(
      "worker_processes 2;",
      (port) => `access_log ${log};\nserver { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } }`,
    );
    try {
      expect(readFileSync(`${proxy.dir}/nginx.pid`, "utf8")).toBe(`${proxy.pid}\n`);
      for (let i = 0; i < 20; i++) await get(proxy.port, `/before-${i}`);
      await waitFor(async () => (readFileSync(log, "utf8").match(/GET \/before-/g) ?? []).length === 20);
      renameSync(log, `${log}.1`);
      process.kill(proxy.pid, "SIGUSR1");
      await waitFor(async () => existsSync(log));
      // SO_REUSEPORT spreads the connections: both threads write their lines to the new file.
      for (let i = 0; i < 20; i++) await get(proxy.port, `/after-${i}`);
      await waitFor(async () => (readFileSync(log, "utf8").match(/GET \/after-/g) ?? []).length === 20);
      expect(readFileSync(`${log}.1`, "utf8")).not.toContain("/after-");
    } finally {
      await proxy.stop();
      rmSync(logs, { recursive: true, force: true });
    }
  });

  test("two threads accept on one port, and max_fails counts across both, as nginx's zone shares it", async () => {
    const healthy = await startBackend("healthy", undefined, { keepAlive: true });
    let deadAttempts = 0;
    const dead = await serveLoopback((socket) => {
      deadAttempts++;
      socket.resetAndDestroy();
    });
    const proxy = await start(
      "worker_processes 2;",
      (port) => `
        upstream u {
            server 127.0.0.1:${healthy.port} max_fails=1 fail_timeout=60s;
            server 127.0.0.1:${dead.port} max_fails=1 fail_timeout=60s;
            keepalive 4;
        }
        server {
            listen 127.0.0.1:${port};
            location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
        }`,
    );
    try {
      // One client connection per request: SO_REUSEPORT hands each to either thread.
      for (let i = 0; i < 40; i++) expect((await get(proxy.port, `/${i}`)).status).toBe(200);
      // Each thread keeps its own idle upstream connections: more than one means both served.
      expect(new Set(healthy.seen.map((s) => s.connection)).size).toBeGreaterThan(1);
      // The first failure disabled the peer for every thread: nobody tried it again.
      expect(deadAttempts).toBe(1);
      expect(proxy.log()).toMatch(/\d+#[12]: \*\d+ upstream server temporarily disabled/);
    } finally {
      await proxy.stop();
      dead.close();
      await healthy.close();
    }
  });

  test("the status pages report the whole process, whichever thread answers", async () => {
    const healthy = await startBackend("healthy", undefined, { keepAlive: true });
    const dead = await serveLoopback((socket) => socket.resetAndDestroy());
    const proxy = await start(
      "worker_processes 2;",
      (port) => `
        upstream u {
            server 127.0.0.1:${healthy.port} max_fails=1 fail_timeout=60s;
            server 127.0.0.1:${dead.port} max_fails=1 fail_timeout=60s;
            keepalive 4;
        }
        server {
            listen 127.0.0.1:${port};
            location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
            location = /stub { stub_status; }
            location = /upstreams { edgeproxy_status; }
            location = /metrics { edgeproxy_metrics; }
        }`,
    );
    try {
      for (let i = 0; i < 40; i++) expect((await get(proxy.port, `/${i}`)).status).toBe(200);
      // Both threads served: each keeps its own idle upstream connections.
      expect(new Set(healthy.seen.map((s) => s.connection)).size).toBeGreaterThan(1);
      // Page after page, on connections the kernel hands to either thread, the counts are the process's.
      const requests: number[] = [];
      for (let i = 0; i < 12; i++) {
        const page = (await get(proxy.port, "/stub")).body.toString();
        requests.push(Number(/ \d+ \d+ (\d+) \n/.exec(page)?.[1]));
        const view = JSON.parse((await get(proxy.port, "/upstreams")).body.toString());
        const [up, down] = view.u.peers;
        expect([up.requests, up.responses["2xx"], up.state]).toEqual([40, 40, "up"]);
        expect([down.requests, down.fails, down.unavail, down.state]).toEqual([1, 1, 1, "unavail"]);
      }
      // Each page counts the requests before it: 40 proxied, then a page and a view per round.
      expect(requests).toEqual(requests.map((_, i) => 41 + 2 * i));
      const metrics = (await get(proxy.port, "/metrics")).body.toString();
      expect(metrics).toMatch(new RegExp(`edgeproxy_upstream_peer_requests_total\\{upstream="u",peer="127.0.0.1:${healthy.port}"\\} 40\n`));
    } finally {
      await proxy.stop();
      dead.close();
      await healthy.close();
    }
  });

  test("both threads spool request bodies at once without stepping on each other's files", async () => {
    const backend = await startBackend("sink");
    const proxy = await start(
      "worker_processes 2;",
      (port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`,
    );
    try {
      const body = (i: number) => Buffer.alloc(64 * 1024, 97 + (i % 26)).toString("latin1");
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          rawRequest(proxy.port, `POST /${i} HTTP/1.1\r\nHost: a\r\nContent-Length: ${64 * 1024}\r\nConnection: close\r\n\r\n${body(i)}`),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
      for (const seen of backend.seen) {
        const i = Number(seen.requestLine.split(" ")[1]?.slice(1));
        expect(seen.body.toString("latin1")).toBe(body(i));
      }
      expect(backend.seen).toHaveLength(40);
    } finally {
      await proxy.stop();
      await backend.close();
    }
  });

  test("SIGHUP reloads every thread; a bad file keeps them all serving; SIGTERM ends the process", async () => {
    const http = (text: string) => (port: number) => `server { listen 127.0.0.1:${port}; location / { return 200 "${text}\\n"; } }`;
    const proxy = await start("worker_processes auto;", http("v1"));
    try {
      const answers = async (n: number) => {
        const bodies = new Set<string>();
        for (let i = 0; i < n; i++) bodies.add((await get(proxy.port, "/")).body.toString());
        return [...bodies];
      };
      expect(await answers(10)).toEqual(["v1\n"]);
      writeFileSync(proxy.file, `worker_processes auto;\n${wrapConfig(proxy.dir, http("v2")(proxy.port))}`);
      process.kill(proxy.pid, "SIGHUP");
      await waitFor(async () => proxy.log().includes("reloaded its configuration"));
      expect(await answers(20)).toEqual(["v2\n"]);
      writeFileSync(proxy.file, `worker_processes auto;\n${wrapConfig(proxy.dir, "server { listen 1.2.3.4:x; }")}`);
      process.kill(proxy.pid, "SIGHUP");
      await waitFor(async () => proxy.log().includes("reload failed"));
      expect(proxy.log()).toMatch(/edgeproxy\.conf:\d+: invalid port/);
      expect(await answers(20)).toEqual(["v2\n"]);
      process.kill(proxy.pid, "SIGTERM");
      expect(await proxy.exited).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  test("limit zones are shared by the threads, as nginx's shared memory, and a reload keeps them", async () => {
    const backend = await startBackend("limited");
    const http = (extra: string) => (port: number) =>
      `
        limit_req_zone $http_x_key zone=req:1m rate=1r/m;
        limit_conn_zone $http_x_key zone=conn:1m;
        ${extra}
        server {
            listen 127.0.0.1:${port};
            location /req { limit_req zone=req burst=4 nodelay; proxy_pass http://127.0.0.1:${backend.port}; }
            location /conn { limit_conn conn 1; proxy_pass http://127.0.0.1:${backend.port}; }
        }`;
    const proxy = await start("worker_processes 2;", http(""));
    try {
      const statuses = async (path: string, n: number) =>
        (await Promise.all(Array.from({ length: n }, () => get(proxy.port, path, ["Host: t", "X-Key: one"])))).map((r) => r.status);
      // One connection each: the kernel spreads them over both threads, and one bucket counts them all.
      const first = await statuses("/req", 40);
      expect(first.filter((s) => s === 200)).toHaveLength(5);
      expect(proxy.log()).toMatch(/#1: .*limiting requests/);
      expect(proxy.log()).toMatch(/#2: .*limiting requests/);
      writeFileSync(
        proxy.file,
        `worker_processes 2;\n${wrapConfig(proxy.dir, http("limit_req_zone $uri zone=added:1m rate=5r/s;")(proxy.port))}`,
      );
      process.kill(proxy.pid, "SIGHUP");
      await waitFor(async () => proxy.log().includes("reloaded its configuration"));
      expect((await statuses("/req", 10)).filter((s) => s === 200)).toHaveLength(0);
      backend.reply = () => ({ body: "slow\n", delayMs: 500 });
      expect((await statuses("/conn", 12)).filter((s) => s === 200)).toHaveLength(1);
      expect((await statuses("/conn", 1)).filter((s) => s === 200)).toHaveLength(1);
    } finally {
      await proxy.stop();
      await backend.close();
    }
  });
});
