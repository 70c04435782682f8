import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// nginx-semantics 5.2 and 7.4: the request-target each proxy_pass form sends upstream.
describe("proxy_pass request-target", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("b");
    proxies = await startBoth(
      (port) => `
    upstream b { server 127.0.0.1:${backend.port}; }
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://b; }
        location /with/ { proxy_pass http://b/x/; }
        location /noslash { proxy_pass http://b/y; }
        location = /exact { proxy_pass http://b/e; }
        location ~ ^/re/ { proxy_pass http://b; }
        location /implicit/ { proxy_pass http://127.0.0.1:${backend.port}/imp/; }
        location /bare/ { proxy_pass http://127.0.0.1:${backend.port}; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const targets = [
    "/a%20b/../c?q=1%202",
    "//x//y",
    "/plain/path?x=1&y=2",
    "/with/a%20b/./c?x=%41",
    "/with/a%2Fb",
    "/with/%7E/~",
    "/with/a%3Fb",
    "/with/%C3%A9",
    "/with/sp%20ace/",
    "/with/q?",
    "/with",
    "/with?a=1",
    "/noslash",
    "/noslashes",
    "/noslash/deeper?k=v",
    "/exact",
    "/exact?z=9",
    "/re/a%2Fb?x=1",
    "/implicit/a/b?c=d",
    "/bare/a%2F..%2Fb",
    "/x/%2e%2e/y",
  ];

  for (const target of targets)
    check(`forwards ${target} as nginx does`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("answers /with with nginx's 301 to /with/ and keeps the query", async () => {
    const seen = await observeAll(proxies, [backend], getRequest("/with?a=1", ["Host: Example.COM:9999"]));
    expect(seen.nginx?.status).toBe(301);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });
});
