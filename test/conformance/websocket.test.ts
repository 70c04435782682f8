import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { ADAPTER, ADAPTER_COMMANDS, type RunningProxy, startBoth } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";
import { startWebSocketUpstream, type WebSocketUpstream } from "../support/websocket-upstream.ts";

const check = conformance({
  workers: {
    "switches protocols with the map idiom: the same handshake on both sides as nginx's": BECAUSE.platformWebSocket,
    "switches protocols with the literal idiom: the same handshake on both sides as nginx's": BECAUSE.platformWebSocket,
    "sends an ordinary request when Upgrade is not forwarded, as nginx does":
      "the platform writes the response head (its header order, no Date, no Connection)",
    "logs the tunnel when it ends: status 101, the bytes sent to the client, the whole tunnel's time": "no access_log files at the edge",
  },
});

/**
 * How the client sees a tunnel that ended without a close frame (an upstream that vanished, an
 * idle timeout): a dropped connection where edgeproxy relays bytes, as nginx does; a close frame
 * without a code (1005) on Workers, whose WebSockets cannot be dropped from the Worker.
 */
const dropped = (proxy: RunningProxy) => (proxy.name === "edgeproxy" && ADAPTER === "workers" ? 1005 : 1006);

const BUN = ADAPTER_COMMANDS.bun[0] as string;

const HANDSHAKE = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** Sends a raw handshake; the response head as lines, with the per-server ones blanked. */
function rawHandshake(port: number, request: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.destroy();
      resolve(
        got
          .slice(0, end)
          .split("\r\n")
          .map((l) => l.replace(/^(Server|Date): .*/, "$1: -")),
      );
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(got.split("\r\n")));
  });
}

