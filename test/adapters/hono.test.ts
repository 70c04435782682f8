import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { edgeproxy, edgeproxyHandler } from "../../adapters/hono/node.ts";
import { compileConfig, parseConfigText } from "../../core/index.ts";
import { type Backend, startBackend } from "../support/backend.ts";

// The middleware from the sources, driven by app.request() (no server: the connection facts come
// from the URL). The packed package runs the same app on three runtimes in test/package/.
describe("edgeproxy/hono on Node", () => {
  let backend: Backend;
  const quiet = { alert: () => {}, crit: () => {}, error: () => {}, warn: () => {}, notice: () => {}, info: () => {} };

  beforeAll(async () => {
    backend = await startBackend("h");
  });
  afterAll(() => backend.close());

  test("refuses a bad config when the middleware is made, with its line", () => {
    expect(() => edgeproxy("upstream u {\n  server 10.0.0.1 weight=abc;\n}", { configName: "app.conf" })).toThrow(
      'app.conf:2: invalid parameter "weight=abc" in "server 10.0.0.1 weight=abc"',
    );
  });

  test("takes the contents of an http block, or a whole nginx.conf, or a compiled Config", async () => {
    const http = `server { location /api/ { proxy_pass http://127.0.0.1:${backend.port}/v1/; } }`;
    const configs = [http, `events {}\nhttp { ${http} }`, await compileConfig(parseConfigText(`events {} http { ${http} }`))];
    for (const config of configs) {
      const app = new Hono().use(edgeproxy(config, { log: quiet }));
      const res = await app.request("http://app.test:8080/api/x?y=1");
      expect([res.status, await res.text()]).toEqual([200, "h\n"]);
      expect(backend.seen.at(-1)?.requestLine).toBe("GET /v1/x?y=1 HTTP/1.0");
    }
  });

  test("hands what no location takes to the next handler only when asked, and the handler answers nginx's 404", async () => {
    const config = `server { location = /health { return 200 "ok\\n"; } }`;
    const passing = new Hono().use(edgeproxy(config, { unmatched: "next", log: quiet })).get("/mine", (c) => c.text("mine"));
    expect(await (await passing.request("http://app.test/health")).text()).toBe("ok\n");
    expect(await (await passing.request("http://app.test/mine")).text()).toBe("mine");
    const answering = new Hono().use(edgeproxy(config, { log: quiet })).get("/mine", (c) => c.text("mine"));
    expect((await answering.request("http://app.test/mine")).status).toBe(404);
    const handler = new Hono().all("/api/*", edgeproxyHandler(config, { log: quiet }));
    const missing = await handler.request("http://app.test/api/x");
    expect([missing.status, (await missing.text()).includes("<title>404 Not Found</title>")]).toEqual([404, true]);
  });

  test("names the request's port in nginx's redirects when the runtime does not tell it", async () => {
    const app = new Hono().use(edgeproxy(`server { location /api/ { proxy_pass http://127.0.0.1:${backend.port}; } }`, { log: quiet }));
    const res = await app.request("http://app.test:8081/api");
    expect([res.status, res.headers.get("location")]).toEqual([301, "http://app.test:8081/api/"]);
  });
});
