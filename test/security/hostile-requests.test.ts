import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { sameAnswer } from "./_hostile.ts";

const get = (target: string, headers = "Host: a\r\n") => `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;

// Header injection, oversized heads, methods and versions: nginx-semantics 6.5, 7.1, 8.
describe("hostile request lines and headers", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("h");
    proxies = await startBoth((port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const cases: [string, string][] = [
    ["a bare CR inside a header value", get("/", "Host: a\r\nX-A: one\rX-B: two\r\n")],
    ["a NUL inside a header value", get("/", "Host: a\r\nX-A: on\0e\r\n")],
    ["a header name with a space", get("/", "Host: a\r\nX A: 1\r\n")],
    ["a header name with an underscore", get("/", "Host: a\r\nX_Secret: 1\r\n")],
    ["a header name with a dot", get("/", "Host: a\r\nX.Dot: 1\r\n")],
    ["a request line over 8k", get(`/${"a".repeat(9000)}`)],
    ["a header line over 8k", get("/", `Host: a\r\nX-Big: ${"b".repeat(9000)}\r\n`)],
    ["a lower-case method", "get / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["CONNECT to another host", "CONNECT internal.example:22 HTTP/1.1\r\nHost: internal.example:22\r\nConnection: close\r\n\r\n"],
    ["HTTP/2.0 in the request line", "GET / HTTP/2.0\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"],
    ["a space inside the request-target", "GET /a b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a control byte inside the request-target", "GET /a\x01b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
  ];

  for (const [name, request] of cases) {
    test(`answers ${name} as nginx does`, async () => {
      expect(await sameAnswer(proxies, [backend], request)).toBeGreaterThan(0);
    });
  }
});
