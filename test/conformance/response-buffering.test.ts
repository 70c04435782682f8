import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { deletedFilesHeld } from "../../bench/process-stats.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";

const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const check = conformance({});

/** What the upstream saw of one response: when it had written it all, and on which connection. */
interface Served {
  readonly connection: number;
  readonly path: string;
  writtenAt: number;
}

/**
 * An upstream that answers `GET /SIZE...` with SIZE bytes (kept-alive, HTTP/1.1), noting when
 * each response had all gone into the kernel: that is when the proxy had read it.
 */
async function sizedUpstream(): Promise<{ server: LoopbackServer; served: Served[] }> {
  const served: Served[] = [];
  let connections = 0;
  const server = await serveLoopback((socket) => {
    const connection = ++connections;
    let head = "";
    socket.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      for (let end = head.indexOf("\r\n\r\n"); end >= 0; end = head.indexOf("\r\n\r\n")) {
        const path = head.slice(0, end).split(" ")[1] as string;
        head = head.slice(end + 4);
        const size = Number(/^\/(\d+)/.exec(path)?.[1] ?? 0);
        const record: Served = { connection, path, writtenAt: 0 };
        served.push(record);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        socket.write(Buffer.alloc(size, 0x61), () => {
          record.writtenAt = performance.now();
        });
      }
    });
  });
  return { server, served };
}

/**
 * A client that reads `path` at about `bytesPerSecond`; resolves with the bytes it got and when
 * it had them all. With `leaveAfter`, it closes once it has that many.
 */
function slowGet(port: number, path: string, bytesPerSecond: number, leaveAfter = Number.POSITIVE_INFINITY) {
  return new Promise<{ bytes: number; doneAt: number }>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`));
    socket.setNoDelay(true);
    let bytes = 0;
    const finish = () => resolve({ bytes, doneAt: performance.now() });
    socket.on("data", (d: Buffer) => {
      bytes += d.length;
      if (bytes >= leaveAfter) {
        socket.destroy();
        finish();
        return;
      }
      // Sleep as long as the bytes would take at the client's pace.
      socket.pause();
      setTimeout(() => socket.resume(), (d.length / bytesPerSecond) * 1000);
    });
    socket.on("error", () => {});
    socket.on("close", finish);
  });
}

// nginx-semantics 6.4 (proxy_buffering): the proxy reads a response as fast as the upstream sends
// it, into proxy_buffers then a temp file, so a slow client does not hold the upstream.
describe("response buffering", () => {
  let upstream: Awaited<ReturnType<typeof sizedUpstream>>;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    upstream = await sizedUpstream();
    proxies = await startBoth(
      (port) => `
    upstream sized { server 127.0.0.1:${upstream.server.port}; keepalive 4; }
    server {
        listen 127.0.0.1:${port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location / { proxy_pass http://sized; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    upstream.server.close();
  });

  /**
   * For each proxy: how long the upstream took to hand over a 48 MiB body to a client reading
   * 24 MiB/s. Loopback socket buffers alone can hold some 20 MiB, so the body is larger.
   */
  async function handOver(prefix: string): Promise<Record<string, { upstreamMs: number; clientMs: number; bytes: number }>> {
    const out: Record<string, { upstreamMs: number; clientMs: number; bytes: number }> = {};
    for (const proxy of proxies) {
      const before = upstream.served.length;
      const started = performance.now();
      const got = await slowGet(proxy.port, `${prefix}${48 * MIB}`, 24 * MIB);
      const record = upstream.served[before] as Served;
      out[proxy.name] = { upstreamMs: record.writtenAt - started, clientMs: got.doneAt - started, bytes: got.bytes };
    }
    return out;
  }

  check("frees the upstream while a slow client still downloads, as nginx does", async () => {
    const seen = await handOver("/");
    for (const [name, s] of Object.entries(seen)) {
      expect(s.bytes, name).toBeGreaterThan(48 * MIB);
      // The client needs about 2 s; the upstream is done long before (relayed, it would be
      // done only once the client had all but what the socket buffers hold).
      expect(s.clientMs, name).toBeGreaterThan(1500);
      expect(s.upstreamMs, name).toBeLessThan(s.clientMs / 3);
    }
  });

  check("hands the upstream connection back to the keepalive cache before the slow client has its body", async () => {
    for (const proxy of proxies) {
      const before = upstream.served.length;
      const slow = slowGet(proxy.port, `/${4 * MIB}`, 2 * MIB);
      await sleep(500);
      const quick = await slowGet(proxy.port, "/10", MIB);
      expect(quick.bytes).toBeGreaterThan(10);
      const [first, second] = upstream.served.slice(before) as [Served, Served];
      expect(second.connection, proxy.name).toBe(first.connection);
      await slow;
    }
  });

  check("leaves no temp file once the response is sent, nor when its client leaves halfway", async () => {
    for (const proxy of proxies.filter((p) => p.name === "edgeproxy")) {
      await slowGet(proxy.port, `/${2 * MIB}`, 4 * MIB);
      await slowGet(proxy.port, `/${8 * MIB}`, 2 * MIB, MIB);
      await sleep(300);
      // wrapConfig's proxy_temp_path: where the temp files were.
      expect(deletedFilesHeld(proxy.pid, join(proxy.dir, "proxy"))).toBe(0);
    }
  });
});
