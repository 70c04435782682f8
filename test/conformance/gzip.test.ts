import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, startBackend } from "../support/backend.ts";
import { type ClientResponse, rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const EDGE_COMPRESSES =
  "the platform answers the client's encoding itself (the Worker sees the runtime's own Accept-Encoding, `br, gzip`, and the runtime compresses compressible types for a client that takes them): edgeproxy's gzip filter stands aside there";

const check = conformance({
  workers: {
    "compresses text/html for a client that takes gzip: chunked, Vary, no length": EDGE_COMPRESSES,
    "reads Accept-Encoding as nginx does": EDGE_COMPRESSES,
    "gzip_types, the charset parameter and other parameters, and gzip_types *": EDGE_COMPRESSES,
    "gzip_min_length reads the length the upstream sent; a chunked body is compressed whatever its size": EDGE_COMPRESSES,
    "compresses 200, 403 and 404 only, and never over an upstream's own Content-Encoding": EDGE_COMPRESSES,
    "gzip off, gzip_vary off, levels and windows": EDGE_COMPRESSES,
    "gzip_proxied decides for requests that came through a proxy": EDGE_COMPRESSES,
    "gzip_http_version, and gzip_disable by User-Agent": EDGE_COMPRESSES,
    "a strong ETag is made weak and Accept-Ranges goes; HEAD is left alone": EDGE_COMPRESSES,
    "nginx's own answers are compressed as any other, add_header and expires included": EDGE_COMPRESSES,
    "many concurrent compressed responses each arrive whole": EDGE_COMPRESSES,
    "$gzip_ratio is the body's bytes over the gzip stream's, - when not compressed":
      "no access log at the edge, and the platform compresses after the Worker",
  },
});

/** 64 KiB of text, as a page would be. */
const PAGE = Array.from({ length: 1200 }, (_, i) => `<p>line ${i}: the quick brown fox jumps over the lazy dog</p>\n`)
  .join("")
  .slice(0, 65536);

/** What a client sees, made comparable: status, headers but per-server and framing ones, and the body unzipped. */
function view(res: ClientResponse): string[] {
  const encoded = res.headers.some(([n, v]) => n.toLowerCase() === "content-encoding" && v === "gzip");
  const body = encoded && res.body.length > 0 ? gunzipSync(res.body).toString("latin1") : res.body.toString("latin1");
  const headers = res.headers
    .filter(([n]) => !/^(date|server|connection|keep-alive)$/i.test(n))
    .map(([n, v]) => `${n.toLowerCase()}: ${v}`)
    .sort();
  const page = body.replace(/<center>(nginx\/[\d.]+|edgeproxy)<\/center>/, "<center>SERVER</center>");
  return [String(res.status), ...headers, `body ${page.length} ${page === PAGE ? "PAGE" : page.slice(0, 60)}`];
}

// ngx_http_gzip_filter_module and ngx_http_gzip_ok() (nginx-tests gzip.t, gzip_flush.t,
// gzip_vary.t, gzip_proxied.t), against the live nginx: when nginx compresses, and what it
// changes in the headers; bodies compared unzipped (zlib builds differ in their bytes).
describe("gzip", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("gz");
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    log_format ratio '$uri $gzip_ratio';
    server {
        listen 127.0.0.1:${port};
        gzip on;
        gzip_vary on;
        access_log {{dir}}/ratio.log ratio;
        location / { proxy_pass http://backend; }
        location /types { gzip_types text/plain application/json; proxy_pass http://backend; }
        location /any-type { gzip_types *; proxy_pass http://backend; }
        location /min { gzip_min_length 1000; proxy_pass http://backend; }
        location /level { gzip_comp_level 9; gzip_window 4k; gzip_hash 2k; proxy_pass http://backend; }
        location /off { gzip off; proxy_pass http://backend; }
        location /novary { gzip_vary off; proxy_pass http://backend; }
        location /proxied-any { gzip_proxied any; proxy_pass http://backend; }
        location /proxied-expired { gzip_proxied expired no-cache; proxy_pass http://backend; }
        location /proxied-auth { gzip_proxied auth no_etag no_last_modified; proxy_pass http://backend; }
        location /proxied-private { gzip_proxied private no-store; proxy_pass http://backend; }
        location /expires { gzip_proxied expired; expires -1h; proxy_pass http://backend; }
        location /http10 { gzip_http_version 1.0; proxy_pass http://backend; }
        location /disable { gzip_disable msie6 "curl/[0-9]"; proxy_pass http://backend; }
        location /return { gzip_types text/plain; return 200 "${"returned text ".repeat(10)}\\n"; }
        location /page { return 404; }
        location /headers { add_header X-Added yes always; expires 1h; proxy_pass http://backend; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  /** One request through both, from the same backend reply: the views must agree; returns nginx's. */
  async function same(
    target: string,
    headers: string[],
    reply: Reply = { body: PAGE, headers: [["Content-Type", "text/html"]] },
    method = "GET",
    version = "1.1",
  ) {
    backend.reply = () => reply;
    const seen: string[][] = [];
    for (const p of proxies) {
      const request = `${method} ${target} HTTP/${version}\r\nHost: gz.test\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`;
      seen.push(view(await rawRequest(p.port, request)));
    }
    expect(seen[1]).toEqual(seen[0]);
    return seen[0] as string[];
  }

  const html = (body = PAGE, extra: [string, string][] = []): Reply => ({ body, headers: [["Content-Type", "text/html"], ...extra] });
  const typed = (type: string, body = PAGE): Reply => ({ body, headers: type === "" ? [] : [["Content-Type", type]] });
  const gz = (v: string[]) => v.includes("content-encoding: gzip");

  check("compresses text/html for a client that takes gzip: chunked, Vary, no length", async () => {
    const v = await same("/", ["Accept-Encoding: gzip, deflate, br"]);
    expect(gz(v)).toBe(true);
    expect(v).toContain("vary: Accept-Encoding");
    expect(v).toContain("transfer-encoding: chunked");
    expect(v.some((h) => h.startsWith("content-length"))).toBe(false);
    expect(gz(await same("/", []))).toBe(false);
  });

  check("reads Accept-Encoding as nginx does", async () => {
    for (const ae of [
      "gzip",
      "GZIP",
      "gzip,deflate",
      "deflate, gzip",
      "deflate,gzip",
      "x-gzip",
      "gzip;q=0",
      "gzip; q=0.000",
      "gzip;q=0.001",
      "gzip;q=1.0",
      "gzip;q=1.5",
      "gzip;Q=0.5",
      "gzip;level=1",
      "gzip ;q=0",
      "gzipx",
      "identity",
      "br",
      "*",
      "gzi",
      "gzip;q=",
      "gzip;q=0.5000",
    ]) {
      await same("/", [`Accept-Encoding: ${ae}`]);
    }
  });

  check("gzip_types, the charset parameter and other parameters, and gzip_types *", async () => {
    for (const type of [
      "text/plain",
      "application/json",
      "text/css",
      "TEXT/PLAIN",
      "text/plain; charset=utf-8",
      "text/plain;charset=utf-8",
      "text/plain; foo=bar",
      "text/plain; foo=bar; charset=x",
      "",
    ]) {
      await same("/types", ["Accept-Encoding: gzip"], typed(type));
    }
    await same("/any-type", ["Accept-Encoding: gzip"], typed(""));
    await same("/any-type", ["Accept-Encoding: gzip"], typed("image/png"));
  });

  check("gzip_min_length reads the length the upstream sent; a chunked body is compressed whatever its size", async () => {
    await same("/min", ["Accept-Encoding: gzip"], html("x".repeat(999)));
    await same("/min", ["Accept-Encoding: gzip"], html("x".repeat(1000)));
    await same("/", ["Accept-Encoding: gzip"], html("short"));
    await same("/", ["Accept-Encoding: gzip"], html("x".repeat(20)));
    await same("/min", ["Accept-Encoding: gzip"], {
      raw: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n0\r\n\r\n",
    });
  });

  check("compresses 200, 403 and 404 only, and never over an upstream's own Content-Encoding", async () => {
    for (const status of [200, 201, 206, 301, 403, 404, 500])
      await same("/", ["Accept-Encoding: gzip"], { status, body: PAGE, headers: [["Content-Type", "text/html"]] });
    await same("/", ["Accept-Encoding: gzip"], html(PAGE, [["Content-Encoding", "br"]]));
    await same("/", ["Accept-Encoding: gzip"], html(PAGE, [["Content-Encoding", ""]]));
    expect(gz(await same("/page", ["Accept-Encoding: gzip"]))).toBe(true);
  });

  check("a strong ETag is made weak and Accept-Ranges goes; HEAD is left alone", async () => {
    await same(
      "/",
      ["Accept-Encoding: gzip"],
      html(PAGE, [
        ["ETag", '"abc"'],
        ["Accept-Ranges", "bytes"],
        ["Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT"],
      ]),
    );
    await same("/", ["Accept-Encoding: gzip"], html(PAGE, [["ETag", 'W/"weak"']]));
    await same("/", ["Accept-Encoding: gzip"], html(), "HEAD");
  });

  check("gzip off, gzip_vary off, levels and windows", async () => {
    await same("/off", ["Accept-Encoding: gzip"]);
    await same("/novary", ["Accept-Encoding: gzip"]);
    await same("/novary", []);
    await same("/level", ["Accept-Encoding: gzip"]);
    await same("/level", ["Accept-Encoding: gzip"], html("y".repeat(3000)));
  });

  check("gzip_proxied decides for requests that came through a proxy", async () => {
    const via = ["Accept-Encoding: gzip", "Via: 1.1 cache"];
    await same("/", via);
    await same("/proxied-any", via);
    for (const [path, extra] of [
      ["/proxied-expired", [["Expires", "Thu, 01 Jan 1970 00:00:01 GMT"]]],
      ["/proxied-expired", [["Expires", "Thu, 01 Jan 2099 00:00:01 GMT"]]],
      ["/proxied-expired", [["Expires", "garbage"]]],
      ["/proxied-expired", [["Cache-Control", "no-cache"]]],
      ["/proxied-expired", [["Cache-Control", "max-age=0, no-cache"]]],
      ["/proxied-expired", [["Cache-Control", "no-cache=foo"]]],
      ["/proxied-expired", []],
      ["/proxied-private", [["Cache-Control", "private"]]],
      [
        "/proxied-private",
        [
          ["Cache-Control", "public"],
          ["Cache-Control", "no-store"],
        ],
      ],
      ["/proxied-auth", [["ETag", '"a"']]],
      ["/proxied-auth", [["Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT"]]],
      ["/proxied-auth", []],
    ] as [string, [string, string][]][]) {
      await same(path, via, html(PAGE, extra));
    }
    await same("/proxied-auth", [...via, "Authorization: Basic eDp5"], html(PAGE, [["ETag", '"a"']]));
    await same("/expires", via);
  });

  check("gzip_http_version, and gzip_disable by User-Agent", async () => {
    await same("/", ["Accept-Encoding: gzip"], html(), "GET", "1.0");
    await same("/http10", ["Accept-Encoding: gzip"], html(), "GET", "1.0");
    for (const ua of [
      "curl/8.0",
      "Curl/8",
      "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
      "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
      "Mozilla/4.0 (compatible; MSIE 5.5;)",
      "Mozilla/5.0",
    ]) {
      await same("/disable", ["Accept-Encoding: gzip", `User-Agent: ${ua}`]);
    }
  });

  check("nginx's own answers are compressed as any other, add_header and expires included", async () => {
    expect(gz(await same("/return", ["Accept-Encoding: gzip"]))).toBe(true);
    await same("/headers", ["Accept-Encoding: gzip"]);
  });

  check("many concurrent compressed responses each arrive whole", async () => {
    backend.reply = () => html();
    for (const p of proxies) {
      const all = await Promise.all(
        Array.from({ length: 20 }, () =>
          rawRequest(p.port, "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
        ),
      );
      for (const res of all) expect(gunzipSync(res.body).toString("latin1")).toBe(PAGE);
    }
  });

  check("$gzip_ratio is the body's bytes over the gzip stream's, - when not compressed", async () => {
    backend.reply = () => html();
    for (const p of proxies) {
      const zipped = await rawRequest(p.port, "GET /ratio HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
      await rawRequest(p.port, "GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      await new Promise((r) => setTimeout(r, 300));
      const lines = readFileSync(join(p.dir, "ratio.log"), "latin1").split("\n");
      const ratio = lines.find((l) => l.startsWith("/ratio "))?.split(" ")[1];
      // ngx_http_gzip_ratio_variable: in over out, two decimals; zlib builds differ in the out.
      expect(Math.abs(Number(ratio) - PAGE.length / zipped.body.length), `${p.name}: ${ratio}`).toBeLessThanOrEqual(0.01);
      expect(lines).toContain("/plain -");
    }
  });

  // On every adapter, Workers included (where the platform compresses and the filter stands
  // aside): one layer of gzip at most, and only for a client that asked for it.
  check("the page arrives whole, compressed once or not at all, and plain to a client that did not ask", async () => {
    backend.reply = () => html();
    for (const p of proxies) {
      for (const accept of [["Accept-Encoding: gzip"], []]) {
        const res = await rawRequest(p.port, `GET / HTTP/1.1\r\nHost: a\r\n${[...accept, "Connection: close"].join("\r\n")}\r\n\r\n`);
        const encoding = res.headers.find(([n]) => n.toLowerCase() === "content-encoding")?.[1];
        const body = encoding === "gzip" ? gunzipSync(res.body) : res.body;
        expect([p.name, res.status, accept.length > 0 || encoding === undefined, body.toString("latin1") === PAGE]).toEqual([
          p.name,
          200,
          true,
          true,
        ]);
      }
    }
  });
});
