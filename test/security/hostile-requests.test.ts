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
    ["a DEL inside the request-target", "GET /a\x7fb HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a tab between method and target", "GET\t/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a space before the method", " GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["the asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a lower-case protocol name", "GET / http/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a version without a minor", "GET / HTTP/1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a version with a leading zero", "GET / HTTP/01.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a minor version of four digits", "GET / HTTP/1.1000\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["HTTP/1.10", "GET / HTTP/1.10\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["HTTP/99.1", "GET / HTTP/99.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["spaces around the version", "GET /  HTTP/1.1 \r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["lines that end in LF alone", "GET / HTTP/1.1\nHost: a\nConnection: close\n\n"],
    ["a line that ends in CR CR LF", get("/", "Host: a\r\nX-A: 1\r\r\n")],
    ["an obs-fold continuation line", get("/", "Host: a\r\nX-A: 1\r\n  more\r\n")],
    ["a space before the colon", get("/", "Host: a\r\nX-A : 1\r\n")],
    ["an empty header name", get("/", "Host: a\r\n: 1\r\n")],
    ["a header line without a colon", get("/", "Host: a\r\nNo-Colon\r\n")],
    ["a DEL inside a header name", get("/", "Host: a\r\nX\x7fA: 1\r\n")],
    ["a byte above 0x7F inside a header name", get("/", "Host: a\r\nX\xe9A: 1\r\n")],
    ["control bytes, tabs and spaces in header values", get("/", "Host: a\r\nX-A:\x01\r\nX-B:\tv\t\r\nX-C:  a b  \r\nX-D:\r\n")],
  ];

  for (const [name, request] of cases) {
    test(`answers ${name} as nginx does`, async () => {
      expect(await sameAnswer(proxies, [backend], request)).toBeGreaterThan(0);
    });
  }
});

// nginx 1.22 still answers HTTP/0.9: a simple request (GET only) gets its body without a head.
describe("HTTP/0.9 simple requests", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("h");
    proxies = await startBoth(
      (port) =>
        `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } location = /text { return 200 "simple\\n"; } }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  for (const [name, request] of [
    ["a GET to a return", "GET /text\r\n"],
    ["a GET proxied", "GET /up\r\n"],
    ["a POST", "POST /text\r\n"],
  ] as const) {
    test(`answers ${name} as nginx does`, async () => {
      await sameAnswer(proxies, [backend], request);
    });
  }
});
