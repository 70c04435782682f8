import http2 from "node:http2";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import type { ClientResponse } from "../support/client.ts";
import { curlHasHttp2, curlHttp2, type H2Request, h2Connect, h2Once, h2Request } from "../support/h2-client.ts";
import { type Observation, observeVia } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";

const BIG = Buffer.alloc(4 * 1024 * 1024, "x");
const HAS_CURL_HTTP2 = await curlHasHttp2();

// ngx_http_v2_module: HTTP/2 requests (TLS with ALPN, and prior-knowledge h2c) answered by
// nginx and by edgeproxy in front of the same backend, with the same certificates.
describe("HTTP/2 to clients", () => {
  let certs: TestCertificates;
  let backend: Backend;
  let hanging: LoopbackServer;
  let hangingConnections: { asked: boolean; closed: boolean }[];
  let proxies: RunningProxy[];

  beforeAll(async () => {
    certs = makeCertificates();
    backend = await startBackend("b");
    backend.reply = (req) => {
      if (req.requestLine.includes("/cookies"))
        return {
          headers: [
            ["Set-Cookie", "a=1"],
            ["Set-Cookie", "b=2"],
            ["X-Up", "yes"],
          ],
          body: "c\n",
        };
      if (req.requestLine.includes("/missing")) return { status: 404, body: "no\n" };
      if (req.requestLine.includes("/big")) return { body: BIG };
      return { body: "b\n" };
    };
    hangingConnections = [];
    hanging = await serveLoopback((socket) => {
      const seen = { asked: false, closed: false };
      hangingConnections.push(seen);
      socket.on("data", () => {
        seen.asked = true;
      });
      socket.on("close", () => {
        seen.closed = true;
      });
    });
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port} ssl http2;
        listen unix:{{dir}}/h2c.sock http2;
        server_name h2.test;
        ssl_certificate ${certs.path("a.crt")};
        ssl_certificate_key ${certs.path("a.key")};
        http2_max_concurrent_streams 32;
        location / {
            proxy_pass http://127.0.0.1:${backend.port};
            proxy_set_header X-Host $host;
            proxy_set_header X-Http-Host $http_host;
            proxy_set_header X-Protocol $server_protocol;
            proxy_set_header X-Request "$request";
            proxy_set_header X-Cookie $http_cookie;
        }
        location /hang { proxy_pass http://127.0.0.1:${hanging.port}; }
        location /small/ { client_max_body_size 1k; proxy_pass http://127.0.0.1:${backend.port}; }
        location = /redirect { return 301 /elsewhere; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    hanging.close();
    certs.remove();
  });

  async function both(send: (port: number) => Promise<ClientResponse>): Promise<Record<string, Observation>> {
    const out: Record<string, Observation> = {};
    for (const p of proxies) out[p.name] = await observeVia(p, [backend], send);
    return out;
  }

  const cases: [string, H2Request][] = [
    [
      "a GET with a query, two cookies and other headers",
      { headers: { ":path": "/a?b=c", cookie: ["x=1", "y=2"], "x-custom": "v", accept: "*/*" } },
    ],
    ["a POST with content-length", { headers: { ":method": "POST", ":path": "/post", "content-length": "5" }, body: "hello" }],
    ["a POST without content-length", { headers: { ":method": "POST", ":path": "/post" }, body: "hello, unframed" }],
    ["a HEAD", { headers: { ":method": "HEAD", ":path": "/head" } }],
    ["several Set-Cookie from upstream", { headers: { ":path": "/cookies" } }],
    ["an upstream 404", { headers: { ":path": "/missing" } }],
    ["a redirect of nginx's own", { headers: { ":path": "/redirect" } }],
    ["host beside :authority (a duplicate Host, 400)", { headers: { ":path": "/dup", host: "other.test" } }],
    [
      "a body over client_max_body_size, with content-length (413)",
      { headers: { ":method": "POST", ":path": "/small/x", "content-length": "2048" }, body: "z".repeat(2048) },
    ],
    [
      "a body over client_max_body_size, without content-length (413)",
      { headers: { ":method": "POST", ":path": "/small/y" }, body: "z".repeat(2048) },
    ],
  ];

  test.each(cases)("%s: nginx's answer, and nginx's request upstream", async (_name, request) => {
    const seen = await both((port) =>
      h2Once(port, { ...request, headers: { ":authority": "h2.test", ...request.headers } }, { servername: "h2.test" }),
    );
    expect(seen.nginx?.status).toBeGreaterThan(0);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  test.runIf(HAS_CURL_HTTP2)("curl --http2 gets nginx's answer", async () => {
    const seen = await both((port) =>
      curlHttp2(port, "/curl?x=1", ["-H", "Cookie: a=1", "-H", "Cookie: b=2", "--resolve", `h2.test:${port}:127.0.0.1`]),
    );
    expect(seen.nginx?.status).toBe(200);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  test("prior-knowledge h2c on `listen ... http2` without ssl, as nginx 1.22", async () => {
    const out: Record<string, Observation> = {};
    for (const p of proxies) {
      const socketPath = join(p.dir, "h2c.sock");
      out[p.name] = await observeVia(p, [backend], async () => {
        const session = http2.connect("http://h2.test", { createConnection: () => net.connect(socketPath) });
        try {
          return await h2Request(session, { headers: { ":path": "/h2c" } });
        } finally {
          session.close();
        }
      });
    }
    expect(out.nginx?.status).toBe(200);
    expect(out.edgeproxy).toEqual(out.nginx);
  });

  test("many streams on one connection, beyond http2_max_concurrent_streams, all answered", async () => {
    for (const p of proxies) {
      const before = backend.seen.length;
      const session = await h2Connect(p.port, { servername: "h2.test" });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => h2Request(session, { headers: { ":path": `/many/${i}` } })));
      session.close();
      expect({ proxy: p.name, statuses: [...new Set(answers.map((a) => a.status))], upstream: backend.seen.length - before }).toEqual({
        proxy: p.name,
        statuses: [200],
        upstream: 200,
      });
    }
  });

  test("a stream the client resets drops its upstream request; the connection goes on", async () => {
    for (const p of proxies) {
      const session = await h2Connect(p.port, { servername: "h2.test" });
      const before = hangingConnections.length;
      const stream = session.request({ ":path": "/hang" });
      stream.on("error", () => {});
      await waitFor(() => hangingConnections[before]?.asked === true);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => hangingConnections[before]?.closed === true).catch(() => {
        throw new Error(`${p.name} kept the upstream connection of a reset stream`);
      });
      const next = await h2Request(session, { headers: { ":path": "/after-reset" } });
      session.close();
      expect({ proxy: p.name, status: next.status }).toEqual({ proxy: p.name, status: 200 });
    }
  });

  test("connections that break with streams in flight leave the proxy serving", async () => {
    for (const p of proxies) {
      for (let round = 0; round < 5; round++) {
        const sessions = await Promise.all([1, 2, 3].map(() => h2Connect(p.port, { servername: "h2.test" })));
        for (const session of sessions) {
          for (let i = 0; i < 30; i++) session.request({ ":path": i % 2 ? "/big" : `/cut/${i}` }).on("error", () => {});
        }
        await new Promise((r) => setTimeout(r, 5 * round));
        for (const session of sessions) session.socket.destroy();
      }
      await new Promise((r) => setTimeout(r, 300));
      const next = await h2Once(p.port, { headers: { ":authority": "h2.test", ":path": "/after-break" } }, { servername: "h2.test" });
      expect({ proxy: p.name, status: next.status }).toEqual({ proxy: p.name, status: 200 });
    }
  });

  test("a stream whose client does not read holds back only itself", async () => {
    for (const p of proxies) {
      const session = await h2Connect(p.port, { servername: "h2.test" });
      const slow = session.request({ ":path": "/big" });
      slow.on("error", () => {});
      slow.pause();
      await new Promise((r) => slow.once("response", r));
      const started = Date.now();
      const others = await Promise.all(Array.from({ length: 20 }, (_, i) => h2Request(session, { headers: { ":path": `/beside/${i}` } })));
      const tookMs = Date.now() - started;
      slow.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
      expect({ proxy: p.name, statuses: [...new Set(others.map((o) => o.status))], fast: tookMs < 5000 }).toEqual({
        proxy: p.name,
        statuses: [200],
        fast: true,
      });
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
