import net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";

const PLATFORM_REQUESTS =
  "the platform owns client connections: each request is counted as a connection of its own, opened when the Worker gets it, so idle and half-read connections never show";

const check = conformance({
  workers: {
    "the counts and states move as nginx's: waiting, reading, writing, accepted, handled, requests": PLATFORM_REQUESTS,
    "$connections_active, _reading, _writing and _waiting read the same counts": PLATFORM_REQUESTS,
    "POST is 405 with its body discarded, HEAD has the length, on one kept-alive connection": BECAUSE.edgeConnections,
  },
});

/** nginx's page (`ngx_http_stub_status_handler()`), each number followed by a space. */
const PAGE =
  /^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$/;

interface Counts {
  readonly active: number;
  readonly accepts: number;
  readonly handled: number;
  readonly requests: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
}

/** The stub_status page of `proxy`, read on a connection of its own; a page not in nginx's exact format fails. */
async function counts(proxy: RunningProxy, path = "/status", host = "t"): Promise<Counts> {
  const res = await rawRequest(proxy.port, getRequest(path, [`Host: ${host}`]));
  const body = res.body.toString("latin1");
  const m = PAGE.exec(body);
  if (!m) throw new Error(`${proxy.name}: not nginx's page: ${JSON.stringify(body)}`);
  const [active, accepts, handled, requests, reading, writing, waiting] = m.slice(1).map(Number) as number[];
  return { active, accepts, handled, requests, reading, writing, waiting } as Counts;
}

/** The gauges as they are, the totals as what they grew by since `before`. */
function moved(before: Counts, after: Counts): string {
  return (
    `active ${after.active}, accepts +${after.accepts - before.accepts}, handled +${after.handled - before.handled}, ` +
    `requests +${after.requests - before.requests}, reading ${after.reading}, writing ${after.writing}, waiting ${after.waiting}`
  );
}

/** A client connection that sent `bytes` (maybe none) and keeps what comes back. */
async function open(port: number, bytes: string): Promise<{ socket: net.Socket; received: () => string }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let received = "";
  socket.on("data", (d) => {
    received += d.toString("latin1");
  });
  socket.on("error", () => {});
  await new Promise((r) => socket.once("connect", r));
  if (bytes) socket.write(bytes);
  return { socket, received: () => received };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The numbers of stub_status pages in a conversation, and the per-server lines and signatures, made comparable. */
function comparable(conversation: string): string {
  return conversation
    .replace(/^(Date|Server): .*\r\n/gm, "")
    .replace(/<center>(nginx\/[\d.]+|edgeproxy)<\/center>/g, "<center>SERVER</center>")
    .replace(/\d+/g, "N");
}

