import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { ADAPTER, freePort, type RunningProxy, startBoth } from "../support/proxies.ts";

/** Unix-socket upstreams are a config error on Workers: the lines are left out there. */
const UNIX = ADAPTER !== "workers";
const noUnix = "no sockets on Workers: a unix-socket upstream is a config error";

const check = conformance({
  workers: {
    "proxies to a unix socket on /unix/a?b=c": noUnix,
    "proxies to a unix socket on /unix-block/a": noUnix,
    "answers 504 when the upstream sends no header within proxy_read_timeout": BECAUSE.fetchTiming,
    "answers 502 when the head exceeds proxy_buffer_size": "fetch reads the response head itself: proxy_buffer_size cannot bound it",
  },
});

// nginx-semantics 6.6, 6.7 and 8: what a client gets when the upstream fails.
describe("upstream failures", () => {
  let backend: Backend;
  let unixBackend: Backend;
  let socketDir: string;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("e");
    socketDir = mkdtempSync(join(tmpdir(), "edgeproxy-sock-"));
    unixBackend = await startBackend("unix", join(socketDir, "app.sock"));
    const refused = await freePort();
    proxies = await startBoth(
      (port) => `
    upstream e { server 127.0.0.1:${backend.port}; }
    upstream gone { server 127.0.0.1:${refused}; }
    ${UNIX ? `upstream sock { server unix:${socketDir}/app.sock; }` : ""}
    proxy_read_timeout 1s;
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://e; }
        location /refused/ { proxy_pass http://gone; }
        location /implicit-refused/ { proxy_pass http://127.0.0.1:${refused}; }
        ${UNIX ? `location /unix/ { proxy_pass http://unix:${socketDir}/app.sock:/in-socket/; }` : ""}
        ${UNIX ? "location /unix-block/ { proxy_pass http://sock; }" : ""}
        location /small-header/ { proxy_buffer_size 1k; proxy_pass http://e; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    await unixBackend.close();
    rmSync(socketDir, { recursive: true, force: true });
  });

  const withReply = async (reply: Backend["reply"], target: string) => {
    backend.reply = reply;
    try {
      return await observeAll(proxies, [backend, unixBackend], getRequest(target));
    } finally {
      backend.reply = () => ({ body: "e\n" });
    }
  };

  for (const target of ["/refused/x", "/implicit-refused/x"])
    check(`answers 502 for a refused connection on ${target}`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest(target));
      expect(seen.nginx?.status).toBe(502);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  for (const target of ["/unix/a?b=c", "/unix-block/a"])
    check(`proxies to a unix socket on ${target}`, async () => {
      const seen = await observeAll(proxies, [backend, unixBackend], getRequest(target));
      expect(seen.nginx?.status).toBe(200);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("answers 504 when the upstream sends no header within proxy_read_timeout", async () => {
    const seen = await withReply(() => ({ hang: true }), "/hang");
    expect(seen.nginx?.status).toBe(504);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("answers 502 when the upstream resets before answering", async () => {
    const seen = await withReply(() => ({ reset: true }), "/reset");
    expect(seen.nginx?.status).toBe(502);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("answers 502 when the upstream closes without a complete header", async () => {
    const seen = await withReply(() => ({ raw: "HTTP/1.1 200 OK\r\nContent-Le" }), "/cut");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("answers 502 for an invalid header line", async () => {
    const seen = await withReply(() => ({ raw: "HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\nbody" }), "/invalid");
    expect(seen.nginx?.status).toBe(502);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("answers 502 for an unparsable Content-Length, as nginx 1.23 does (1.22 relays the body until close)", async () => {
    const seen = await withReply(() => ({ raw: "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nbody" }), "/invalid");
    // The oracle is 1.22; edgeproxy follows the newer rule, which reads no response two ways.
    expect(seen.nginx?.status).toBe(200);
    expect(seen.edgeproxy?.status).toBe(502);
    expect(seen.edgeproxy?.upstream).toEqual(seen.nginx?.upstream);
  });

  check("answers 502 when the head exceeds proxy_buffer_size", async () => {
    const seen = await withReply(() => ({ headers: [["X-Big", "b".repeat(2000)]], body: "x" }), "/small-header/x");
    expect(seen.nginx?.status).toBe(502);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("relays a body read until the upstream closes (no Content-Length)", async () => {
    const seen = await withReply(() => ({ raw: "HTTP/1.0 200 OK\r\nX-Old: 1\r\n\r\nuntil close" }), "/close-delimited");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("relays a chunked upstream body", async () => {
    const seen = await withReply(
      () => ({ raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n" }),
      "/chunked",
    );
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("cuts the response when the upstream body stalls past proxy_read_timeout", async () => {
    const started = performance.now();
    const seen = await withReply(() => ({ raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", close: false }), "/stalled");
    // Both cut the connection after the head; nginx drops the part it had buffered, edgeproxy passes it on.
    const cut = (o: typeof seen.nginx) => ({
      status: o?.status,
      headers: o?.responseHeaders,
      isPrefix: "only part".startsWith(o?.body ?? "x"),
    });
    expect([seen.nginx?.status, cut(seen.nginx).isPrefix]).toEqual([200, true]);
    expect(cut(seen.edgeproxy)).toEqual(cut(seen.nginx));
    expect(performance.now() - started).toBeLessThan(6000);
  });

  check("truncates the response when the upstream dies mid-body", async () => {
    const seen = await withReply(() => ({ raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part" }), "/truncated");
    expect(seen.nginx?.status).toBe(200);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  // nginx relays a reply without a status line raw, as HTTP/0.9. Raw bytes sent to an HTTP/1.x
  // client can be read as a response, or two, of the upstream's making: edgeproxy answers 502.
  for (const [name, raw] of [
    ["no status line at all", "just bytes\n"],
    ["a status line in lower case", "http/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"],
    ["a four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"],
  ] as const)
    check(`answers 502 to a reply with ${name}, which nginx relays raw as HTTP/0.9`, async () => {
      const seen = await withReply(() => ({ raw }), "/no-status-line");
      expect(seen.nginx?.status).not.toBe(502);
      expect(seen.edgeproxy?.status).toBe(502);
      expect(seen.edgeproxy?.upstream).toEqual(seen.nginx?.upstream);
    });
});
