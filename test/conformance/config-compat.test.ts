import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { converse, normalized, type Step } from "../support/converse.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { freePortRange, type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "keeps or closes the connection as the answering location's keepalive_requests says": BECAUSE.edgeConnections,
    "closes after a location with keepalive_timeout 0, and sends Keep-Alive: timeout= when asked": BECAUSE.edgeConnections,
    "closes for the browsers keepalive_disable names": BECAUSE.edgeConnections,
    "sends a response of unknown length unframed and closes with chunked_transfer_encoding off": BECAUSE.edgeConnections,
    "reads heads with the default server's underscores_in_headers, merge_slashes and buffers": BECAUSE.parsedUrl,
    "answers port_in_redirect off as nginx does": BECAUSE.edgePort,
    "answers server_name_in_redirect on as nginx does": BECAUSE.edgePort,
    "answers a proxied redirect with port_in_redirect off as nginx does": BECAUSE.edgePort,
    "listens on every port of a listen range": "the edge has no listening sockets: listen is not read on Workers",
  },
});

// PCRE as nginx compiles it (config/pcre.ts): what JS reads differently, and what it spells differently.
describe("regular expressions as nginx's PCRE reads them", () => {
  let proxies: RunningProxy[];
  beforeAll(async () => {
    proxies = await startBoth(
      (port) => String.raw`
    server {
        listen 127.0.0.1:${port};
        location ~ "^/dot/a.b$" { return 200 "dot\n"; }
        location ~ "^/dollar/x$" { return 200 "dollar\n"; }
        location ~ "^/space/a\sb$" { return 200 "space\n"; }
        location ~ "^/hspace/a\hb$" { return 200 "hspace\n"; }
        location ~ "^/vspace/a\vb$" { return 200 "vspace\n"; }
        location ~ "^/quote/\Qa.b+\E$" { return 200 "quote\n"; }
        location ~ "(?i)^/flags/abc$" { return 200 "flags\n"; }
        location ~ "^/mid/a(?i)bc$" { return 200 "mid\n"; }
        location ~ "(?i:^/grp/ab)c$" { return 200 "grp\n"; }
        location ~* "^/cs/a(?-i)b$" { return 200 "cs\n"; }
        location ~ "^/named/(?P<first>\w+)/(?<second>\d+)/(?'third'[a-z]+)$" { return 200 "named $first $second $third [$1][$2][$3]\n"; }
        location ~ "^/backref/(?P<w>[a-z]+)-(?P=w)$" { return 200 "backref $w\n"; }
        location ~ "^/rel/([a-z])\g{-1}(\d)\g2$" { return 200 "rel $1 $2\n"; }
        location ~ "^/posix/[[:digit:][:upper:]]+$" { return 200 "posix\n"; }
        location ~* "^/posixi/[[:upper:]]+$" { return 200 "posixi\n"; }
        location ~ "^/bracket/[]x]+$" { return 200 "bracket\n"; }
        location ~ "(?x) ^/ext/ a \d+ $   # a comment" { return 200 "ext\n"; }
        location ~ "^/hex/\x41\x{42}$" { return 200 "hex\n"; }
        location ~ "^/lazy/(.+?)(\d*)$" { return 200 "lazy [$1] [$2]\n"; }
        location ~ "^/dotall/(?s)a.b$" { return 200 "dotall\n"; }
        location ~ "^/multi/(?m)a$" { return 200 "multi\n"; }
        location /anchor {
            if ($uri ~ "\A/anchor/x\Z") { return 200 "Z\n"; }
            if ($uri ~ "\A/anchor/y\z") { return 200 "z\n"; }
            return 200 "neither\n";
        }
        location /rewrite/ {
            rewrite "^/rewrite/(?P<word>[a-z]+)\.(?:html?)$" /named/$word/1/x last;
            return 200 "no rewrite\n";
        }
        location / { return 200 "none $uri\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  const cases: [string, string][] = [
    [". matches a carriage return", "/dot/a%0Db"],
    [". does not match a newline", "/dot/a%0Ab"],
    ["$ matches before a final newline", "/dollar/x%0A"],
    ["$ does not match before a newline with more after it", "/dollar/x%0A%0A"],
    ["\\s matches a tab", "/space/a%09b"],
    ["\\s does not match 0xA0", "/space/a%A0b"],
    ["\\h matches 0xA0", "/hspace/a%A0b"],
    ["\\v matches a vertical tab", "/vspace/a%0Bb"],
    ["\\v matches 0x85", "/vspace/a%85b"],
    ["\\Q...\\E quotes", "/quote/a.b+"],
    ["\\Q...\\E quotes, not a pattern", "/quote/axbb"],
    ["(?i) at the start", "/FLAGS/ABC"],
    ["(?i) in the middle", "/mid/aBC"],
    ["(?i) in the middle, not before it", "/mid/ABC"],
    ["(?i:...) for a group", "/GRP/ABc"],
    ["(?i:...) for a group, not after it", "/grp/abC"],
    ["(?-i) in a caseless location", "/CS/Ab"],
    ["(?-i) in a caseless location, case kept after it", "/cs/aB"],
    ["named groups of every spelling", "/named/hello/42/abc"],
    ["(?P=name)", "/backref/abc-abc"],
    ["(?P=name) that differs", "/backref/abc-abd"],
    ["\\g{-1} and \\g2", "/rel/aa11"],
    ["POSIX classes", "/posix/AB12"],
    ["POSIX classes that do not match", "/posix/ab"],
    ["[:upper:] caseless", "/posixi/abc"],
    ["] first in a class", "/bracket/x]x"],
    ["(?x) with spaces and a comment", "/ext/a12"],
    ["\\x41 and \\x{42}", "/hex/AB"],
    ["lazy quantifiers", "/lazy/abc123"],
    ["(?s) lets . match a newline", "/dotall/a%0Ab"],
    ["(?m) lets $ match before any newline", "/multi/a%0Ab"],
    ["\\Z before a final newline", "/anchor/x%0A"],
    ["\\z only at the end", "/anchor/y%0A"],
    ["a rewrite with (?P<name>) and (?:...)", "/rewrite/page.htm"],
  ];
  for (const [what, target] of cases)
    check(`matches ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });
});

// The client-connection directives at server and location level (ngx_http_update_location_config(),
// ngx_http_set_keepalive()): keep-alive as the answering location says, heads as the address's default server reads them.
describe("client connections by server and location", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("cc");
    backend.reply = () => ({
      raw: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno length here\n",
      close: true,
    });
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        underscores_in_headers on;
        merge_slashes off;
        large_client_header_buffers 2 1k;
        keepalive_requests 3;
        location / { return 200 "uri=$uri under=[$http_x_under_score]\\n"; }
        location /once { keepalive_requests 1; return 200 "once\\n"; }
        location /never { keepalive_timeout 0; return 200 "never\\n"; }
        location /header { keepalive_timeout 30s 25; return 200 "header\\n"; }
        location /safari { keepalive_disable safari; return 200 "safari\\n"; }
        location /none { keepalive_disable none; return 200 "none\\n"; }
        location /chunked { proxy_pass http://127.0.0.1:${backend.port}; }
        location /unframed { chunked_transfer_encoding off; proxy_pass http://127.0.0.1:${backend.port}; }
    }
    server {
        listen 127.0.0.1:${port};
        server_name other.test;
        underscores_in_headers off;
        merge_slashes on;
        large_client_header_buffers 4 8k;
        keepalive_requests 1000;
        location / { return 200 "other uri=$uri under=[$http_x_under_score]\\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  async function both(steps: Step[]): Promise<{ nginx: string; edgeproxy: string }> {
    const [nginx = "", edgeproxy = ""] = await Promise.all(proxies.map((p) => converse(p.port, steps)));
    return { nginx: normalized(nginx), edgeproxy: normalized(edgeproxy) };
  }
  const req = (target: string, extra = "") => `GET ${target} HTTP/1.1\r\nHost: x${extra}\r\n\r\n`;

  check("keeps or closes the connection as the answering location's keepalive_requests says", async () => {
    const server = await both([req("/a"), req("/b"), req("/c"), req("/d")]);
    expect(server.nginx).not.toContain("/d");
    expect(server.edgeproxy).toEqual(server.nginx);
    const location = await both([req("/once"), req("/a")]);
    expect(location.nginx).toContain("Connection: close");
    expect(location.edgeproxy).toEqual(location.nginx);
    const later = await both([req("/a"), req("/once"), req("/a")]);
    expect(later.edgeproxy).toEqual(later.nginx);
  });

  check("closes after a location with keepalive_timeout 0, and sends Keep-Alive: timeout= when asked", async () => {
    const never = await both([req("/never"), req("/a")]);
    expect(never.edgeproxy).toEqual(never.nginx);
    const header = await both([req("/header"), { until: "header\n" }, req("/a", "\r\nConnection: close")]);
    expect(header.nginx).toContain("Keep-Alive: timeout=25");
    expect(header.edgeproxy).toEqual(header.nginx);
  });

  check("closes for the browsers keepalive_disable names", async () => {
    const msie = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)";
    const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
    const post = (target: string, ua: string) => `POST ${target} HTTP/1.1\r\nHost: x\r\nUser-Agent: ${ua}\r\nContent-Length: 1\r\n\r\nx`;
    for (const steps of [
      [post("/a", msie), req("/a")],
      [req("/a", `\r\nUser-Agent: ${msie}`), req("/a", "\r\nConnection: close")],
      [post("/none", msie), req("/a", "\r\nConnection: close")],
      [req("/safari", `\r\nUser-Agent: ${safari}`), req("/a")],
      [req("/a", `\r\nUser-Agent: ${safari}`), req("/a", "\r\nConnection: close")],
    ]) {
      const seen = await both(steps);
      expect(seen.edgeproxy, steps[0]).toEqual(seen.nginx);
    }
  });

  check("sends a response of unknown length unframed and closes with chunked_transfer_encoding off", async () => {
    for (const target of ["/chunked", "/unframed"]) {
      const seen = await both([req(target), { waitMs: 300 }, req("/a", "\r\nConnection: close")]);
      expect(seen.edgeproxy, target).toEqual(seen.nginx);
    }
  });

  check("reads heads with the default server's underscores_in_headers, merge_slashes and buffers", async () => {
    for (const host of ["x", "other.test"]) {
      const steps = [`GET //a//b HTTP/1.1\r\nHost: ${host}\r\nX_Under_Score: kept\r\nConnection: close\r\n\r\n`];
      const seen = await both(steps);
      expect(seen.edgeproxy, host).toEqual(seen.nginx);
      const long = await both([`GET /${"x".repeat(1500)} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`]);
      expect(long.nginx, host).toMatch(/^HTTP\/1.1 414/);
      expect(long.edgeproxy, host).toEqual(long.nginx);
    }
  });
});

// absolute_redirect, port_in_redirect, server_name_in_redirect: the Location nginx makes from a path.
describe("redirects nginx makes absolute", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("rd");
    backend.reply = (r) => ({
      status: 302,
      headers: [["Location", `http://127.0.0.1:${backend.port}/moved${r.requestLine.split(" ")[1]}`]],
      body: "",
    });
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        server_name .named.test www.named.test;
        location /abs-off/ { absolute_redirect off; return 301 /target; }
        location /port-off/ { port_in_redirect off; return 302 /target; }
        location /name-on/ { server_name_in_redirect on; return 302 /target; }
        location /rewrite-off/ { absolute_redirect off; rewrite ^ /target redirect; }
        location /dir-off/ { absolute_redirect off; proxy_pass http://127.0.0.1:${backend.port}; }
        location /page-off/ { absolute_redirect off; error_page 404 =302 /target; return 404; }
        location /proxied-off/ { absolute_redirect off; proxy_pass http://127.0.0.1:${backend.port}; }
        location /proxied-port/ { port_in_redirect off; proxy_pass http://127.0.0.1:${backend.port}; }
        location /url/ { absolute_redirect off; return 302 http://elsewhere.test/x; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const cases: [string, string, string[]?][] = [
    ["absolute_redirect off on return", "/abs-off/x"],
    ["absolute_redirect off on a rewrite redirect", "/rewrite-off/x"],
    ["absolute_redirect off on the trailing-slash redirect", "/dir-off"],
    ["absolute_redirect off on an error_page redirect", "/page-off/x"],
    ["absolute_redirect off on a proxied redirect", "/proxied-off/x"],
    ["absolute_redirect off with a URL", "/url/x"],
    ["port_in_redirect off", "/port-off/x"],
    ["server_name_in_redirect on", "/name-on/x", ["Host: www.named.test"]],
    ["a proxied redirect with port_in_redirect off", "/proxied-port/x"],
  ];
  for (const [what, target, headers] of cases)
    check(`answers ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest(target, headers));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });
});

// `listen ADDRESS:LOW-HIGH`: a socket for each port of the range (the nginx here has port ranges).
describe("listen port ranges", () => {
  let proxies: RunningProxy[];
  const ranges = new Map<number, number>();
  beforeAll(async () => {
    const bases = [await freePortRange(3), await freePortRange(3)];
    proxies = await startBoth((port) => {
      const base = ranges.get(port) ?? (bases[ranges.size] as number);
      ranges.set(port, base);
      return `
    server {
        listen 127.0.0.1:${port};
        listen 127.0.0.1:${base}-${base + 2};
        location / { return 200 "port $server_port\\n"; }
    }`;
    });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  check("listens on every port of a listen range", async () => {
    for (const p of proxies) {
      const base = ranges.get(p.port) as number;
      for (const port of [base, base + 1, base + 2]) {
        const res = await get(port, "/");
        expect(res.body.toString(), `${p.name} ${port}`).toBe(`port ${port}\n`);
      }
    }
  });
});
