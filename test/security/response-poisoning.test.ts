import type net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type ClientResponse, get } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";

/** A response that, left on a cached upstream connection, would be the next client's answer. */
const POISON = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Poison: 1\r\n\r\nPOISON";

/** What the upstream does with the first request of a case: bytes now, and maybe bytes later. */
interface Script {
  readonly now: string;
  readonly later?: string;
}

const keepaliveGaps = "Workers' fetch owns upstream connections and their reuse";

const CASES: Record<string, Script> = {
  "a body longer than its Content-Length": { now: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok${POISON}` },
  "data after the last chunk": { now: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n${POISON}` },
  "data after the trailers": { now: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n${POISON}` },
  "Content-Length together with Transfer-Encoding": {
    now: `HTTP/1.1 200 OK\r\nContent-Length: 17\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n${POISON}`,
  },
  "two Transfer-Encoding headers": {
    now: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n2\r\nok\r\n0\r\n\r\n${POISON}`,
  },
  "two different Content-Lengths": { now: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 8\r\n\r\nok${POISON}` },
  "a bare CR in a header value": { now: `HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok${POISON}` },
  "a NUL in a header value": { now: `HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok${POISON}` },
  "a bare CR in a chunk extension": { now: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\rb\r\nok\r\n0\r\n\r\n${POISON}` },
  "bytes that arrive while the connection idles in the cache": { now: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", later: POISON },
  "a 101 the client did not ask for": { now: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n${POISON}` },
};

/**
 * What edgeproxy answers the first client: nginx's status, or current nginx's where 1.22 relays
 * what it cannot read one way only (README, "Security"). null: the head went out, the body was cut.
 */
const FIRST_STATUS: Record<string, number | null> = {
  "a body longer than its Content-Length": 200,
  "data after the last chunk": 200,
  "data after the trailers": 200,
  "Content-Length together with Transfer-Encoding": 502,
  "two Transfer-Encoding headers": 502,
  "two different Content-Lengths": 502,
  "a bare CR in a header value": 502,
  "a NUL in a header value": 502,
  "a bare CR in a chunk extension": null,
  "bytes that arrive while the connection idles in the cache": 200,
  "a 101 the client did not ask for": 502,
};

const check = conformance({
  workers: Object.fromEntries(Object.keys(CASES).map((name) => [`never gives the next client ${name}`, keepaliveGaps])),
});

// One client's upstream response must never become another's: nginx-semantics 4.4, issue #12.
describe("response poisoning over a cached upstream connection", () => {
  let upstream: LoopbackServer;
  let proxies: RunningProxy[];
  let script: Script = { now: "" };
  let served = 0;

  beforeAll(async () => {
    upstream = await serveLoopback((socket) =>
      answerEach(
        socket,
        () => script,
        () => ++served,
      ),
    );
    proxies = await startBoth(
      (port) => `
    upstream u { server 127.0.0.1:${upstream.port}; keepalive 1; }
    server {
        listen 127.0.0.1:${port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout 2s;
        location / { proxy_pass http://u; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    upstream.close();
  });

  for (const [name, hostile] of Object.entries(CASES)) {
    check(`never gives the next client ${name}`, async () => {
      const seen: Record<string, { first: ClientResponse; next: ClientResponse }> = {};
      for (const proxy of proxies) {
        // Each case starts with no cached connection, whatever the one before left behind.
        upstream.cut();
        await new Promise((r) => setTimeout(r, 50));
        script = hostile;
        const first = await get(proxy.port, "/first", ["Host: a"]);
        // Time for bytes sent late to reach the idle connection.
        await new Promise((r) => setTimeout(r, 150));
        script = { now: "" };
        const next = await get(proxy.port, "/next", ["Host: a"]);
        seen[proxy.name] = { first, next };
      }
      for (const proxy of proxies) {
        const next = seen[proxy.name]?.next;
        expect({ proxy: proxy.name, status: next?.status, body: next?.body.toString("latin1") }).toMatchObject({
          proxy: proxy.name,
          status: 200,
          body: expect.stringMatching(/^answer \d+$/),
        });
      }
      const edge = seen.edgeproxy?.first;
      const expected = FIRST_STATUS[name];
      if (expected === null) expect(edge?.body.toString("latin1")).not.toContain("POISON");
      else expect(edge?.status).toBe(expected);
    });
  }
});

/**
 * Answers each request head on `socket`: with the case's bytes when a case is set (and its late
 * bytes 50 ms after), otherwise with a clean response numbered by `next()`.
 */
function answerEach(socket: net.Socket, current: () => Script, next: () => number): void {
  let pending = "";
  socket.on("data", (chunk) => {
    pending += chunk.toString("latin1");
    for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
      pending = pending.slice(end + 4);
      const script = current();
      if (script.now === "") {
        const body = `answer ${next()}`;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        continue;
      }
      socket.write(Buffer.from(script.now, "latin1"));
      const later = script.later;
      if (later) setTimeout(() => socket.writable && socket.write(later), 50);
    }
  });
}
