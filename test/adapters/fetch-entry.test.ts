import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nodeCapabilities } from "../../adapters/node/capabilities.ts";
import { type ConnectionInfo, compileConfig, createProxy, type EdgeProxy, parseConfigText } from "../../core/index.ts";
import { type Backend, startBackend } from "../support/backend.ts";

const connection: ConnectionInfo = {
  remoteAddress: "127.0.0.9",
  remotePort: 50000,
  listenKey: "*:8080",
  localAddress: "127.0.0.1",
  localPort: 8080,
  isTls: false,
};

// The Fetch entry Workers, Bun and Hono use: the same core behind Request and Response.
describe("proxy.fetch", () => {
  let backend: Backend;
  let proxy: EdgeProxy;
  const log: string[] = [];

  beforeAll(async () => {
    backend = await startBackend("f");
    const config = await compileConfig(
      parseConfigText(`events {} http {
        server {
          listen 8080;
          location = /health { return 200 "ok\\n"; }
          location /api/ { proxy_pass http://127.0.0.1:${backend.port}/v1/; proxy_set_header X-Real-IP $remote_addr; }
        }
      }`),
    );
    proxy = createProxy(
      config,
      nodeCapabilities({
        alert: (m) => log.push(m),
        crit: (m) => log.push(m),
        error: (m) => log.push(m),
        warn: (m) => log.push(m),
        notice: (m) => log.push(m),
        info: (m) => log.push(m),
      }),
    );
  });
  afterAll(() => backend.close());

  test("proxies a Request and streams back the Response", async () => {
    const res = await proxy.fetch(new Request("http://example.com/api/items?x=1", { method: "POST", body: "hello" }), connection);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-backend")).toBe("f");
    expect(await res.text()).toBe("f\n");
    const seen = backend.seen.at(-1);
    expect(seen?.requestLine).toBe("POST /v1/items?x=1 HTTP/1.0");
    expect(seen?.headers).toContainEqual(["X-Real-IP", "127.0.0.9"]);
    expect(seen?.headers).toContainEqual(["Content-Length", "5"]);
    expect(seen?.body.toString()).toBe("hello");
  });

  test("answers return and nginx's error pages itself", async () => {
    const health = await proxy.fetch(new Request("http://example.com/health"), connection);
    expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
    const missing = await proxy.fetch(new Request("http://example.com/nowhere"), connection);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("<title>404 Not Found</title>");
  });
});
