import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Backend } from "../support/backend.ts";
import { get, header, rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { h2ConnectUnix, h2Request } from "../support/h2-client.ts";
import { histogramProblems, promtoolProblems, samples, value } from "../support/prometheus.ts";
import { ADAPTER, ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy, startNginx } from "../support/proxies.ts";
import { compareTraces, hang, ok, reset, startBackends, times } from "./_traces.ts";

const check = conformance({
  workers: {
    "stub_status counts what the metrics count":
      "the platform owns client connections: each request is its own connection, so the connection counts differ from a socket server's",
    "HTTP/2 streams count as requests and responses, with their durations":
      "the platform terminates HTTP/2 before the Worker, which sees each request alone",
  },
});

/** A peer as the JSON view lists it (the fields these tests read). */
interface PeerView {
  readonly server: string;
  readonly backup: boolean;
  readonly state: string;
  readonly active: number;
  readonly requests: number;
  readonly responses: Record<string, number>;
  readonly fails: number;
  readonly unavail: number;
  readonly header_time?: number;
  readonly response_time?: number;
  readonly selected?: string;
  readonly health: { readonly fails: number; readonly max_fails: number; readonly fail_timeout: number; readonly retry_at?: string };
}

// edgeproxy_status and edgeproxy_metrics: the peers' health and counts, against peers that really
// fail, after traffic that nginx and edgeproxy route alike.
describe("status pages: edgeproxy_status (JSON) and edgeproxy_metrics (Prometheus)", () => {
  let b: Record<string, Backend>;
  let nginx: RunningProxy;
  let edge: RunningProxy;
  const port = (name: string) => b[name]?.port as number;

  beforeAll(async () => {
    // a answers, b resets, c hangs, d is the backup, e is down; s answers slowly, alone.
    b = await startBackends("abcdes");
    const http = (pages: boolean) => (listen: number) =>
      `
    upstream pool {
        server 127.0.0.1:${port("a")} max_fails=2 fail_timeout=30s;
        server 127.0.0.1:${port("b")} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:${port("c")} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:${port("d")} backup;
        server 127.0.0.1:${port("e")} down;
    }
    upstream slow { server 127.0.0.1:${port("s")}; }
    server {
        listen 127.0.0.1:${listen};
        ${pages && ADAPTER !== "workers" ? "listen unix:{{dir}}/h2c.sock http2;" : ""}
        proxy_connect_timeout 1s;
        proxy_read_timeout 1s;
        location / { proxy_pass http://pool; }
        location /slow { proxy_pass http://slow; proxy_read_timeout 10s; }
        ${pages ? "location = /upstreams { edgeproxy_status; } location = /metrics { edgeproxy_metrics; } location = /stub { stub_status; }" : ""}
    }`;
    [nginx, edge] = await Promise.all([startNginx(http(false)), startEdgeproxy(http(true), ADAPTER_COMMANDS[ADAPTER])]);
  });
  afterAll(async () => {
    await Promise.all([nginx, edge].map((p) => p?.stop()));
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const upstreams = async (): Promise<Record<string, { peers: PeerView[] }>> => {
    const res = await get(edge.port, "/upstreams");
    expect(res.status).toBe(200);
    expect(header(res, "content-type")).toBe("application/json");
    return JSON.parse(res.body.toString()) as Record<string, { peers: PeerView[] }>;
  };
  const metrics = async () => {
    const res = await get(edge.port, "/metrics");
    expect(res.status).toBe(200);
    expect(header(res, "content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = res.body.toString();
    expect(promtoolProblems(text)).toBe("");
    const all = samples(text);
    expect(histogramProblems(all)).toEqual([]);
    return all;
  };
  const peer = (view: Record<string, { peers: PeerView[] }>, name: string) =>
    view.pool?.peers.find((p) => p.server === `127.0.0.1:${port(name)}`) as PeerView;

  check("peers that reset or hang show unavailable with their failures, as nginx routes around them", async () => {
    // nginx and edgeproxy alike: b resets and c times out once each, then only a is tried.
    await compareTraces([nginx, edge], b, times(6), { b: reset, c: hang, a: ok, d: ok });
    const view = await upstreams();
    expect(Object.keys(view)).toEqual(["pool", "slow"]);
    expect(view.pool?.peers.map((p) => [p.server, p.backup, p.state])).toEqual([
      [`127.0.0.1:${port("a")}`, false, "up"],
      [`127.0.0.1:${port("b")}`, false, "unavail"],
      [`127.0.0.1:${port("c")}`, false, "unavail"],
      [`127.0.0.1:${port("d")}`, true, "up"],
      [`127.0.0.1:${port("e")}`, false, "down"],
    ]);
    // The counts are what the backends themselves saw.
    const a = peer(view, "a");
    expect([a.requests, a.responses["2xx"], a.responses.total, a.fails, a.active]).toEqual([
      b.a?.seen.length,
      b.a?.seen.length,
      b.a?.seen.length,
      0,
      0,
    ]);
    expect(a.header_time).toBeGreaterThanOrEqual(0);
    expect(a.selected).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const name of ["b", "c"]) {
      const failed = peer(view, name);
      expect([failed.requests, failed.fails, failed.unavail, failed.responses.total, failed.active], name).toEqual([1, 1, 1, 0, 0]);
      expect(failed.health).toMatchObject({ fails: 1, max_fails: 1, fail_timeout: 30 });
      expect(Date.parse(failed.health.retry_at ?? "") - Date.now()).toBeGreaterThan(25_000);
    }
    expect(b.b?.seen.length).toBe(1);
    expect([peer(view, "d").requests, peer(view, "e").requests]).toEqual([0, 0]);

    // The metrics page says the same, and Prometheus's own parser reads it.
    const all = await metrics();
    const labels = (name: string) => ({ upstream: "pool", peer: `127.0.0.1:${port(name)}` });
    for (const [name, state] of [
      ["a", "up"],
      ["b", "unavail"],
      ["c", "unavail"],
      ["d", "up"],
      ["e", "down"],
    ] as const) {
      for (const s of ["up", "down", "unavail", "checking"]) {
        expect(value(all, "edgeproxy_upstream_peer_state", { ...labels(name), state: s }), `${name} ${s}`).toBe(s === state ? 1 : 0);
      }
    }
    expect(value(all, "edgeproxy_upstream_peer_requests_total", labels("a"))).toBe(a.requests);
    expect(value(all, "edgeproxy_upstream_peer_responses_total", { ...labels("a"), code: "2xx" })).toBe(a.requests);
    expect(value(all, "edgeproxy_upstream_peer_fails_total", labels("b"))).toBe(1);
    expect(value(all, "edgeproxy_upstream_peer_unavailable_total", labels("c"))).toBe(1);
    expect(value(all, "edgeproxy_upstream_peer_health_fails", labels("c"))).toBe(1);
    expect(value(all, "edgeproxy_upstream_peer_response_duration_seconds_count", labels("a"))).toBe(a.requests);
    expect(value(all, "edgeproxy_upstream_peer_header_duration_seconds_count", labels("a"))).toBe(a.requests);
    // Every response so far was counted once by class and once in the duration histogram.
    const answered = ["1xx", "2xx", "3xx", "4xx", "5xx"].reduce(
      (sum, code) => sum + value(all, "edgeproxy_http_responses_total", { code }),
      0,
    );
    expect(answered).toBe(value(all, "edgeproxy_http_request_duration_seconds_count"));
    expect(value(all, "edgeproxy_http_responses_total", { code: "2xx" })).toBeGreaterThanOrEqual(6);
  });

  check("an attempt in flight shows active, then its time lands in the right bucket", async () => {
    const s = b.s as Backend;
    s.reply = () => ({ body: "slow\n", delayMs: 1500 });
    const pending = get(edge.port, "/slow/x");
    await new Promise((r) => setTimeout(r, 500));
    const during = peerOf(await upstreams(), "slow");
    expect([during.active, during.requests, during.responses.total]).toEqual([1, 1, 0]);
    expect((await pending).status).toBe(200);
    const after = peerOf(await upstreams(), "slow");
    expect([after.active, after.requests, after.responses["2xx"]]).toEqual([0, 1, 1]);
    expect(after.response_time).toBeGreaterThanOrEqual(1400);
    const all = await metrics();
    const labels = { upstream: "slow", peer: `127.0.0.1:${s.port}` };
    const bucket = (le: string) => value(all, "edgeproxy_upstream_peer_response_duration_seconds_bucket", { ...labels, le });
    expect([bucket("1"), bucket("2.5"), bucket("+Inf")]).toEqual([0, 1, 1]);
    expect(value(all, "edgeproxy_upstream_peer_response_duration_seconds_sum", labels)).toBeGreaterThanOrEqual(1.4);
  });

  check("stub_status counts what the metrics count", async () => {
    const all = await metrics();
    const page = (await get(edge.port, "/stub")).body.toString();
    const [, active, accepts, handled, requests, reading, writing, waiting] = (
      /^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$/.exec(
        page,
      ) ?? []
    ).map(Number);
    // The stub_status request came one connection and one request after the metrics page.
    expect([accepts, handled, requests]).toEqual([
      value(all, "edgeproxy_connections_accepted_total") + 1,
      value(all, "edgeproxy_connections_handled_total") + 1,
      value(all, "edgeproxy_http_requests_total") + 1,
    ]);
    expect([active, reading, writing, waiting]).toEqual([1, 0, 1, 0]);
  });

  check("GET and HEAD only, and nothing is cached between reads", async () => {
    const post = await rawRequest(edge.port, "POST /upstreams HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
    expect(post.status).toBe(405);
    const head = await rawRequest(edge.port, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    expect([head.status, head.body.length]).toEqual([200, 0]);
    const first = value(await metrics(), "edgeproxy_http_requests_total");
    expect(value(await metrics(), "edgeproxy_http_requests_total")).toBe(first + 1);
  });
  check("the counts grow with the requests that flow between two scrapes", async () => {
    const s = b.s as Backend;
    s.reply = () => ({ body: "quick\n" });
    const before = await metrics();
    for (let i = 0; i < 5; i++) expect((await get(edge.port, `/slow/${i}`)).status).toBe(200);
    const after = await metrics();
    const grew = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    // Five proxied requests and the second scrape itself; the first scrape's response was done,
    // and counted, before the second began.
    expect(grew("edgeproxy_http_requests_total")).toBe(6);
    expect(grew("edgeproxy_http_responses_total", { code: "2xx" })).toBe(6);
    expect(grew("edgeproxy_http_request_duration_seconds_count")).toBe(6);
    expect(grew("edgeproxy_connections_accepted_total")).toBe(6);
    const slow = { upstream: "slow", peer: `127.0.0.1:${s.port}` };
    expect(grew("edgeproxy_upstream_peer_requests_total", slow)).toBe(5);
    expect(grew("edgeproxy_upstream_peer_responses_total", { ...slow, code: "2xx" })).toBe(5);
    expect(grew("edgeproxy_upstream_peer_response_duration_seconds_count", slow)).toBe(5);
    expect(grew("edgeproxy_upstream_peer_requests_total", { upstream: "pool", peer: `127.0.0.1:${port("a")}` })).toBe(0);
    expect(value(after, "edgeproxy_upstream_peer_active", slow)).toBe(0);
  });

  check("HTTP/2 streams count as requests and responses, with their durations", async () => {
    const s = b.s as Backend;
    s.reply = (req) => (req.requestLine.includes("/missing") ? { status: 404, body: "no\n" } : { body: "quick\n" });
    const before = await metrics();
    const session = await h2ConnectUnix(`${edge.dir}/h2c.sock`, { tls: false });
    for (const path of ["/slow/1", "/slow/2", "/slow/missing"]) await h2Request(session, { headers: { ":path": path } });
    session.close();
    const after = await metrics();
    const grew = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    // Three streams on one connection, and the second scrape on its own.
    expect(grew("edgeproxy_connections_accepted_total")).toBe(2);
    expect(grew("edgeproxy_http_requests_total")).toBe(4);
    expect(grew("edgeproxy_http_responses_total", { code: "2xx" })).toBe(3);
    expect(grew("edgeproxy_http_responses_total", { code: "4xx" })).toBe(1);
    expect(grew("edgeproxy_http_request_duration_seconds_count")).toBe(4);
  });
});

function peerOf(view: Record<string, { peers: PeerView[] }>, upstream: string): PeerView {
  return view[upstream]?.peers[0] as PeerView;
}
