import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, type Observation, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "limit_except takes a method it cannot name as one of the others":
      "workerd answers a method it does not know (501) before the Worker sees it",
  },
});

// ngx_http_access_module, satisfy and limit_except (nginx-tests access.t, limit_except.t),
// from real loopback sources against the live nginx.
describe("access: allow, deny, satisfy, limit_except", () => {
  let backend: Backend;
  let other: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("acc");
    other = await startBackend("other");
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    upstream other { server 127.0.0.1:${other.port}; }
    server {
        listen 127.0.0.1:${port};
        listen [::1]:${port};
        listen unix:{{dir}}/access.sock;
        deny 127.0.9.0/24;
        add_header X-Always always always;
        location / { proxy_pass http://backend; }
        location /only-local { allow 127.0.0.1; deny all; proxy_pass http://backend; }
        location /cidr { deny 127.0.0.0/24; allow all; proxy_pass http://backend; }
        location /first-match { allow 127.0.0.0/8; deny 127.0.0.1; proxy_pass http://backend; }
        location /families { deny 127.0.0.0/8; allow all; proxy_pass http://backend; }
        location /v6 { allow ::1; deny all; proxy_pass http://backend; }
        location /v6-net { deny ::/64; proxy_pass http://backend; }
        location /unix { deny unix:; proxy_pass http://backend; }
        location /outer {
            allow 127.0.0.2;
            deny all;
            proxy_pass http://backend;
            location /outer/inner { proxy_pass http://backend; }
            location /outer/own { allow 127.0.0.3; deny all; proxy_pass http://backend; }
        }
        location /return { deny all; return 200 "returned\\n"; }
        location /methods {
            limit_except GET { allow 127.0.0.1; deny all; }
            proxy_pass http://backend;
        }
        location /methods-pass {
            limit_except GET POST { proxy_pass http://other; }
            proxy_pass http://backend;
        }
        location /methods-return {
            limit_except GET { allow all; }
            return 200 "returned\\n";
        }
        location /any {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            proxy_pass http://backend;
        }
        location /any-deny { satisfy any; deny all; proxy_pass http://backend; }
        location /realip {
            set_real_ip_from 127.0.0.1;
            real_ip_header X-Forwarded-For;
            deny 192.0.2.0/24;
            proxy_pass http://backend;
        }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([backend.close(), other.close()]);
  });

  /** Status, body and which backend got it, the same through both proxies. */
  async function same(request: string, options: { from?: string } = {}): Promise<Observation> {
    const seen = await observeAll(proxies, [backend, other], request, options.from ? { localAddress: options.from } : {});
    const view = (o: Observation | undefined) => ({
      status: o?.status,
      body: o?.body,
      headers: o?.responseHeaders.filter((h) => !h.startsWith("content-length")),
      reached: o?.upstream.map((u) => u.backend),
    });
    expect(view(seen.edgeproxy)).toEqual(view(seen.nginx));
    return seen.nginx as Observation;
  }

  const req = (path: string, method = "GET") => getRequest(path).replace(/^GET /, `${method} `);

  check("allows and denies by address, the first matching rule deciding", async () => {
    expect((await same(req("/only-local"))).status).toBe(200);
    expect((await same(req("/only-local"), { from: "127.0.0.2" })).status).toBe(403);
    expect((await same(req("/cidr"), { from: "127.0.0.5" })).status).toBe(403);
    expect((await same(req("/cidr"), { from: "127.0.1.5" })).status).toBe(200);
    expect((await same(req("/first-match"))).status).toBe(200);
  });

  check("a denied request never reaches the upstream, and gets nginx's 403 page with add_header always", async () => {
    const o = await same(req("/only-local"), { from: "127.0.0.4" });
    expect(o.upstream).toEqual([]);
    expect(o.responseHeaders).toContain("x-always: always");
  });

  check("inherits rules all or nothing: a location with its own replaces the outer ones", async () => {
    expect((await same(req("/"), { from: "127.0.9.1" })).status).toBe(403);
    expect((await same(req("/cidr"), { from: "127.0.9.1" })).status).toBe(200);
    expect((await same(req("/only-local"), { from: "127.0.9.1" })).status).toBe(403);
    expect((await same(req("/outer/inner"), { from: "127.0.0.2" })).status).toBe(200);
    expect((await same(req("/outer/inner"), { from: "127.0.0.3" })).status).toBe(403);
    expect((await same(req("/outer/own"), { from: "127.0.0.3" })).status).toBe(200);
    expect((await same(req("/outer/own"), { from: "127.0.0.2" })).status).toBe(403);
  });

  check("reads IPv6 clients with the IPv6 rules and IPv4 ones with the IPv4 rules", async () => {
    if (ADAPTER === "workers") return;
    const v6 = (path: string) => Promise.all(proxies.map((p) => observeAll([p], [backend], req(path), { host: "::1" })));
    const [n, e] = await v6("/v6");
    expect(e?.edgeproxy?.status).toBe(n?.nginx?.status);
    expect(n?.nginx?.status).toBe(200);
    for (const path of ["/families", "/v6-net", "/only-local"]) {
      const [nn, ee] = await v6(path);
      expect([path, ee?.edgeproxy?.status]).toEqual([path, nn?.nginx?.status]);
    }
    expect((await same(req("/v6"))).status).toBe(403);
  });

  check("unix: rules apply to unix-socket clients only", async () => {
    if (ADAPTER === "workers") return;
    const statuses: number[] = [];
    for (const p of proxies) {
      statuses.push(
        (await rawRequest(`${p.dir}/access.sock`, req("/unix"))).status,
        (await rawRequest(`${p.dir}/access.sock`, req("/families"))).status,
      );
    }
    expect(statuses.slice(2)).toEqual(statuses.slice(0, 2));
    expect(statuses.slice(0, 2)).toEqual([403, 200]);
    expect((await same(req("/unix"))).status).toBe(200);
  });

  check("return answers before the access phase: deny all does not stop it", async () => {
    expect((await same(req("/return"))).body).toBe("returned\n");
  });

  check("limit_except applies its rules to the other methods only, GET bringing HEAD", async () => {
    expect((await same(req("/methods"), { from: "127.0.0.2" })).status).toBe(200);
    expect((await same(req("/methods", "HEAD"), { from: "127.0.0.2" })).status).toBe(200);
    expect((await same(req("/methods", "POST"), { from: "127.0.0.2" })).status).toBe(403);
    expect((await same(req("/methods", "DELETE"), { from: "127.0.0.1" })).status).toBe(200);
  });

  check("limit_except takes a method it cannot name as one of the others", async () => {
    expect((await same(req("/methods", "FOO"), { from: "127.0.0.2" })).status).toBe(403);
    expect((await same(req("/methods", "FOO"), { from: "127.0.0.1" })).status).toBe(200);
  });

  check("limit_except's own proxy_pass takes the other methods, and the location's rewrite directives do not run there", async () => {
    expect((await same(req("/methods-pass", "PUT"))).upstream[0]?.backend).toBe(String(other.port));
    await same(req("/methods-pass", "POST"));
    await same(req("/methods-pass", "PATCH"));
    await same(req("/methods-return"));
    await same(req("/methods-return", "POST"));
  });

  check("satisfy any lets in a request one check allows, and keeps the refusal when none does", async () => {
    expect((await same(req("/any"))).status).toBe(200);
    expect((await same(req("/any"), { from: "127.0.0.2" })).status).toBe(403);
    expect((await same(req("/any-deny"))).status).toBe(403);
  });

  check("rules see the client the realip module found, and the peer when it is not trusted", async () => {
    expect((await same(req("/realip").replace("Host", "X-Forwarded-For: 192.0.2.7\r\nHost"))).status).toBe(403);
    expect((await same(req("/realip").replace("Host", "X-Forwarded-For: 198.51.100.7\r\nHost"))).status).toBe(200);
    expect((await same(req("/realip").replace("Host", "X-Forwarded-For: 192.0.2.7\r\nHost"), { from: "127.0.0.2" })).status).toBe(200);
  });

  check("logs access forbidden by rule, as nginx", async () => {
    await same(req("/only-local"), { from: "127.0.0.6" });
    await same(req("/any-deny"));
    await new Promise((r) => setTimeout(r, 100));
    for (const p of proxies) expect(p.log()).toContain("access forbidden by rule");
  });
});
