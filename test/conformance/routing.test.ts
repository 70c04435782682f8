import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// nginx-semantics 7.3 and 7.4: server blocks by address and name, then locations.
describe("routing", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("r");
    // Each location answers with its own name so the winner shows in the client's body.
    const loc = (name: string) => `proxy_pass http://r; proxy_set_header X-Loc "${name}";`;
    proxies = await startBoth(
      (port) => `
    upstream r { server 127.0.0.1:${backend.port}; }
    server {
        listen 127.0.0.1:${port};
        server_name first;
        location = /x { ${loc("= /x")} }
        location /x { ${loc("/x")} }
        location ^~ /x/static { ${loc("^~ /x/static")} }
        location ~ \\.php$ { ${loc("~ php")} }
        location ~* \\.PNG$ { ${loc("~* png")} }
        location /x/deep { ${loc("/x/deep")} location ~ \\.php$ { ${loc("deep php")} } }
        location /ab { ${loc("/ab")} }
        location /a { ${loc("/a")} }
        location /second {
            location ^~ /second/y { ${loc("^~ /second/y")} }
            location ~ \\.html$ { ${loc("/second html")} }
            ${loc("/second")}
        }
        location ~ \\.html$ { ${loc("~ html")} }
        location ^~ /z { ${loc("^~ /z")} location ~ \\.php$ { ${loc("/z php")} } }
        location /health { return 200 "healthy\\n"; }
        location /gone { return 410; }
        location /moved { return 301 /elsewhere; }
        location /away { return https://example.org/; }
    }
    server {
        listen 127.0.0.1:${port} default_server;
        server_name dflt;
        location / { ${loc("default server")} }
    }
    server {
        listen 127.0.0.1:${port};
        server_name *.example.com .example.org www.example.* ~^(?<sub>[a-z]+)\\.regex\\.test$;
        location / { ${loc("wildcards")} }
    }
    server {
        listen 127.0.0.1:${port};
        server_name "" nohost;
        location / { ${loc("empty name")} }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  for (const target of [
    "/x",
    "/x/",
    "/x/a.php",
    "/x/static/a.php",
    "/x/deep/a.php",
    "/x/deep/c.PHP",
    "/y.PNG",
    "/y.png",
    "/abc",
    "/ab/../a",
    "/x/%2e%2e/a.php",
    "/X",
    "/second/y/a.php",
    "/second/y/a.html",
    "/second/a.html",
    "/z/a.php",
    "/z",
    "/health",
    "/gone",
    "/moved?q=1",
    "/away",
    "/nothing-here",
  ])
    check(`chooses nginx's location for ${target}`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest(target, ["Host: first"]));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  for (const host of [
    "FIRST.",
    "first:8080",
    "dflt",
    "unknown.host",
    "a.b.example.com",
    "example.com",
    "example.org",
    "www.example.org",
    "www.example.net",
    "abc.regex.test",
    "1.regex.test",
    "nohost",
  ])
    check(`chooses nginx's server for Host: ${host}`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest("/x", [`Host: ${host}`]));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  for (const [name, request] of [
    ["absolute-form wins over Host", "GET http://first/x?q HTTP/1.1\r\nHost: dflt\r\nConnection: close\r\n\r\n"],
    ["HTTP/1.0 without Host", "GET /x HTTP/1.0\r\n\r\n"],
    ["HTTP/1.1 without Host", "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n"],
    ["two Host headers", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"],
    ["a Host with a slash", "GET /x HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n"],
    ["a Host with ..", "GET /x HTTP/1.1\r\nHost: a..b\r\nConnection: close\r\n\r\n"],
    ["a path above the root", "GET /../x HTTP/1.1\r\nHost: first\r\nConnection: close\r\n\r\n"],
    ["a bad escape", "GET /x%zz HTTP/1.1\r\nHost: first\r\nConnection: close\r\n\r\n"],
  ] as [string, string][])
    check(`answers ${name} as nginx does`, async () => {
      const seen = await observeAll(proxies, [backend], request);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  // nginx 1.29.4 validates Host as RFC 3986 says; 1.22, the oracle, takes any byte but `/` and
  // never looks at the port. edgeproxy follows the newer rule (README, "Security").
  for (const host of ["first:99999", "first:8o", "fir<st", 'first"', "first\\x", "[::1"])
    check(`refuses Host: ${host} with 400 as current nginx does, where 1.22 takes it`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest("/x", [`Host: ${host}`]));
      expect(seen.nginx?.upstream).toHaveLength(1);
      expect({ status: seen.edgeproxy?.status, upstream: seen.edgeproxy?.upstream }).toEqual({ status: 400, upstream: [] });
    });
});
