import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { h2ConnectUnix, h2Request } from "../support/h2-client.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";

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

/** A connection to a unix socket that sent `bytes` (maybe none). */
async function openPath(path: string, bytes: Buffer | null): Promise<net.Socket> {
  const socket = net.connect({ path });
  socket.on("error", () => {});
  await new Promise((r) => socket.once("connect", r));
  if (bytes) socket.write(bytes);
  return socket;
}

/** The first bytes of a TLS ClientHello: a handshake record's header and one byte of the 255 it announces. */
const PARTIAL_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01]);

// The same counts for connections to `ssl` and `http2` addresses: nginx counts them from the
// accept, and an HTTP/2 stream as a request on a connection that is not active of its own.
// Workers: the platform terminates TLS and HTTP/2 before the Worker, which counts requests only.
describe.skipIf(ADAPTER === "workers")("stub_status with TLS and HTTP/2", () => {
  let certs: TestCertificates;
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    certs = makeCertificates();
    backend = await startBackend("s");
    backend.reply = (req) => (req.requestLine.includes("/slow") ? { body: "slow\n", delayMs: 1500 } : { body: "s\n" });
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        listen unix:{{dir}}/tls.sock ssl http2;
        listen unix:{{dir}}/h2c.sock http2;
        server_name t;
        ssl_certificate ${certs.path("a.crt")};
        ssl_certificate_key ${certs.path("a.key")};
        location = /status { stub_status; }
        location = /connection { return 200 "$connection"; }
        location / { proxy_pass http://127.0.0.1:${backend.port}; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    certs.remove();
  });

  test("HTTP/2 streams on one TLS connection: each a request, writing while answered; the connection waits when none is", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const before = await counts(proxy);
      const session = await h2ConnectUnix(`${proxy.dir}/tls.sock`, { tls: true });
      for (let i = 0; i < 3; i++) expect((await h2Request(session, { headers: { ":path": `/s${i}` } })).status).toBe(200);
      await pause(200);
      const idle = await counts(proxy);
      const slow = Promise.all([
        h2Request(session, { headers: { ":path": "/slow" } }),
        h2Request(session, { headers: { ":path": "/slow" } }),
      ]);
      await pause(400);
      const answering = await counts(proxy);
      await slow;
      await pause(200);
      const answered = await counts(proxy);
      session.destroy();
      await pause(300);
      const after = await counts(proxy);
      seen[proxy.name] = [moved(before, idle), moved(idle, answering), moved(answering, answered), moved(answered, after)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
    // What nginx said: each status page is a request of its own connection, writing.
    expect(seen.nginx).toEqual([
      "active 2, accepts +2, handled +2, requests +4, reading 0, writing 1, waiting 1",
      "active 2, accepts +1, handled +1, requests +3, reading 0, writing 3, waiting 0",
      "active 2, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 1",
      "active 1, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 0",
    ]);
  });

  test("a stream refused for a header over large_client_header_buffers is a request that ends; the connection closes", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const before = await counts(proxy);
      const session = await h2ConnectUnix(`${proxy.dir}/h2c.sock`, { tls: false });
      session.on("error", () => {});
      const refused = await h2Request(session, { headers: { ":path": "/s", "x-big": "~".repeat(10_000) } });
      expect(`${proxy.name} ${refused.status}`).toBe(`${proxy.name} 0`);
      await pause(300);
      const after = await counts(proxy);
      session.destroy();
      seen[proxy.name] = [moved(before, after)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  test("$connection numbers every connection, HTTP/2 and TLS ones too, as nginx's c->number", async () => {
    const steps: Record<string, number> = {};
    for (const proxy of proxies) {
      const numberNow = async () => Number((await rawRequest(proxy.port, getRequest("/connection", ["Host: t"]))).body.toString());
      const before = await numberNow();
      const session = await h2ConnectUnix(`${proxy.dir}/h2c.sock`, { tls: false });
      expect((await h2Request(session, { headers: { ":path": "/connection" } })).status).toBe(200);
      session.destroy();
      steps[proxy.name] = (await numberNow()) - before;
    }
    // The HTTP/2 connection between the two took a number of its own.
    expect(steps.nginx).toBe(2);
    expect(steps.edgeproxy).toBe(steps.nginx);
  });

  test("an idle HTTP/2 connection is active and waiting until the client closes it, with or without a preface sent", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const before = await counts(proxy);
      const session = await h2ConnectUnix(`${proxy.dir}/h2c.sock`, { tls: false });
      await pause(200);
      const idle = await counts(proxy);
      session.destroy();
      await pause(300);
      const closed = await counts(proxy);
      const tlsPath = `${proxy.dir}/tls.sock`;
      const silent = tls.connect({ path: tlsPath, ALPNProtocols: ["h2"], servername: "t", rejectUnauthorized: false });
      await new Promise((r) => silent.once("secureConnect", r));
      expect(silent.alpnProtocol).toBe("h2");
      await pause(200);
      const noPreface = await counts(proxy);
      silent.destroy();
      await pause(300);
      const after = await counts(proxy);
      seen[proxy.name] = [moved(before, idle), moved(idle, closed), moved(closed, noPreface), moved(noPreface, after)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
    expect(seen.nginx).toEqual([
      "active 2, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 1",
      "active 1, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 0",
      "active 2, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 1",
      "active 1, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 0",
    ]);
  });

  test("a TLS connection waits for its first byte, is in no state mid-handshake, and waits for a request after it", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const path = `${proxy.dir}/tls.sock`;
      const before = await counts(proxy);
      const silent = await openPath(path, null);
      await pause(200);
      const waiting = await counts(proxy);
      silent.write(PARTIAL_HELLO);
      await pause(200);
      const handshaking = await counts(proxy);
      silent.destroy();
      const secured = tls.connect({ path, ALPNProtocols: ["http/1.1"], servername: "t", rejectUnauthorized: false });
      await new Promise((r) => secured.once("secureConnect", r));
      await pause(200);
      const handshaken = await counts(proxy);
      secured.destroy();
      await pause(300);
      const after = await counts(proxy);
      seen[proxy.name] = [moved(before, waiting), moved(waiting, handshaking), moved(handshaking, handshaken), moved(handshaken, after)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
    expect(seen.nginx).toEqual([
      "active 2, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 1",
      "active 2, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 0",
      "active 2, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 1",
      "active 1, accepts +1, handled +1, requests +1, reading 0, writing 1, waiting 0",
    ]);
  });

  test("a failed handshake is accepted, handled and closed; so is a connection whose client leaves mid-handshake", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) {
      const path = `${proxy.dir}/tls.sock`;
      const before = await counts(proxy);
      // Only ECDSA suites offered, to a server with an RSA certificate: no shared cipher.
      const refused = tls.connect({ path, maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256", rejectUnauthorized: false });
      const failure = await new Promise<string>((r) => {
        refused.once("error", (e) => r(e.message));
        refused.once("secureConnect", () => r("secured"));
      });
      expect(failure).toContain("handshake failure");
      refused.destroy();
      await pause(200);
      const failed = await counts(proxy);
      const leaving = await openPath(path, PARTIAL_HELLO);
      await pause(200);
      leaving.destroy();
      await pause(300);
      const left = await counts(proxy);
      seen[proxy.name] = [moved(before, failed), moved(failed, left)];
    }
    expect(seen.edgeproxy).toEqual(seen.nginx);
    expect(seen.nginx).toEqual([
      "active 1, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 0",
      "active 1, accepts +2, handled +2, requests +1, reading 0, writing 1, waiting 0",
    ]);
  });
});
