import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { sameAnswer } from "./_hostile.ts";

const check = conformance({
  workers: {
    "answers Content-Length with Transfer-Encoding as nginx does, without reaching the upstream when nginx does not": BECAUSE.edgeFrames,
    "answers two equal Content-Lengths as nginx does, without reaching the upstream when nginx does not": BECAUSE.edgeFrames,
    "answers TRACE, then a pipelined request as nginx does, without reaching the upstream when nginx does not": BECAUSE.edgeConnections,
    "answers userinfo in an absolute-form target as nginx does, without reaching the upstream when nginx does not": BECAUSE.parsedUrl,
    "answers a dotted port in an absolute-form target as nginx does, without reaching the upstream when nginx does not": BECAUSE.parsedUrl,
    "answers a bad IPv6 literal in an absolute-form target as nginx does, without reaching the upstream when nginx does not":
      BECAUSE.parsedUrl,
    "answers 1,001 headers in one read as nginx does, without reaching the upstream when nginx does not": BECAUSE.joinedHeaders,
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
    // A line of CRs alone must not end the head: the Content-Length after it would be lost.
    [
      "a header line of CRs alone before Content-Length",
      `POST / HTTP/1.1\r\nHost: a\r\n\r\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n`,
    ],
    [
      "a bare CR in a chunk extension",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2;a\rb\r\nok\r\n0\r\n\r\n",
    ],
    [
      "a bare CR in a trailer",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\nX: a\rb\r\n\r\n",
    ],
    // The method rules come after Host, lengths and codings, and nginx closes after them.
    [
      "TRACE with Content-Length and Transfer-Encoding, then a pipelined request",
      "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    ],
    [
      "TRACE with two Content-Lengths, then a pipelined request",
      "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    ],
    ["TRACE, then a pipelined request", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"],
    ["CONNECT, then a pipelined request", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"],
    // Absolute-form targets as nginx reads them.
    ["an absolute-form HTTP/1.1 request without Host", "GET http://a/ HTTP/1.1\r\nConnection: close\r\n\r\n"],
    ["userinfo in an absolute-form target", "GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a dotted port in an absolute-form target", "GET http://example.com.:1.2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["an empty host with two ports in an absolute-form target", "GET http://:9000:80/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["an unclosed IPv6 literal in an absolute-form target", "GET http://[::1/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a bad IPv6 literal in an absolute-form target", "GET http://[::1%zz]/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    // Limits hold however the bytes arrive: here all in one read.
    ["a 35 KiB head in one read", `GET / HTTP/1.1\r\nHost: a\r\n${`X-Big: ${"b".repeat(7000)}\r\n`.repeat(5)}Connection: close\r\n\r\n`],
    ["1,000 headers in one read", `GET / HTTP/1.1\r\nHost: a\r\n${"X-H: 1\r\n".repeat(998)}Connection: close\r\n\r\n`],
    ["1,001 headers in one read", `GET / HTTP/1.1\r\nHost: a\r\n${"X-H: 1\r\n".repeat(999)}Connection: close\r\n\r\n`],
    ["10,000 headers in one read", `GET / HTTP/1.1\r\nHost: a\r\n${"X: 1\r\n".repeat(10_000)}Connection: close\r\n\r\n`],
  ];

  for (const [name, request] of cases) {
    check(`answers ${name} as nginx does, without reaching the upstream when nginx does not`, async () => {
      const status = await sameAnswer(proxies, [backend], request);
      expect(status).toBeGreaterThan(0);
    });
  }
});
