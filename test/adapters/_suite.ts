import { createHash } from "node:crypto";
import { readdirSync, readlinkSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get, header, rawRequest } from "../support/client.ts";
import { freePort, type RunningProxy } from "../support/proxies.ts";

/** Starts an adapter on `http` contents with `{{port}}` filled in, as `startEdgeproxy` does. */
export type StartAdapter = (httpBody: (port: number) => string) => Promise<RunningProxy>;

/** Runtime gaps, by test name, with the reason; the suite skips exactly these. */
export type Skips = Readonly<Record<string, string>>;

/**
 * Spool files the proxy process holds open with a body in them. Empty ones are the spool's
 * idle files, kept for later bodies (adapters/node/spool.ts).
 */
export function openSpoolFiles(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
          return link.includes("edgeproxy-body") && statSync(`/proc/${pid}/fd/${fd}`).size > 0 ? link : "";
        } catch {
          return "";
        }
      })
      .filter((link) => link !== "");
  } catch {
    return [];
  }
}

/**
 * The spool files the proxy still holds open, and those left in `dir`, after waiting up to a
 * second: it closes and removes them as the request ends, which may be just after the client
 * has its answer.
 */
async function spoolFilesAfterRequest(pid: number, dir?: string): Promise<string[]> {
  const left = () => [...openSpoolFiles(pid), ...(dir ? readdirSync(dir) : [])];
  for (let i = 0; i < 50 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return left();
}

/** One body the sink took: its size and hash, and any bytes that came after it. */
interface SinkResult {
  size: number;
  sha256: string;
  connectedAt: number;
  extra: number;
}

/**
 * A backend that hashes request bodies as they stream in, for uploads of any size, and counts
 * bytes sent after the body until the proxy closes the connection.
 */
async function startSink(): Promise<{ port: number; results: SinkResult[]; close: () => Promise<void> }> {
  const results: SinkResult[] = [];
  const server = net.createServer((socket) => {
    const connectedAt = performance.now();
    let head = Buffer.alloc(0);
    let remaining = -1;
    let size = 0;
    const hash = createHash("sha256");
    let done: SinkResult | undefined;
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      if (done) {
        done.extra += chunk.length;
        return;
      }
      let data = chunk;
      if (remaining < 0) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        remaining = Number(/content-length: *(\d+)/i.exec(head.subarray(0, end).toString("latin1"))?.[1] ?? 0);
        data = head.subarray(end + 4);
      }
      const take = data.subarray(0, remaining);
      hash.update(take);
      size += take.length;
      remaining -= take.length;
      if (remaining === 0) {
        done = { size, sha256: hash.digest("hex"), connectedAt, extra: data.length - take.length };
        results.push(done);
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, results, close: () => new Promise((r) => server.close(() => r())) };
}

/** Deterministic bytes: `size` of them, sent in 1 MiB pieces, with their sha256. */
async function upload(port: number, target: string, size: number, stopAfter = size): Promise<{ status: number; sha256: string }> {
  const hash = createHash("sha256");
  const piece = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 31 + 7) & 0xff;
  const res = await rawRequest(port, `POST ${target} HTTP/1.1\r\nHost: up\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`, {
    timeoutMs: 120_000,
    write: async (socket) => {
      let sent = 0;
      while (sent < stopAfter) {
        const n = Math.min(piece.length, stopAfter - sent);
        const part = piece.subarray(0, n);
        piece[0] = (piece[0] as number) + 1;
        hash.update(part);
        sent += n;
        if (!socket.write(part)) await new Promise((r) => socket.once("drain", r));
      }
      if (stopAfter < size) socket.destroy();
    },
  });
  return { status: res.status, sha256: hash.digest("hex") };
}

/** The HTTP behaviour every adapter must show, run against a live process. */
export function adapterSuite(name: string, start: StartAdapter, skips: Skips = {}): void {
  const maybe = (title: string) => (skips[title] ? test.skip : test);

  describe(`${name} adapter`, () => {
    let proxy: RunningProxy;
    let backend: Backend;
    let keepBackend: Backend;
    let sink: Awaited<ReturnType<typeof startSink>>;
    let v6Port: number;
    let wildcardPort: number;
    const unixPath = join(tmpdir(), `edgeproxy-listen-${process.pid}-${name}.sock`);

    beforeAll(async () => {
      backend = await startBackend("plain");
      keepBackend = await startBackend("keep", undefined, { keepAlive: true });
      sink = await startSink();
      v6Port = await freePort();
      wildcardPort = await freePort();
      proxy = await start(
        (port) => `
    upstream plain { server 127.0.0.1:${backend.port}; }
    upstream keep { server 127.0.0.1:${keepBackend.port}; keepalive 4; }
    upstream sink { server 127.0.0.1:${sink.port}; }
    client_max_body_size 0;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    map $http_x_in $mapped { ~^(?<word>[a-z]+)-(\\d+)$ "$word/$2"; default none; }
    server {
        listen 127.0.0.1:${port};
        listen [::1]:${v6Port};
        listen unix:${unixPath};
        location / { proxy_pass http://plain; }
        location /where { return 200 "main $remote_addr $server_port\\n"; }
        location /keep/ { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://keep; }
        location /upload { proxy_pass http://sink; }
        location /map { proxy_set_header X-Conn $connection_upgrade; proxy_set_header X-Mapped $mapped; proxy_pass http://plain; }
        location /map-return { return 200 "$mapped $word\\n"; }
    }
    server { listen ${wildcardPort}; location / { return 200 "wildcard $server_addr\\n"; } }
    server { listen 127.0.0.2:${wildcardPort}; location / { return 200 "specific $server_addr\\n"; } }`,
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await Promise.all([backend.close(), keepBackend.close(), sink.close()]);
    });

    maybe("listens on IPv4, IPv6 and a unix socket")("listens on IPv4, IPv6 and a unix socket", async () => {
      expect((await get(proxy.port, "/where")).body.toString()).toBe(`main 127.0.0.1 ${proxy.port}\n`);
      expect((await get(v6Port, "/where", ["Host: a"], { host: "::1" })).body.toString()).toBe(`main ::1 ${v6Port}\n`);
      const viaUnix = await get(unixPath, "/where");
      expect(viaUnix.status).toBe(200);
      expect(viaUnix.body.toString()).toBe("main unix: \n");
    });

    maybe("selects the server by local address on a wildcard listen")(
      "selects the server by local address on a wildcard listen",
      async () => {
        expect((await get(wildcardPort, "/", ["Host: a"], { host: "127.0.0.2" })).body.toString()).toBe("specific 127.0.0.2\n");
        expect((await get(wildcardPort, "/", ["Host: a"], { host: "127.0.0.3" })).body.toString()).toBe("wildcard 127.0.0.3\n");
      },
    );

    maybe("reuses upstream connections with keepalive")("reuses upstream connections with keepalive", async () => {
      const before = keepBackend.seen.length;
      for (let i = 0; i < 5; i++) expect((await get(proxy.port, `/keep/${i}`)).status).toBe(200);
      const seen = keepBackend.seen.slice(before);
      expect(seen.map((s) => s.requestLine)).toEqual([0, 1, 2, 3, 4].map((i) => `GET /keep/${i} HTTP/1.1`));
      expect(new Set(seen.map((s) => s.connection)).size).toBe(1);
      expect(seen[0]?.headers.map(([n]) => n.toLowerCase())).not.toContain("connection");
    });

    maybe("closes upstream connections without keepalive")("closes upstream connections without keepalive", async () => {
      const before = backend.seen.length;
      for (let i = 0; i < 3; i++) await get(proxy.port, `/plain/${i}`);
      const seen = backend.seen.slice(before);
      expect(new Set(seen.map((s) => s.connection)).size).toBe(3);
      expect(seen.every((s) => s.headers.some(([n, v]) => n === "Connection" && v === "close"))).toBe(true);
    });

    maybe("passes a 64 MiB upload intact through the spool and keeps no file")(
      "passes a 64 MiB upload intact through the spool and keeps no file",
      async () => {
        const size = 64 * 1024 * 1024;
        const sent = await upload(proxy.port, "/upload", size);
        expect(sent.status).toBe(200);
        expect(sink.results.at(-1)).toMatchObject({ size, sha256: sent.sha256 });
        expect(await spoolFilesAfterRequest(proxy.pid, join(proxy.dir, "body"))).toEqual([]);
      },
    );

    // Spool files of up to 1 MiB are reused: a short body after a longer one in the same file.
    maybe("passes each spooled body whole and alone when spool files are reused")(
      "passes each spooled body whole and alone when spool files are reused",
      async () => {
        for (const size of [900 * 1024, 100 * 1024, 300 * 1024]) {
          const sent = await upload(proxy.port, "/upload", size);
          expect(sent.status).toBe(200);
          expect(sink.results.at(-1)).toMatchObject({ size, sha256: sent.sha256, extra: 0 });
        }
      },
    );

    maybe("drops the spooled body when the client aborts mid-upload")(
      "drops the spooled body when the client aborts mid-upload",
      async () => {
        const before = sink.results.length;
        const res = await upload(proxy.port, "/upload", 64 * 1024 * 1024, 8 * 1024 * 1024);
        expect(res.status).toBe(0);
        expect(await spoolFilesAfterRequest(proxy.pid)).toEqual([]);
        expect(sink.results.length).toBe(before);
      },
    );

    maybe("evaluates maps in return and proxy_set_header")("evaluates maps in return and proxy_set_header", async () => {
      expect((await get(proxy.port, "/map-return", ["Host: a", "X-In: abc-12"])).body.toString()).toBe("abc/12 abc\n");
      const before = backend.seen.length;
      await get(proxy.port, "/map", ["Host: a", "X-In: zz"]);
      await get(proxy.port, "/map", ["Host: a", "Upgrade: websocket", "X-In: q-1"]);
      // Lower-case: fetch (Workers) sends header names so.
      const sent = backend.seen
        .slice(before)
        .map((s) => s.headers.filter(([n]) => /^x-(conn|mapped)$/i.test(n)).map(([n, v]) => `${n.toLowerCase()}: ${v}`));
      expect(sent).toEqual([
        ["x-conn: close", "x-mapped: none"],
        ["x-conn: upgrade", "x-mapped: q/1"],
      ]);
    });

    maybe("answers 502 with nginx's page when the upstream refuses")(
      "answers 502 with nginx's page when the upstream refuses",
      async () => {
        await backend.close();
        const res = await get(proxy.port, "/refused");
        expect(res.status).toBe(502);
        expect(header(res, "content-type")).toBe("text/html");
        expect(res.body.toString()).toContain("<title>502 Bad Gateway</title>");
      },
    );
  });
}
