import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { type ClientResponse, get, header } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {},
});

/** A key no earlier request of this run used, so each case starts with fresh zone states. */
let serial = 0;
const freshKey = (name: string) => `${name}-${process.pid}-${++serial}`;

// ngx_http_limit_req_module and ngx_http_limit_conn_module (nginx-tests limit_req.t,
// limit_req2.t, limit_req_delay.t, limit_req_dry_run.t, limit_conn.t, limit_conn_dry_run.t),
// request by request against the live nginx. Keys come from a header, so that every runtime,
// Workers included, counts the same client.
describe("limit_req and limit_conn", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("lim");
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    limit_req_zone $http_x_key zone=slow:1m rate=1r/m;
    limit_req_zone $http_x_key zone=paced:1m rate=2r/s;
    limit_req_zone $http_x_other zone=other:1m rate=1r/m;
    limit_conn_zone $http_x_key zone=conns:1m;
    server {
        listen 127.0.0.1:${port};
        add_header X-Req "$limit_req_status" always;
        add_header X-Conn "$limit_conn_status" always;
        location / { proxy_pass http://backend; }
        location /nodelay { limit_req zone=slow burst=2 nodelay; proxy_pass http://backend; }
        location /status { limit_req zone=slow; limit_req_status 429; proxy_pass http://backend; }
        location /dry { limit_req zone=slow; limit_req_dry_run on; proxy_pass http://backend; }
        location /delayed { limit_req zone=paced burst=3; proxy_pass http://backend; }
        location /req-level { limit_req zone=slow; limit_req_log_level warn; proxy_pass http://backend; }
        location /delay-level { limit_req zone=paced burst=3; limit_req_log_level warn; proxy_pass http://backend; }
        location /delay-one { limit_req zone=paced burst=3 delay=1; proxy_pass http://backend; }
        location /two {
            limit_req zone=slow burst=3 nodelay;
            limit_req zone=other nodelay;
            proxy_pass http://backend;
        }
        location /inherit {
            limit_req zone=slow burst=1 nodelay;
            location /inherit/inner { proxy_pass http://backend; }
            location /inherit/own { limit_req zone=other nodelay; proxy_pass http://backend; }
        }
        location /conn { limit_conn conns 1; proxy_pass http://backend; }
        location /conn-status { limit_conn conns 1; limit_conn_status 429; limit_conn_log_level warn; proxy_pass http://backend; }
        location /conn-dry { limit_conn conns 1; limit_conn_dry_run on; proxy_pass http://backend; }
        location /return { limit_req zone=slow; return 200 "returned\\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const describeResponse = (res: ClientResponse) => `${res.status} ${header(res, "x-req") ?? "-"}/${header(res, "x-conn") ?? "-"}`;

  /** The same requests, one after the other, through each proxy with its own fresh key. */
  async function sequence(
    path: string,
    count: number,
    headers: (key: string) => string[] = (key) => [`X-Key: ${key}`],
  ): Promise<string[][]> {
    const out: string[][] = [];
    for (const proxy of proxies) {
      const key = freshKey(proxy.name);
      const seen: string[] = [];
      for (let i = 0; i < count; i++) seen.push(describeResponse(await get(proxy.port, path, ["Host: t", ...headers(key)])));
      out.push(seen);
    }
    return out;
  }

  check("burst with nodelay answers the excess at once and rejects past it with 503", async () => {
    const [nginx, edge] = await sequence("/nodelay", 6);
    expect(edge).toEqual(nginx);
    expect(nginx).toEqual(["200 PASSED/-", "200 PASSED/-", "200 PASSED/-", "503 REJECTED/-", "503 REJECTED/-", "503 REJECTED/-"]);
  });

  check("a burst well past the limit: exactly burst + 1 requests reach the upstream", async () => {
    for (const proxy of proxies) {
      const key = freshKey(proxy.name);
      const before = backend.seen.length;
      const all = await Promise.all(Array.from({ length: 120 }, () => get(proxy.port, "/nodelay", ["Host: t", `X-Key: ${key}`])));
      const passed = all.filter((r) => r.status === 200).length;
      expect([proxy.name, passed, all.length - passed, backend.seen.length - before]).toEqual([proxy.name, 3, 117, 3]);
    }
  });

  check("limit_req_status, limit_req_dry_run, and an empty key that is not counted", async () => {
    const [nginx, edge] = await sequence("/status", 3);
    expect(edge).toEqual(nginx);
    expect(nginx?.[1]).toBe("429 REJECTED/-");
    const [dn, de] = await sequence("/dry", 3);
    expect(de).toEqual(dn);
    expect(dn?.[2]).toBe("200 REJECTED_DRY_RUN/-");
    const [en, ee] = await sequence("/status", 3, () => []);
    expect(ee).toEqual(en);
    expect(en).toEqual(["200 -/-", "200 -/-", "200 -/-"]);
  });

  check("a rejection by the second limit costs the first nothing", async () => {
    const [nginx, edge] = await sequence("/two", 5, (key) => [`X-Key: ${key}`, `X-Other: ${key}`]);
    expect(edge).toEqual(nginx);
    const [n2, e2] = await sequence("/two", 5, (key) => [`X-Key: ${key}`, `X-Other: ${key}-${Math.random()}`]);
    expect(e2).toEqual(n2);
  });

  check("limit_req lines inherit all or nothing", async () => {
    const [nginx, edge] = await sequence("/inherit/inner", 3);
    expect(edge).toEqual(nginx);
    const [n2, e2] = await sequence("/inherit/own", 3, (key) => [`X-Key: ${key}`, `X-Other: ${key}`]);
    expect(e2).toEqual(n2);
  });

  check("return answers before the limits are checked", async () => {
    const [nginx, edge] = await sequence("/return", 3);
    expect(edge).toEqual(nginx);
  });

  check("requests over the rate wait their turn: burst without nodelay, and delay=", async () => {
    for (const path of ["/delayed", "/delay-one"]) {
      const timings: string[][] = [];
      for (const proxy of proxies) {
        const key = freshKey(proxy.name);
        const start = performance.now();
        // All at once: which request waits how long depends on arrival order, the set of waits does not.
        const answers = await Promise.all(
          Array.from({ length: 5 }, async () => {
            const res = await get(proxy.port, path, ["Host: t", `X-Key: ${key}`]);
            return { res, ms: performance.now() - start };
          }),
        );
        // Each request's wait after the first answer, to half a second: 2r/s lets one through
        // every 500 ms (the first answer's own time is the proxy's, wrangler's on Workers), slots
        // wide enough for a machine whose load moves an answer by a hundred milliseconds or two.
        const first = Math.min(...answers.map((a) => a.ms));
        const all = answers.map(({ res, ms }) => `${describeResponse(res)} ~${Math.round((ms - first) / 500)}`).sort();
        timings.push(all);
      }
      expect([path, ...(timings[1] ?? [])]).toEqual([path, ...(timings[0] ?? [])]);
    }
  });

  check("limit_conn counts requests in flight per key and frees them when they end", async () => {
    backend.reply = () => ({ body: "slow\n", delayMs: 400 });
    try {
      for (const path of ["/conn", "/conn-status", "/conn-dry"]) {
        const views: string[][] = [];
        for (const proxy of proxies) {
          const key = freshKey(proxy.name);
          const first = get(proxy.port, path, ["Host: t", `X-Key: ${key}`]);
          await new Promise((r) => setTimeout(r, 100));
          const second = await get(proxy.port, path, ["Host: t", `X-Key: ${key}`]);
          const after = await get(proxy.port, path, ["Host: t", `X-Key: ${key}`, "X-After: 1"]).then(async (r) => {
            await first;
            return r;
          });
          const third = await get(proxy.port, path, ["Host: t", `X-Key: ${key}`]);
          views.push([describeResponse(await first), describeResponse(second), describeResponse(after), describeResponse(third)]);
        }
        expect([path, ...(views[1] ?? [])]).toEqual([path, ...(views[0] ?? [])]);
      }
    } finally {
      backend.reply = () => ({ body: "lim\n" });
    }
  });

  check("logs rejections and delays at nginx's levels, with nginx's words", async () => {
    await sequence("/nodelay", 4);
    await sequence("/delayed", 2);
    await sequence("/req-level", 2);
    await sequence("/delay-level", 2);
    await new Promise((r) => setTimeout(r, 300));
    // A Worker's log is its console, without nginx's level names.
    const at = (level: string) => (ADAPTER === "workers" ? "" : `\\[${level}\\].*`);
    const lines = (log: string) =>
      [
        new RegExp(`${at("error")}limiting requests, excess: \\d+\\.\\d{3} by zone "slow"`).test(log),
        new RegExp(`${at("warn")}delaying request, excess: \\d+\\.\\d{3}, by zone "paced"`).test(log),
        // limit_req_log_level warn: rejections at warn, delays a level below (ngx_http_limit_req_merge_conf).
        new RegExp(`${at("warn")}limiting requests, excess: \\d+\\.\\d{3} by zone "slow"`).test(log),
        new RegExp(`${at("notice")}delaying request, excess: \\d+\\.\\d{3}, by zone "paced"`).test(log),
        new RegExp(`${at("error")}limiting connections by zone "conns"`).test(log),
        new RegExp(`${at("warn")}limiting connections by zone "conns"`).test(log),
        new RegExp(`${at("error")}limiting connections, dry run, by zone "conns"`).test(log),
      ].join(" ");
    const [nginx, edge] = proxies as [RunningProxy, RunningProxy];
    expect(lines(edge.log())).toBe(lines(nginx.log()));
    expect(lines(nginx.log())).toBe("true true true true true true true");
  });
});
