import net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll, platformHeaders } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "sends add_trailer lines in the last chunk, and none to HTTP/1.0": "a Worker's Response has no trailers: fetch cannot send them",
    "sends add_header on a redirect as nginx does": BECAUSE.edgePort,
  },
});

/** The response bytes of one request, unparsed. */
function rawResponse(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(request));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

/** Two expiresView lines agree: the same text, or `Expires` within a second (the proxies answer in different seconds at times). */
function sameExpires(edge: string[], nginx: string[]): void {
  const offset = (l: string) => /^expires: Date([+-]?[\d.]+)$/.exec(l)?.[1];
  expect(
    edge.map((l, i) =>
      offset(l) && offset(nginx[i] ?? "") && Math.abs(Number(offset(l)) - Number(offset(nginx[i] ?? ""))) <= 1 ? nginx[i] : l,
    ),
  ).toEqual(nginx);
}

/** What follows the head: a chunked body's data, then its trailer section, or the bytes as they came. */
function afterHead(raw: string): string {
  let at = raw.indexOf("\r\n\r\n") + 4;
  if (!/\r\nTransfer-Encoding: chunked\r\n/i.test(raw.slice(0, at))) return raw.slice(at);
  let data = "";
  for (;;) {
    const end = raw.indexOf("\r\n", at);
    const size = Number.parseInt(raw.slice(at, end), 16);
    at = end + 2;
    if (size === 0) return `${data}\n[trailers]\n${raw.slice(at)}`;
    data += raw.slice(at, at + size);
    at += size + 2;
  }
}

/**
 * A response's status and headers with `Expires` as seconds from its own `Date` (or, where the
 * platform sends none, the moment it was asked), sorted, without the per-server ones.
 */
async function expiresView(proxy: RunningProxy, target: string, reply: Reply, backend: Backend): Promise<string[]> {
  backend.reply = () => reply;
  const asked = Math.floor(Date.now() / 1000) * 1000;
  const res = await rawRequest(proxy.port, getRequest(target));
  const date = Date.parse(res.headers.find(([n]) => n.toLowerCase() === "date")?.[1] ?? "") || asked;
  return [
    String(res.status),
    ...platformHeaders(
      res.headers
        .filter(([n]) => !/^(date|server|connection|content-length|transfer-encoding)$/i.test(n))
        .map(([n, v]) => {
          const at = Date.parse(v);
          if (n.toLowerCase() !== "expires" || Math.abs(at - date) > 366 * 86400_000) return `${n.toLowerCase()}: ${v}`;
          return `expires: Date${at >= date ? "+" : ""}${(at - date) / 1000}`;
        })
        .sort(),
    ),
  ];
}

