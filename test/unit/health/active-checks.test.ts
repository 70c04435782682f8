import { describe, expect, test } from "vitest";
import { createBalancer } from "../../../core/balance/balancer.ts";
import { createPeerGroup } from "../../../core/balance/peer-group.ts";
import type { Capabilities, Logger, UpstreamRequest, UpstreamResult } from "../../../core/capabilities.ts";
import { ActiveHealthChecks, type Timers } from "../../../core/health/active-checks.ts";
import { type Config, compileConfig, MemoryCounters, MemoryFailureState, type PeerEvent, parseConfigText } from "../../../core/index.ts";
import { request } from "../balance/_groups.ts";

/** How the scripted peers answer, by port: a status (and body), or a refused connection. */
type Answer = { status: number; body?: string; headers?: [string, string][] } | "refused";

/** A check setup on a fake clock and hand-driven timers, over a transport that answers by port. */
async function setup(http: string) {
  const config = await compileConfig(parseConfigText(`events {} http { ${http} }`));
  const answers = new Map<number, Answer>();
  const sent: UpstreamRequest[] = [];
  const lines: string[] = [];
  const events: string[] = [];
  let now = 1_000_000;
  const pending: { at: number; run: () => void }[] = [];
  const failures = new MemoryFailureState();
  const log: Logger = {
    alert: (m) => lines.push(`alert ${m}`),
    crit: (m) => lines.push(`crit ${m}`),
    error: (m) => lines.push(`error ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    notice: (m) => lines.push(`notice ${m}`),
    info: (m) => lines.push(`info ${m}`),
  };
  const caps: Capabilities = {
    transport: {
      request: async (req): Promise<UpstreamResult> => {
        sent.push(req);
        const port = req.peer.kind === "tcp" ? req.peer.port : 0;
        const answer = answers.get(port) ?? { status: 200 };
        if (answer === "refused") {
          return {
            kind: "failed",
            reason: "error",
            detail: "connect() failed (111: Connection refused)",
            stage: "connecting",
            requestSent: false,
          };
        }
        const body = new TextEncoder().encode(answer.body ?? "");
        return {
          kind: "response",
          status: answer.status,
          reason: "",
          headers: answer.headers ?? [],
          body,
          contentLength: body.byteLength,
          discard: () => {},
        };
      },
    },
    failures: {
      peer: (key) => failures.peer(key),
      changed: (key, h, event: PeerEvent) => events.push(`${key} ${event} ${h.active}`),
    },
    spool: null,
    clock: { now: () => now },
    log,
  };
  const timers: Timers = {
    after: (ms, run) => {
      const entry = { at: now + ms, run };
      pending.push(entry);
      return () => pending.splice(pending.indexOf(entry), 1);
    },
  };
  const checks = new ActiveHealthChecks(caps, () => 0.5);
  /** Moves the clock to each due timer in turn, up to `ms` from now, letting probes finish. */
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      pending.sort((a, b) => a.at - b.at);
      const next = pending[0];
      if (!next || next.at > end) break;
      pending.shift();
      now = Math.max(now, next.at);
      next.run();
    }
    now = end;
    await new Promise((r) => setTimeout(r, 0));
  };
  const record = (port: number) => failures.peer(`u|127.0.0.1:${port}|1`);
  return { config, checks, answers, sent, lines, events, advance, record, timers, caps, failures };
}

const UPSTREAM = "upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }";

describe("active health checks (nginx Plus's health_check)", () => {
  test("fails= failed checks make a peer unhealthy and every balancer skips it; passes= passes bring it back", async () => {
    const s = await setup(`${UPSTREAM} server { location / { proxy_pass http://u; health_check interval=5s fails=2 passes=2; } }`);
    s.checks.configure(s.config);
    s.checks.start(s.timers);
    s.answers.set(1, "refused");
    await s.advance(0);
    expect(s.record(1).active).toBe("up");
    await s.advance(5000);
    expect(s.record(1).active).toBe("unhealthy");
    expect(s.record(2).active).toBe("up");
    const group = createPeerGroup(
      s.config.upstreams[0] as Config["upstreams"][number],
      { peer: (k) => s.failures.peer(k), changed: () => {} },
      new MemoryCounters(),
    );
    for (const kind of ["round-robin", "least_conn", "ip_hash"] as const) {
      const balancer = createBalancer(group, { kind });
      for (let i = 0; i < 4; i++) {
        const peer = balancer.pick(balancer.begin(request(`10.0.${i}.1`)), 1000);
        expect(peer?.server.address).toMatchObject({ port: 2 });
        if (peer) peer.conns--;
      }
    }
    s.answers.set(1, { status: 200 });
    await s.advance(5000);
    expect(s.record(1).active).toBe("unhealthy");
    await s.advance(5000);
    expect(s.record(1).active).toBe("up");
    expect(s.events).toEqual(["u|127.0.0.1:1|1 unhealthy unhealthy", "u|127.0.0.1:1|1 healthy up"]);
    expect(s.lines.filter((l) => !l.startsWith("error"))).toEqual([
      `warn peer is unhealthy while connecting to upstream, health check "" of peer 127.0.0.1:1 in upstream "u"`,
      `notice peer is healthy while checking status code, health check "" of peer 127.0.0.1:1 in upstream "u"`,
    ]);
    expect(s.lines).toContain(
      `error connect() failed (111: Connection refused) while connecting to upstream, health check "" of peer 127.0.0.1:1 in upstream "u"`,
    );
  });

  test("checks as the location would proxy: its headers, HTTP version and timeouts, uri= and port=", async () => {
    const s = await setup(`${UPSTREAM} server { location / {
      proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Host health.example; proxy_set_header X-Check "$proxy_host$remote_addr";
      proxy_connect_timeout 2s; proxy_read_timeout 3s; health_check uri=/healthz?deep=1 port=8081; } }`);
    s.checks.configure(s.config);
    await s.checks.runOnce();
    expect(s.sent.map((r) => r.peer)).toEqual([
      { kind: "tcp", host: "127.0.0.1", port: 8081 },
      { kind: "tcp", host: "127.0.0.1", port: 8081 },
    ]);
    const req = s.sent[0] as UpstreamRequest;
    expect([req.method, req.target, req.httpVersion, req.connectTimeoutMs, req.readTimeoutMs, req.keepalive]).toEqual([
      "GET",
      "/healthz?deep=1",
      "1.1",
      2000,
      3000,
      null,
    ]);
    expect(req.headers).toEqual([
      ["Host", "health.example"],
      ["X-Check", "u"],
      ["Connection", "close"],
    ]);
  });

  test("mandatory: no request reaches a peer before its first check; then up or unhealthy at once", async () => {
    const s = await setup(`${UPSTREAM} server { location / { proxy_pass http://u; health_check mandatory fails=3; } }`);
    s.answers.set(2, { status: 503 });
    s.checks.configure(s.config);
    expect([s.record(1).active, s.record(2).active]).toEqual(["checking", "checking"]);
    await s.checks.runOnce();
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "unhealthy"]);
    expect(s.lines).toContain(`warn peer is unhealthy while checking status code, health check "" of peer 127.0.0.1:2 in upstream "u"`);
  });

  test("a reload keeps what stays: persistent keeps up peers up, plain mandatory checks again, a dropped check leaves its peers up", async () => {
    const config = (line: string) =>
      compileConfig(parseConfigText(`events {} http { ${UPSTREAM} server { location / { proxy_pass http://u; ${line} } } }`));
    const s = await setup(`${UPSTREAM} server { location / { proxy_pass http://u; health_check mandatory persistent; } }`);
    s.answers.set(2, "refused");
    s.checks.configure(s.config);
    await s.checks.runOnce();
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "unhealthy"]);
    s.checks.configure(await config("health_check mandatory persistent;"));
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "checking"]);
    await s.checks.runOnce();
    s.checks.configure(await config("health_check mandatory;"));
    expect([s.record(1).active, s.record(2).active]).toEqual(["checking", "checking"]);
    await s.checks.runOnce();
    s.checks.configure(await config(""));
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "up"]);
    expect(s.checks.isEmpty).toBe(true);
  });

  test("several checks of one upstream must all pass", async () => {
    const s = await setup(`${UPSTREAM} match body_ok { status 200; body ~ "^ok"; }
      server { location / { proxy_pass http://u; health_check; } location /b { proxy_pass http://u; health_check uri=/b match=body_ok; } }`);
    s.answers.set(1, { status: 200, body: "maintenance" });
    s.checks.configure(s.config);
    await s.checks.runOnce();
    expect([s.record(1).active, s.record(2).active]).toEqual(["unhealthy", "unhealthy"]);
    expect(s.lines).toContain(`warn peer is unhealthy while checking body, health check "body_ok" of peer 127.0.0.1:1 in upstream "u"`);
    s.answers.set(1, { status: 200, body: "ok" });
    s.answers.set(2, { status: 200, body: "ok" });
    await s.checks.runOnce();
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "up"]);
  });

  test("match tests headers and variables: require reads the check's own $upstream_status", async () => {
    const s = await setup(`${UPSTREAM} map $upstream_status $good { 200 1; 204 1; }
      match m { header Content-Type ~ json; header ! X-Draining; require $good; }
      server { location / { proxy_pass http://u; health_check match=m; } }`);
    s.answers.set(1, { status: 204, headers: [["content-type", "application/json"]] });
    s.answers.set(2, {
      status: 200,
      headers: [
        ["Content-Type", "application/json"],
        ["X-Draining", "1"],
      ],
    });
    s.checks.configure(s.config);
    await s.checks.runOnce();
    expect([s.record(1).active, s.record(2).active]).toEqual(["up", "unhealthy"]);
    s.answers.set(2, { status: 202, headers: [["Content-Type", "application/json"]] });
    await s.checks.runOnce();
    expect(s.record(2).active).toBe("unhealthy");
  });

  test("jitter delays each check by up to jitter=, and a check waits interval= after the last one ended", async () => {
    const s = await setup(`${UPSTREAM} server { location / { proxy_pass http://u; health_check interval=10s jitter=4s; } }`);
    s.checks.configure(s.config);
    s.checks.start(s.timers);
    await s.advance(1999);
    expect(s.sent).toHaveLength(0);
    await s.advance(1);
    expect(s.sent).toHaveLength(2);
    await s.advance(11_999);
    expect(s.sent).toHaveLength(2);
    await s.advance(1);
    expect(s.sent).toHaveLength(4);
    s.checks.stop();
    await s.advance(60_000);
    expect(s.sent).toHaveLength(4);
  });
});
