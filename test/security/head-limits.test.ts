import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

/** A request line of exactly `length` bytes, its CRLF included. */
const requestLine = (length: number) => `GET /${"a".repeat(length - "GET / HTTP/1.1\r\n".length)} HTTP/1.1\r\n`;
/** A header line of exactly `length` bytes, its CRLF included. */
const headerLine = (length: number) => `X: ${"b".repeat(length - 5)}\r\n`;

const DEFAULT_CASES: Record<string, string> = {
  "a request line of 8192 bytes": `${requestLine(8192)}Host: a\r\nConnection: close\r\n\r\n`,
  "a request line of 8193 bytes": `${requestLine(8193)}Host: a\r\nConnection: close\r\n\r\n`,
  "a header line of 8192 bytes": `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(8192)}Connection: close\r\n\r\n`,
  "a header line of 8193 bytes": `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(8193)}Connection: close\r\n\r\n`,
  "four header lines of 8000 bytes": `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(8000).repeat(4)}Connection: close\r\n\r\n`,
  "five header lines of 8000 bytes": `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(8000).repeat(5)}Connection: close\r\n\r\n`,
  "a head filling the first buffer exactly": `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${headerLine(1024 - 45)}\r\n`,
  "1000 headers": `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${"X: 1\r\n".repeat(998)}\r\n`,
  "1001 headers": `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${"X: 1\r\n".repeat(999)}\r\n`,
};

/** With `client_header_buffer_size 64; large_client_header_buffers 3 128;`. */
const SMALL_CASES: Record<string, string> = {
  "a request line of 128 bytes": `${requestLine(128)}Host: a\r\nConnection: close\r\n\r\n`,
  "a request line of 129 bytes": `${requestLine(129)}Host: a\r\nConnection: close\r\n\r\n`,
  "a header line of 128 bytes": `GET /s/ HTTP/1.1\r\nHost: a\r\n${headerLine(128)}Connection: close\r\n\r\n`,
  "a header line of 129 bytes": `GET /s/ HTTP/1.1\r\nHost: a\r\n${headerLine(129)}Connection: close\r\n\r\n`,
  ...Object.fromEntries(
    [20, 22, 24, 26, 28, 30].map((n) => [
      `${n} header lines of 20 bytes`,
      `GET /s/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${headerLine(20).repeat(n)}\r\n`,
    ]),
  ),
};

const SPLITS = { "in one write": 0, "a few bytes per write": 7 } as const;

const names = (cases: Record<string, string>, where: string) =>
  Object.keys(cases).flatMap((name) => Object.keys(SPLITS).map((split) => `answers ${name}${where}, sent ${split}, as nginx does`));
const check = conformance({
  workers: Object.fromEntries(
    [...names(DEFAULT_CASES, ""), ...names(SMALL_CASES, " with small buffers")].map((n) => [n, BECAUSE.edgeConnections]),
  ),
});

// nginx-semantics 6.5: the request line must fit one large buffer (414), a header line one
// (494), the head nginx's buffers (494); where those limits fall depends on how nginx lays lines
// into its buffers, which edgeproxy reproduces (core/http1/header-buffers.ts).
describe("head limits, at nginx's bytes", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  let small: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("l");
    const config = (buffers: string) => (port: number) =>
      `${buffers} server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`;
    proxies = await startBoth(config(""));
    small = await startBoth(config("client_header_buffer_size 64; large_client_header_buffers 3 512;"));
  });
  afterAll(async () => {
    await Promise.all([...proxies, ...small].map((p) => p.stop()));
    await backend.close();
  });

  const run = (cases: Record<string, string>, where: string, which: () => RunningProxy[]) => {
    for (const [name, request] of Object.entries(cases)) {
      for (const [split, size] of Object.entries(SPLITS)) {
        check(`answers ${name}${where}, sent ${split}, as nginx does`, async () => {
          const write = size === 0 ? undefined : dribble(request, size);
          const seen = await observeAll(which(), [backend], size === 0 ? request : "", write ? { write } : {});
          expect({ status: seen.edgeproxy?.status, reached: seen.edgeproxy?.upstream.length }).toEqual({
            status: seen.nginx?.status,
            reached: seen.nginx?.upstream.length,
          });
        });
      }
    }
  };
  run(DEFAULT_CASES, "", () => proxies);
  run(SMALL_CASES, " with small buffers", () => small);
});

/** Writes `request` `size` bytes at a time, each write its own packet. */
function dribble(request: string, size: number) {
  return async (socket: import("node:net").Socket) => {
    socket.setNoDelay(true);
    for (let at = 0; at < request.length; at += size) {
      if (socket.destroyed) return;
      socket.write(request.slice(at, at + size), "latin1");
      if (at % (size * 64) === 0) await new Promise((r) => setImmediate(r));
    }
  };
}