// ngx_http_headers_filter_module (nginx-tests headers.t, add_header, expires, add_trailer),
// on upstream responses, nginx's own pages and return, against the live nginx.
describe("headers filter: add_header, expires, add_trailer", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("hd");
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    add_header X-Http http;
    map $arg_e $expires_value { default off; short 30s; long 2d; neg -5m; bad 1x; max max; epoch epoch; }
    server {
        listen 127.0.0.1:${port};
        add_header X-Server "server $host";
        location / { proxy_pass http://backend; }
        location /inherit { location /inherit/inner { proxy_pass http://backend; } }
        location /own {
            add_header X-Own "own $uri $status";
            add_header X-Always yes always;
            add_header X-Empty "";
            add_header X-Twice 1;
            add_header X-Twice 2;
            proxy_pass http://backend;
        }
        location /own-return { add_header X-Own own; add_header X-Always yes always; return 200 "text\\n"; }
        location /own-page { add_header X-Own own; add_header X-Always yes always; return 404; }
        location /own-redirect { add_header X-Own own; add_header X-Always yes always; return 302 /elsewhere; }
        location /own-down { add_header X-Own own; add_header X-Always yes always; proxy_pass http://127.0.0.1:1; }
        location /own-none { add_header X-Always yes always; }
        location /replace {
            add_header ETag '"new"';
            add_header Last-Modified "Tue, 02 Jan 2001 00:00:00 GMT";
            add_header Cache-Control private;
            add_header Link "</a>; rel=preload";
            proxy_pass http://backend;
        }
        location /remove { add_header ETag ""; add_header Last-Modified ""; proxy_pass http://backend; }
        location /if {
            add_header X-Outer outer;
            set $true 1;
            if ($arg_a) { add_header X-First first; }
            if ($arg_b) { add_header X-Second second; }
            proxy_pass http://backend;
        }
        location /exp/hour { expires 1h; proxy_pass http://backend; }
        location /exp/hour-cc { expires 1h; add_header Cache-Control extra; proxy_pass http://backend; }
        location /exp/zero { expires 0; return 200 x; }
        location /exp/neg { expires -1; return 200 x; }
        location /exp/epoch { expires epoch; return 200 x; }
        location /exp/max { expires max; return 200 x; }
        location /exp/off { expires off; proxy_pass http://backend; }
        location /exp/modified { expires modified +1h; proxy_pass http://backend; }
        location /exp/modified-zero { expires modified 0; proxy_pass http://backend; }
        location /exp/var { expires $expires_value; return 200 x; }
        location /exp/page { expires 1h; return 404; }
        location /daily { expires @$arg_at; return 200 x; }
        location /exp/inherited { expires 10m; location /exp/inherited/inner { proxy_pass http://backend; } }
        location /trailer {
            add_trailer X-Trailer "status $status";
            add_trailer X-Empty-Trailer "";
            add_trailer X-Always-Trailer yes always;
            proxy_pass http://backend;
        }
        location /trailer-page { add_trailer X-Always-Trailer yes always; add_trailer X-Safe no; return 404; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const upstream = {
    plain: { body: "b\n" },
    failing: { status: 500, body: "bad\n" },
    missing: { status: 404, body: "none\n" },
    validators: {
      headers: [
        ["ETag", '"old"'],
        ["Last-Modified", "Mon, 01 Jan 2001 00:00:00 GMT"],
        ["Cache-Control", "no-store"],
        ["Link", "</b>; rel=next"],
      ],
      body: "v\n",
    },
    caching: {
      headers: [
        ["Expires", "Mon, 01 Jan 2001 00:00:00 GMT"],
        ["Cache-Control", "public"],
        ["Cache-Control", "max-age=5"],
        ["Last-Modified", "Mon, 01 Jan 2001 00:00:00 GMT"],
      ],
      body: "c\n",
    },
  } satisfies Record<string, Reply>;

  const cases: [string, string, Reply][] = [
    ["the server's add_header, not http's", "/x", upstream.plain],
    ["the server's add_header inherited by a nested location", "/inherit/inner", upstream.plain],
    ["a location's own list on 200: variables, always, empty, repeated", "/own", upstream.plain],
    ["a location's own list on an upstream 500", "/own", upstream.failing],
    ["a location's own list on an upstream 404", "/own", upstream.missing],
    ["add_header on return with text", "/own-return", upstream.plain],
    ["add_header on nginx's 404 page", "/own-page", upstream.plain],
    ["add_header on a redirect", "/own-redirect", upstream.plain],
    ["add_header on a 502 for a refused upstream", "/own-down", upstream.plain],
    ["add_header always on a 404 with no handler", "/own-none", upstream.plain],
    ["ETag and Last-Modified replaced, Cache-Control and Link added", "/replace", upstream.validators],
    ["ETag and Last-Modified added where the upstream sent none", "/replace", upstream.plain],
    ["ETag and Last-Modified removed by empty values", "/remove", upstream.validators],
    ["the last if that holds: its add_header alone", "/if?a=1&b=1", upstream.plain],
    ["one if that holds", "/if?a=1", upstream.plain],
    ["no if that holds", "/if", upstream.plain],
  ];
  for (const [what, target, reply] of cases)
    check(`sends ${what} as nginx does`, async () => {
      backend.reply = () => reply;
      const seen = await observeAll(proxies, [backend], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  const expiresCases: [string, string, Reply][] = [
    ["expires 1h over the upstream's Expires and two Cache-Control lines", "/exp/hour", upstream.caching],
    ["expires 1h on a response without them", "/exp/hour", upstream.plain],
    ["expires with add_header Cache-Control", "/exp/hour-cc", upstream.caching],
    ["expires on an upstream 404", "/exp/hour", upstream.missing],
    ["expires 0", "/exp/zero", upstream.plain],
    ["expires -1", "/exp/neg", upstream.plain],
    ["expires epoch", "/exp/epoch", upstream.plain],
    ["expires max", "/exp/max", upstream.plain],
    ["expires off", "/exp/off", upstream.caching],
    ["expires modified from the upstream's Last-Modified", "/exp/modified", upstream.caching],
    ["expires modified without a Last-Modified", "/exp/modified", upstream.plain],
    ["expires modified 0", "/exp/modified-zero", upstream.caching],
    ["expires from a variable: 30s", "/exp/var?e=short", upstream.plain],
    ["expires from a variable: 2d", "/exp/var?e=long", upstream.plain],
    ["expires from a variable: -5m", "/exp/var?e=neg", upstream.plain],
    ["expires from a variable that does not parse", "/exp/var?e=bad", upstream.plain],
    ["expires from a variable: max", "/exp/var?e=max", upstream.plain],
    ["expires from a variable: off", "/exp/var", upstream.plain],
    ["expires on nginx's 404 page", "/exp/page", upstream.plain],
    ["expires inherited by a nested location", "/exp/inherited/inner", upstream.plain],
  ];
  for (const [what, target, reply] of expiresCases)
    check(`sends ${what} as nginx does`, async () => {
      const [nginx, edge] = proxies as [RunningProxy, RunningProxy];
      sameExpires(await expiresView(edge, target, reply, backend), await expiresView(nginx, target, reply, backend));
    });

  check("sends expires @time as the next time the clock shows it, as nginx does", async () => {
    // One daily time a minute ahead of now, in local time (both proxies read the same clock).
    const soon = new Date(Date.now() + 60_000);
    const at = `${soon.getHours()}h${soon.getMinutes()}m`;
    const seen: string[][] = [];
    for (const p of proxies) {
      const res = await rawRequest(p.port, getRequest(`/daily?at=${at}`));
      seen.push(res.headers.filter(([n]) => /^(expires)$/i.test(n)).map(([n, v]) => `${n}: ${v}`));
      expect(seen.at(-1)?.[0]).toMatch(/^Expires: /);
    }
    expect(seen[1]).toEqual(seen[0]);
  });

  check("sends add_trailer lines in the last chunk, and none to HTTP/1.0", async () => {
    backend.reply = () => upstream.plain;
    for (const [target, version] of [
      ["/trailer", "1.1"],
      ["/trailer", "1.0"],
      ["/trailer-page", "1.1"],
    ] as const) {
      const request = `GET ${target} HTTP/${version}\r\nHost: a\r\nConnection: close\r\n\r\n`;
      const [nginx, edge] = await Promise.all(proxies.map((p) => rawResponse(p.port, request)));
      const tail = (raw: string) => afterHead(raw).replace(/<center>(nginx\/[\d.]+|edgeproxy)<\/center>/, "");
      const framing = (raw: string) => /\r\n(Transfer-Encoding|Content-Length): [^\r]*/i.exec(raw)?.[0];
      expect(framing(edge ?? ""), `${target} ${version}`).toBe(framing(nginx ?? ""));
      expect(tail(edge ?? ""), `${target} ${version}`).toBe(tail(nginx ?? ""));
    }
  });
});
