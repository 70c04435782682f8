import type net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { observe, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const check = conformance({});

// nginx-semantics 5.8 and 6.4: request bodies, buffered (the default) and streamed.
describe("request body buffering", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("body");
    proxies = await startBoth(
      (port) => `
    upstream body { server 127.0.0.1:${backend.port}; }
    client_body_buffer_size 8k;
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://body; }
        location /small/ { client_max_body_size 1k; proxy_pass http://body; }
        location /stream/ { proxy_request_buffering off; proxy_pass http://body; }
        location /stream11/ { proxy_request_buffering off; proxy_http_version 1.1; proxy_pass http://body; }
        location /nobody/ { proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_pass http://body; }
        location /slow/ { client_body_timeout 1s; proxy_pass http://body; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const post = (target: string, body: string, extra: string[] = []) =>
    `POST ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${[...extra, `Content-Length: ${Buffer.byteLength(body)}`].join("\r\n")}\r\n\r\n${body}`;
  const chunked = (target: string, chunks: string) =>
    `POST ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`;

  for (const [name, request] of [
    ["a small body with Content-Length", post("/p", "hello=world")],
    ["an empty body", post("/p", "")],
    ["a POST without any body", "POST /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
    ["a chunked body, de-chunked with extensions dropped", chunked("/p", "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n")],
    ["a chunked body with a trailer", chunked("/p", "2\r\nhi\r\n0\r\nX-Trailer: t\r\n\r\n")],
    ["a body above client_body_buffer_size", post("/p", "x".repeat(200_000))],
    ["a body over client_max_body_size by Content-Length", post("/small/p", "y".repeat(2000))],
    [
      "a chunked body that grows over client_max_body_size",
      chunked("/small/p", `${(700).toString(16)}\r\n${"z".repeat(700)}\r\n${(700).toString(16)}\r\n${"z".repeat(700)}\r\n0\r\n\r\n`),
    ],
    ["a streamed body with Content-Length", post("/stream/p", "streamed")],
    ["a streamed chunked body to an HTTP/1.1 upstream", chunked("/stream11/p", "4\r\nabcd\r\n0\r\n\r\n")],
    ["a chunked body to an HTTP/1.0 upstream, buffered anyway", chunked("/stream/p", "4\r\nabcd\r\n0\r\n\r\n")],
    ["proxy_pass_request_body off", post("/nobody/p", "not sent")],
  ] as [string, string][])
    check(`sends ${name} as nginx does`, async () => {
      const seen = await observeAll(proxies, [backend], request);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  /** Sends the head and half the body, pauses, then the rest; returns when the last byte left. */
  async function slowUpload(proxy: RunningProxy, target: string) {
    const body = "0123456789".repeat(1000);
    let doneAt = 0;
    const head = `POST ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const before = backend.seen.length;
    const seen = await observe(proxy, [backend], head + body.slice(0, 5000), {
      write: async (socket: net.Socket) => {
        await sleep(400);
        socket.write(body.slice(5000));
        doneAt = performance.now();
      },
    });
    return { seen, doneAt, upstream: backend.seen[before] };
  }

  for (const name of proxies_names())
    check(`${name} opens the upstream connection only after the whole body arrived`, async () => {
      const proxy = proxies.find((p) => p.name === name) as RunningProxy;
      const { seen, doneAt, upstream } = await slowUpload(proxy, "/p");
      expect(seen.status).toBe(200);
      expect(upstream?.body.length).toBe(10_000);
      expect(upstream?.connectedAt).toBeGreaterThanOrEqual(doneAt);
    });

  for (const name of proxies_names())
    check(`${name} streams with proxy_request_buffering off, connecting before the upload ends`, async () => {
      const proxy = proxies.find((p) => p.name === name) as RunningProxy;
      const { seen, doneAt, upstream } = await slowUpload(proxy, "/stream/p");
      expect(seen.status).toBe(200);
      expect(upstream?.body.length).toBe(10_000);
      expect(upstream?.connectedAt).toBeLessThan(doneAt);
    });

  check("closes a stalled upload after client_body_timeout without answering or contacting the upstream", async () => {
    const request = "POST /slow/p HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\npartial";
    const seen = await observeAll(proxies, [backend], request, { timeoutMs: 5000 });
    expect(seen.nginx?.closedSilently).toBe(true);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });
});

function proxies_names(): string[] {
  return ["nginx", "edgeproxy"];
}
