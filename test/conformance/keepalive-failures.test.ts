import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, type SeenRequest, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

/** How the upstream fails the request that reused a cached connection. */
const FAILURES = { "is closed": { raw: "", close: true }, "is reset": { reset: true } } as const;

const NAMES = [
  "never sends a small POST twice when its cached connection",
  "never sends a spooled POST twice when its cached connection",
  "resends a spooled PUT whole on a fresh connection when its cached one",
  "retries a GET without using up a try when its cached connection",
];

const check = conformance({
  workers: Object.fromEntries(NAMES.flatMap((name) => Object.keys(FAILURES).map((how) => [`${name} ${how}`, BECAUSE.fetchTiming]))),
});

// nginx-semantics 4.4 and 6.7: a failure on a cached connection (`u->peer.cached`) uses up no
// try, but the other rules hold: a request that may have been sent is never sent again when it
// is not idempotent, and a retried body is the whole buffered body again.
describe("a cached upstream connection that fails", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("k", undefined, { keepAlive: true });
    proxies = await startBoth(
      (port) => `
    upstream u { server 127.0.0.1:${backend.port}; keepalive 4; }
    server {
        listen 127.0.0.1:${port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        client_body_buffer_size 8k;
        location / { proxy_pass http://u; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  /** Warms one cached connection with a GET, then sends `request`; the upstream fails the second request on any connection. */
  async function afterWarmUp(proxy: RunningProxy, request: string, failure: Reply) {
    // No connection cached by an earlier case: the warm-up opens the one the request reuses.
    backend.cut();
    await new Promise((r) => setTimeout(r, 50));
    backend.reply = () => ({ body: "warm\n" });
    const warm = await rawRequest(proxy.port, "GET /warm HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(warm.status).toBe(200);
    const before = backend.seen.length;
    backend.reply = (req) => (secondOn(req) ? failure : { body: "fresh\n" });
    const res = await rawRequest(proxy.port, request);
    const seen = backend.seen.slice(before).map((s) => ({ line: s.requestLine, bodyBytes: s.body.length }));
    return { status: res.status, body: res.body.toString("latin1"), seen };
  }

  /** The request is the second on its connection: the one that reused a cached connection. */
  function secondOn(req: SeenRequest): boolean {
    return backend.seen.filter((s) => s.connection === req.connection).length === 2;
  }

  async function both(request: string, failure: Reply) {
    const out: Record<string, Awaited<ReturnType<typeof afterWarmUp>>> = {};
    for (const proxy of proxies) out[proxy.name] = await afterWarmUp(proxy, request, failure);
    return out;
  }

  for (const [how, failure] of Object.entries(FAILURES)) {
    for (const [size, body] of [
      ["small", "hello"],
      ["spooled", "p".repeat(64 * 1024)],
    ] as const) {
      check(`never sends a ${size} POST twice when its cached connection ${how}`, async () => {
        const request = `POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
        const seen = await both(request, failure);
        expect(seen.nginx).toEqual({ status: 502, body: expect.any(String), seen: [{ line: "POST /p HTTP/1.1", bodyBytes: body.length }] });
        expect({ ...seen.edgeproxy, body: "" }).toEqual({ ...seen.nginx, body: "" });
      });
    }

    check(`resends a spooled PUT whole on a fresh connection when its cached one ${how}`, async () => {
      const body = "b".repeat(64 * 1024);
      const request = `PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
      const seen = await both(request, failure);
      const twice = [
        { line: "PUT /p HTTP/1.1", bodyBytes: body.length },
        { line: "PUT /p HTTP/1.1", bodyBytes: body.length },
      ];
      expect(seen.nginx).toEqual({ status: 200, body: "fresh\n", seen: twice });
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

    check(`retries a GET without using up a try when its cached connection ${how}`, async () => {
      const seen = await both("GET /g HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", failure);
      expect(seen.nginx?.status).toBe(200);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });
  }
});
