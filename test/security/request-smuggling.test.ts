import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { sameAnswer } from "./_hostile.ts";

const check = conformance({
  workers: {
    "answers Content-Length with Transfer-Encoding as nginx does, without reaching the upstream when nginx does not": BECAUSE.edgeFrames,
    "answers two equal Content-Lengths as nginx does, without reaching the upstream when nginx does not": BECAUSE.edgeFrames,
  },
});

// Ambiguous framing must never reach an upstream: nginx-semantics 7.2 ("Other header rules").
describe("request smuggling", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("s");
    proxies = await startBoth((port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const cases: [string, string][] = [
    [
      "Content-Length with Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    ],
    [
      "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabcdefghij",
    ],
    ["two equal Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"],
    ["a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\nConnection: close\r\n\r\nabc"],
    ["a negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\nConnection: close\r\n\r\n"],
    ["Transfer-Encoding other than chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nabc"],
    ["chunked, then gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\nConnection: close\r\n\r\n0\r\n\r\n"],
    ["Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["a bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"],
    ["a header folded onto the next line", "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\nConnection: close\r\n\r\n"],
    ["a space before the colon", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\nConnection: close\r\n\r\nabcde"],
  ];

  for (const [name, request] of cases) {
    check(`answers ${name} as nginx does, without reaching the upstream when nginx does not`, async () => {
      const status = await sameAnswer(proxies, [backend], request);
      expect(status).toBeGreaterThan(0);
    });
  }
});
