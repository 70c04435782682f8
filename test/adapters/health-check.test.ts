import { afterEach, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy, startEdgeproxyMain } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

// nginx Plus's health_check has no oracle here (nginx 1.22 is open source): the semantics are
// its documentation's (ngx_http_upstream_hc_module), checked against real backends.
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function backends(): Promise<[Backend, Backend]> {
  const a = await startBackend("a");
  const b = await startBackend("b");
  running.push({ stop: () => a.close() }, { stop: () => b.close() });
  return [a, b];
}

/** Requests that are not checks: what clients sent. */
const clientRequests = (backend: Backend) => backend.seen.filter((s) => !s.requestLine.includes("/healthz"));
const checks = (backend: Backend) => backend.seen.filter((s) => s.requestLine.includes("/healthz"));

describe.each(["node", "bun"] as const)("health_check on %s", (adapter) => {
  const start = async (body: (port: number) => string): Promise<RunningProxy> => {
    const proxy = await startEdgeproxy(body, ADAPTER_COMMANDS[adapter]);
    running.push(proxy);
    return proxy;
  };

  test("marks a failing peer down before any client request reaches it, and takes it back after passes= checks", async () => {
    const [a, b] = await backends();
    a.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 503, body: "down\n" } : { body: "a\n" });
    const proxy = await start(
      (port) => `
      upstream u { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; }
      server {
          listen 127.0.0.1:${port};
          location / {
              proxy_pass http://u;
              proxy_set_header X-Health-Probe "$proxy_host";
              health_check interval=200ms uri=/healthz passes=2 mandatory;
          }
      }`,
    );
    // mandatory: the first checks are done before the peers take requests.
    await waitFor(async () => checks(a).length >= 1 && checks(b).length >= 1);
    for (let i = 0; i < 10; i++) expect((await get(proxy.port, `/r${i}`)).body.toString()).toBe("b\n");
    expect(clientRequests(a)).toHaveLength(0);
    // Checks go as the location sends requests: HTTP/1.0, its headers, Host $proxy_host.
    const probe = checks(a)[0];
    expect(probe?.requestLine).toBe("GET /healthz HTTP/1.0");
    expect(probe?.headers).toEqual([
      ["X-Health-Probe", "u"],
      ["Host", "u"],
      ["Connection", "close"],
    ]);
    expect(proxy.log()).toContain(
      `peer is unhealthy while checking status code, health check "" of peer 127.0.0.1:${a.port} in upstream "u"`,
    );

    a.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 200, body: "ok\n" } : { body: "a\n" });
    await waitFor(async () =>
      proxy.log().includes(`peer is healthy while checking status code, health check "" of peer 127.0.0.1:${a.port}`),
    );
    const bodies = await Promise.all(Array.from({ length: 10 }, (_, i) => get(proxy.port, `/s${i}`).then((r) => r.body.toString())));
    expect(bodies.filter((x) => x === "a\n").length).toBeGreaterThan(0);
  });

  test("a refused connection is a failed check too, and a single-server upstream answers 502 while its peer is unhealthy", async () => {
    const [a] = await backends();
    const port = a.port;
    await a.close();
    const proxy = await start(
      (listen) => `
      upstream one { server 127.0.0.1:${port}; }
      server {
          listen 127.0.0.1:${listen};
          location / { proxy_pass http://one; health_check interval=100ms; }
      }`,
    );
    await waitFor(async () => proxy.log().includes("peer is unhealthy while connecting to upstream"));
    expect(proxy.log()).toContain(
      `connect() failed (111: Connection refused) while connecting to upstream, health check "" of peer 127.0.0.1:${port} in upstream "one"`,
    );
    const res = await get(proxy.port, "/");
    expect(res.status).toBe(502);
    // The error log is appended without blocking the response: the line may come just after it.
    await waitFor(async () => proxy.log().includes("no live upstreams while connecting to upstream"));
  });
});

describe("health_check with worker_processes on Node", () => {
  test("one thread checks, every thread skips the unhealthy peer", async () => {
    const [a, b] = await backends();
    a.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 500 } : { body: "a\n" });
    const proxy = await startEdgeproxyMain(
      "worker_processes 2;",
      (port) => `
        upstream u { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; }
        server {
            listen 127.0.0.1:${port};
            location / { proxy_pass http://u; health_check interval=300ms uri=/healthz mandatory; }
        }`,
    );
    running.push(proxy);
    await waitFor(async () => checks(a).length >= 1);
    const started = performance.now();
    for (let i = 0; i < 30; i++) expect((await get(proxy.port, `/r${i}`)).body.toString()).toBe("b\n");
    const seconds = (performance.now() - started) / 1000;
    expect(clientRequests(a)).toHaveLength(0);
    // One thread probes: about one check every 300 ms, not two.
    await new Promise((r) => setTimeout(r, 1500));
    const rate = checks(a).length / (seconds + 1.5 + 0.3);
    expect(rate).toBeLessThan(5);
  });
});