// ngx_http_stub_status_module: the page, its counts, and the $connections_* variables.
describe("stub_status", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("s");
    // A request to /slow waits upstream long enough to be seen writing.
    backend.reply = (req) => (req.requestLine.includes("/slow") ? { body: "slow\n", delayMs: 1500 } : { body: "s\n" });
    proxies = await startBoth(
      (port) => `
    upstream b { server 127.0.0.1:${backend.port}; }
    server {
        listen 127.0.0.1:${port};
        server_name t;
        location = /status { stub_status; }
        location = /status-on { stub_status on; }
        location = /vars { return 200 "$connections_active $connections_reading $connections_writing $connections_waiting\\n"; }
        location = /proxy-then-status { proxy_pass http://b; stub_status; }
        location = /status-then-proxy { stub_status; proxy_pass http://b; }
        location /status-dir/ { stub_status; location /status-dir/nested { } }
        location / { proxy_pass http://b; }
    }
    server {
        listen 127.0.0.1:${port};
        server_name status.test;
        stub_status;
        location /loc { return 200 "loc\\n"; }
        location /empty { }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  check("the counts and states move as nginx's: waiting, reading, writing, accepted, handled, requests", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const before = await counts(proxy);
      const idle = await open(proxy.port, "");
      const reading = await open(proxy.port, "GET / HTTP/1.1\r\nHo");
      const kept = await open(proxy.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      const slow = rawRequest(proxy.port, getRequest("/slow", ["Host: t"]));
      await pause(400);
      expect(kept.received()).toContain("200 OK");
      const during = await counts(proxy);
      const vars = await rawRequest(proxy.port, getRequest("/vars", ["Host: t"]));
      for (const c of [idle, reading, kept]) c.socket.destroy();
      await slow;
      await pause(300);
      const after = await counts(proxy);
      seen[proxy.name] = [moved(before, during), vars.body.toString(), moved(during, after)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
    // What nginx said, for the reader: the page's own connection writes, the idle and the kept-alive ones wait.
    expect(seen.nginx?.[0]).toBe("active 5, accepts +5, handled +5, requests +4, reading 1, writing 2, waiting 2");
  });

  check("$connections_active, _reading, _writing and _waiting read the same counts", async () => {
    const seen: Record<string, string> = {};
    for (const proxy of proxies) {
      const waiting = await open(proxy.port, "");
      await pause(200);
      const res = await rawRequest(proxy.port, getRequest("/vars", ["Host: t"]));
      waiting.socket.destroy();
      seen[proxy.name] = res.body.toString();
    }
    expect(seen.edgeproxy).toBe(seen.nginx);
    expect(seen.nginx).toBe("2 0 1 1\n");
  });

  check("the response is nginx's: 200, text/plain whatever default_type says, its length", async () => {
    const seen = await observeAll(proxies, [backend], getRequest("/status", ["Host: t"]));
    for (const o of Object.values(seen)) {
      expect(o.body).toMatch(PAGE);
      // workerd frames the client response itself, and the observation leaves its length out (observe.ts).
      if (ADAPTER !== "workers") expect(o.responseHeaders).toContain(`content-length: ${o.body.length}`);
    }
    const shape = (name: string) => ({ ...seen[name], body: comparable(seen[name]?.body ?? ""), responseHeaders: [] });
    expect(shape("edgeproxy")).toEqual(shape("nginx"));
    expect(seen.edgeproxy?.responseHeaders.filter((h) => !h.startsWith("content-length"))).toEqual(
      seen.nginx?.responseHeaders.filter((h) => !h.startsWith("content-length")),
    );
    expect(seen.nginx?.responseHeaders).toContain("content-type: text/plain");
  });

  check("POST is 405 with its body discarded, HEAD has the length, on one kept-alive connection", async () => {
    const seen: Record<string, string> = {};
    for (const proxy of proxies) {
      const conversation = await rawRequest(
        proxy.port,
        "POST /status HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
          "HEAD /status HTTP/1.1\r\nHost: t\r\n\r\n" +
          "GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      const bytes = Buffer.concat([
        Buffer.from(`${conversation.statusLine}\r\n`),
        Buffer.from(conversation.headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")),
        Buffer.from("\r\n"),
        conversation.body,
      ]);
      seen[proxy.name] = comparable(bytes.toString("latin1"));
    }
    expect(seen.edgeproxy).toBe(seen.nginx);
    expect(seen.nginx).toMatch(/^HTTP\/N\.N N Not Allowed[\s\S]*HTTP\/N\.N N OK[\s\S]*HTTP\/N\.N N OK[\s\S]*Active connections/);
  });

  check("an argument is accepted and ignored; the last content handler of a location wins", async () => {
    for (const [path, status] of [
      ["/status-on", 200],
      ["/proxy-then-status", 200],
      ["/status-then-proxy", 200],
    ] as const) {
      const seen = await observeAll(proxies, [backend], getRequest(path, ["Host: t"]));
      expect(seen.nginx?.status).toBe(status);
      expect(comparable(seen.edgeproxy?.body ?? "")).toBe(comparable(seen.nginx?.body ?? ""));
      expect(seen.edgeproxy?.upstream.length).toBe(seen.nginx?.upstream.length);
    }
  });

  check("at server level it answers what no location takes; a nested location does not inherit it", async () => {
    for (const path of ["/anything", "/loc", "/empty", "/status-dir/", "/status-dir/nested"]) {
      const host = path.startsWith("/status-dir") ? "t" : "status.test";
      const seen = await observeAll(proxies, [backend], getRequest(path, [`Host: ${host}`]));
      expect([seen.edgeproxy?.status, comparable(seen.edgeproxy?.body ?? "")], path).toEqual([
        seen.nginx?.status,
        comparable(seen.nginx?.body ?? ""),
      ]);
    }
  });
});