/** A WebSocket (Node's own client) through `proxy`, open. */
function open(proxy: RunningProxy, path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}${path}`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`no WebSocket through ${proxy.name} at ${path}`));
  });
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data as string | ArrayBuffer), { once: true }));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(1006);
    ws.addEventListener("close", (e) => resolve(e.code), { once: true });
  });
}

// Issue #13; nginx-semantics 5.6: with `Upgrade` forwarded and a 101, the connection is a tunnel.
describe("WebSocket and Upgrade tunnels", () => {
  let upstream: WebSocketUpstream;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    proxies = await startBoth(
      (port) => `
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    log_format tunnel '$request $status $body_bytes_sent $request_time';
    upstream ws { server 127.0.0.1:${upstream.port}; }
    server {
        listen 127.0.0.1:${port};
        proxy_http_version 1.1;
        location /map/ {
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_pass http://ws;
        }
        location /literal/ {
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_pass http://ws;
        }
        location /plain/ { proxy_pass http://ws; }
        location /short/ {
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1s;
            proxy_pass http://ws;
        }
        location /logged/ {
            access_log {{dir}}/tunnel.log tunnel;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_pass http://ws;
        }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await upstream.close();
  });

  for (const idiom of ["map", "literal"])
    check(`switches protocols with the ${idiom} idiom: the same handshake on both sides as nginx's`, async () => {
      const seen: Record<string, { client: string[]; upstream: unknown }> = {};
      for (const proxy of proxies) {
        const before = upstream.handshakes.length;
        const client = await rawHandshake(proxy.port, HANDSHAKE(`/${idiom}/echo`));
        await waitFor(async () => upstream.handshakes.length > before, 3000);
        seen[proxy.name] = { client, upstream: upstream.handshakes[before] };
      }
      expect(seen.nginx?.client[0]).toBe("HTTP/1.1 101 Switching Protocols");
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("echoes text and binary messages, small and of 1 MiB, both ways", async () => {
    for (const proxy of proxies) {
      const ws = await open(proxy, "/map/echo");
      ws.send("hello");
      expect(await nextMessage(ws)).toBe("hello");
      const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      ws.send(big);
      expect(new Uint8Array((await nextMessage(ws)) as ArrayBuffer)).toEqual(big);
      const text = "x".repeat(1024 * 1024);
      ws.send(text);
      expect(await nextMessage(ws)).toBe(text);
      ws.close();
      await closed(ws);
    }
  });

  check("serves Bun's WebSocket client as nginx does", async () => {
    const seen: Record<string, unknown> = {};
    for (const proxy of proxies) {
      // The upstream runs in this process: the client runs beside it, not blocking it.
      const run = await promisify(execFile)(BUN, ["test/support/bun-websocket-client.ts", `ws://127.0.0.1:${proxy.port}/map/echo`], {
        timeout: 20_000,
      });
      seen[proxy.name] = JSON.parse(run.stdout.trim());
    }
    expect(seen.nginx).toEqual({ text: "hello from bun", binaryMatches: true, closeCode: 4003 });
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("passes control frames: the upstream's ping is answered with a pong", async () => {
    for (const proxy of proxies) {
      const ws = await open(proxy, "/map/ping");
      expect(await nextMessage(ws)).toBe("pong");
      ws.close();
    }
  });

  check("carries close codes both ways", async () => {
    for (const proxy of proxies) {
      const ws = await open(proxy, "/map/echo");
      ws.close(4001, "bye");
      await closed(ws);
      // Other tests' tunnels may close meanwhile: the code is looked for, not the last one.
      await waitFor(async () => upstream.closes.includes(4001), 3000);
      upstream.closes.length = 0;
      const other = await open(proxy, "/map/close/4002");
      expect(await closed(other)).toBe(4002);
    }
  });

  check("closes the client's side when the upstream vanishes, and the upstream's when the client does", async () => {
    for (const proxy of proxies) {
      const vanished = await open(proxy, "/map/drop");
      expect(await closed(vanished)).toBe(dropped(proxy));
      upstream.closes.length = 0;
      const socket = net.connect(proxy.port, "127.0.0.1", () => socket.write(HANDSHAKE("/map/silent")));
      await new Promise((r) => socket.once("data", r));
      socket.destroy();
      await waitFor(async () => upstream.closes.includes(dropped(proxy)), 3000);
    }
  });

  check("sends an ordinary request when Upgrade is not forwarded, as nginx does", async () => {
    const seen: Record<string, string[]> = {};
    for (const proxy of proxies) seen[proxy.name] = await rawHandshake(proxy.port, HANDSHAKE("/plain/echo"));
    expect(seen.nginx?.[0]).toMatch(/^HTTP\/1\.1 426/);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("passes bytes the client sent after its handshake into the tunnel", async () => {
    // A masked text frame "hi" right behind the handshake, in the same write.
    const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, "h".charCodeAt(0) ^ 1, "i".charCodeAt(0) ^ 2]);
    for (const proxy of proxies) {
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(proxy.port, "127.0.0.1", () =>
          socket.write(Buffer.concat([Buffer.from(HANDSHAKE("/map/echo")), frame])),
        );
        let got = Buffer.alloc(0);
        socket.on("data", (d) => {
          got = Buffer.concat([got, d]);
          const end = got.indexOf("\r\n\r\n");
          if (end >= 0 && got.length >= end + 4 + 4) {
            socket.destroy();
            resolve(got.subarray(end + 4, end + 8));
          }
        });
        socket.on("error", reject);
      });
      expect([...echoed]).toEqual([0x81, 0x02, "h".charCodeAt(0), "i".charCodeAt(0)]);
    }
  });

  check("keeps many tunnels open at once", async () => {
    for (const proxy of proxies) {
      const sockets = await Promise.all(Array.from({ length: 50 }, () => open(proxy, "/literal/echo")));
      const answers = await Promise.all(
        sockets.map((ws, i) => {
          const next = nextMessage(ws);
          ws.send(`m${i}`);
          return next;
        }),
      );
      expect(answers).toEqual(sockets.map((_, i) => `m${i}`));
      for (const ws of sockets) ws.close();
    }
  });

  check("closes an idle tunnel after proxy_read_timeout", async () => {
    for (const proxy of proxies) {
      // From before the handshake: the proxy's timer starts with the upgrade, before the client sees it.
      const started = performance.now();
      const ws = await open(proxy, "/short/silent");
      expect(await closed(ws)).toBe(dropped(proxy));
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThan(800);
      expect(waited).toBeLessThan(4000);
    }
  });

  check("logs the tunnel when it ends: status 101, the bytes sent to the client, the whole tunnel's time", async () => {
    const lines: Record<string, string> = {};
    for (const proxy of proxies) {
      const ws = await open(proxy, "/logged/echo");
      ws.send("four");
      await nextMessage(ws);
      await new Promise((r) => setTimeout(r, 300));
      ws.close();
      await closed(ws);
      const file = join(proxy.dir, "tunnel.log");
      await waitFor(async () => readFileSync(file, { encoding: "utf8", flag: "a+" }).includes("101"), 3000);
      const line = readFileSync(file, "utf8").trim();
      expect(Number(line.split(" ").at(-1))).toBeGreaterThanOrEqual(0.3);
      lines[proxy.name] = line.replace(/ [\d.]+$/, "");
    }
    expect(lines.nginx).toMatch(/^GET \/logged\/echo HTTP\/1\.1 101 \d+$/);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});
