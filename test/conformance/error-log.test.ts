import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { get } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";

const check = conformance({});

// error_log in server and location: a request's errors go to the log of its block, from its
// level up, and not to the main one (ngx_http_core_module, "error_log").
describe("error_log below main", () => {
  let proxies: RunningProxy[];

  beforeAll(async () => {
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        error_log {{dir}}/server.log warn;
        location /loc { error_log {{dir}}/loc.log error; proxy_pass http://127.0.0.1:1; }
        location /quiet { error_log {{dir}}/quiet.log crit; proxy_pass http://127.0.0.1:1; }
        location /srv { proxy_pass http://127.0.0.1:1; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  check("writes each request's upstream error to its own block's log, at its level", async () => {
    const seen: Record<string, Record<string, number>> = {};
    for (const p of proxies) {
      for (const path of ["/loc", "/quiet", "/srv", "/loc"]) expect((await get(p.port, path)).status).toBe(502);
      await new Promise((r) => setTimeout(r, 300));
      const errors = (file: string) =>
        readFileSync(join(p.dir, file), { encoding: "utf8", flag: "a+" })
          .split("\n")
          .filter((l) => l.includes("[error]") && l.includes("upstream")).length;
      seen[p.name] = { loc: errors("loc.log"), quiet: errors("quiet.log"), server: errors("server.log"), main: errors("error.log") };
    }
    expect(seen.nginx).toEqual({ loc: 2, quiet: 0, server: 1, main: 0 });
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });
});

/** Upstream behaviours by the second path segment: `/b/hang`, `/b/reset`, ... */
const BEHAVIOURS: Record<string, (s: net.Socket) => void> = {
  hang: () => {},
  reset: (s) => s.resetAndDestroy(),
  close: (s) => s.end(),
  invalid: (s) => s.end("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"),
  big: (s) => s.end(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(10000)}\r\n\r\n`),
  short: (s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"),
  stall: (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"),
  more: (s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcdef"),
  badchunk: (s) => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
  slow: (s) => setTimeout(() => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1500),
  flood: (s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    const chunk = Buffer.alloc(65536);
    const more = () => {
      while (!s.destroyed && s.write(chunk));
    };
    s.on("drain", more);
    more();
  },
};

/**
 * An error-log line made comparable: no time, process or connection number (nginx counts its
 * upstream connections too), and each proxy's own port as PORT. Without buffering, nginx names
 * the action of whichever event last ran its relay loop (`ngx_http_upstream_process_non_buffered_request()`):
 * the upstream's read or the client's write, a race; edgeproxy says "reading upstream".
 */
function comparable(line: string, port: number): string {
  return line
    .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "")
    .replace(/ \d+#\d+: \*\d+ /, " *N ")
    .replace("prematurely closed connection while sending to client", "prematurely closed connection while reading upstream")
    .replaceAll(String(port), "PORT");
}

// Issue #14: nginx's messages and their context (ngx_http_log_error()), so that fail2ban filters
// and grep habits written for nginx's error log work on edgeproxy's.
describe("error-log lines, as nginx writes them", () => {
  let backend: LoopbackServer;
  let refusing: number;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await serveLoopback((socket) => {
      let head = "";
      const onData = (d: Buffer) => {
        head += d.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        socket.off("data", onData);
        const behaviour = head.split(" ")[1]?.split("/")[2] ?? "";
        (BEHAVIOURS[behaviour] ?? ((s: net.Socket) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))(socket);
      };
      socket.on("data", onData);
    });
    refusing = await closedPort();
    proxies = await startBoth(
      (port) => `
    proxy_read_timeout 1s;
    send_timeout 1s;
    client_header_timeout 1s;
    client_max_body_size 10;
    upstream b { server 127.0.0.1:${backend.port}; }
    upstream dead { server 127.0.0.1:${refusing} max_fails=1; server 127.0.0.1:${refusing} max_fails=1 backup; }
    upstream one { server 127.0.0.1:${refusing}; }
    server {
        listen 127.0.0.1:${port};
        server_name errors.test;
        location /b/ { proxy_pass http://b; }
        location /dead/ { proxy_pass http://dead; }
        location /one/ { proxy_pass http://one; }
        location /direct/ { proxy_pass http://127.0.0.1:${refusing}/x/; }
        location /stream/ { proxy_pass http://b; proxy_buffering off; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    backend.close();
  });

  const request = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: errors.test\r\nReferer: http://referrer.test/\r\nConnection: close\r\n\r\n`;
  const CASES: Record<string, { bytes: string; client?: "pause" | "leave" }> = {
    "a refused connect, the peer disabled, then no live upstreams": { bytes: request("/dead/a?x=1") + request("/dead/a") },
    "a refused connect to a single peer, by name and by address": { bytes: request("/one/a") + request("/direct/a") },
    "a read timeout, a reset and a close before the header": { bytes: request("/b/hang") + request("/b/reset") + request("/b/close") },
    "an invalid header and a header too big": { bytes: request("/b/invalid") + request("/b/big") },
    "a body cut short, stalled, too long or badly chunked": {
      bytes: request("/b/short") + request("/b/stall") + request("/b/more") + request("/b/badchunk") + request("/stream/short"),
    },
    "a client that leaves while its request waits": { bytes: request("/b/slow"), client: "leave" },
    "a client that stops reading": { bytes: request("/stream/flood"), client: "pause" },
    "a body larger than client_max_body_size": { bytes: "POST /b/ok HTTP/1.1\r\nHost: errors.test\r\nContent-Length: 100\r\n\r\n" },
    "a head that never ends": { bytes: "GET /b/ok HTTP/1.1\r\nHost: a" },
    "an invalid header line": { bytes: "GET /b/ok HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n" },
    "an invalid Host": { bytes: "GET /b/ok HTTP/1.1\r\nHost: a/b\r\n\r\n" },
    "an invalid request line": { bytes: "GET /b/ok HTTX/1.1\r\n\r\n" },
  };

  for (const [name, { bytes, client }] of Object.entries(CASES)) {
    check(`writes nginx's lines for ${name}`, async () => {
      const lines: Record<string, string[]> = {};
      for (const p of proxies) {
        const file = join(p.dir, "error.log");
        const before = readFileSync(file, "utf8").length;
        for (const one of bytes.split(/(?=GET |POST )/)) await send(p.port, one, client);
        await new Promise((r) => setTimeout(r, 300));
        lines[p.name] = readFileSync(file, "utf8")
          .slice(before)
          .split("\n")
          // nginx notes every keepalive connection a client closes (info); edgeproxy does not.
          .filter((l) => /\[(error|warn|info)\]/.test(l) && !l.includes("closed keepalive connection"))
          .map((l) => comparable(l, p.port));
      }
      expect(lines.nginx?.length).toBeGreaterThan(0);
      expect(lines.edgeproxy).toEqual(lines.nginx);
    });
  }
});

/** Sends one request on its own connection and waits until the proxy is done with it. */
function send(port: number, bytes: string, client?: "pause" | "leave"): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    if (client === "pause") socket.pause();
    if (client === "leave") setTimeout(() => socket.destroy(), 300);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    // Every case ends within a timeout of 1 s (a paused client is cut by send_timeout).
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2500);
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = await serveLoopback(() => {});
  server.close();
  return server.port;
}
