import { describe, expect, test } from "vitest";
import { createBalancer } from "../../../core/balance/balancer.ts";
import { createPeerGroup } from "../../../core/balance/peer-group.ts";
import { ConfigError, compileConfigSync, MemoryCounters, MemoryFailureState, parseConfigText } from "../../../core/index.ts";
import { peerState } from "../../../core/status/peer-state.ts";
import { prometheusText } from "../../../core/status/prometheus.ts";
import { promtoolProblems, samples, value } from "../../support/prometheus.ts";

const compile = (http: string) => compileConfigSync(parseConfigText(`events {} http { ${http} }`, "t.conf"));

/** The plans of a config's upstreams, as the status pages read them, over fresh state. */
function plans(http: string) {
  const config = compile(http);
  const failures = new MemoryFailureState();
  const counters = new MemoryCounters();
  const upstreams = new Map(
    config.upstreams.map((u) => {
      const group = createPeerGroup(u, failures, counters);
      return [u, { group, balancer: createBalancer(group, u.balancer), sticky: null }] as const;
    }),
  );
  return { upstreams, counters };
}

describe("status page directives", () => {
  test.each([
    ["at server level", "server { edgeproxy_metrics; }", 'not-allowed-here: t.conf:1: "edgeproxy_metrics" directive is not allowed here'],
    ["at http level", "edgeproxy_status;", 'not-allowed-here: t.conf:1: "edgeproxy_status" directive is not allowed here'],
    [
      "with an argument",
      "server { location / { edgeproxy_metrics on; } }",
      'invalid-arguments: t.conf:1: invalid number of arguments in "edgeproxy_metrics" directive',
    ],
    [
      "in an if",
      "server { location / { if ($a) { edgeproxy_status; } } }",
      'not-allowed-here: t.conf:1: "edgeproxy_status" directive is not allowed here',
    ],
  ])("refused %s", (_name, http, message) => {
    try {
      compile(http);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(`${(error as ConfigError).code}: ${(error as ConfigError).message}`).toBe(message);
    }
  });

  test("each sets its location's handler, the last one winning", () => {
    const config = compile(
      "server { location /m { edgeproxy_metrics; } location /s { edgeproxy_status; } location /x { edgeproxy_metrics; stub_status; edgeproxy_status; } }",
    );
    expect(config.servers[0]?.locations.map((l) => l.handler)).toEqual(["metrics", "status", "status"]);
  });
});

describe("peer state", () => {
  test("unavail within fail_timeout of the last check, checking after it, up again after a success; down; a single server stays up", () => {
    const { upstreams } = plans(
      "upstream u { server 127.0.0.1:1 max_fails=1 fail_timeout=30s; server 127.0.0.1:2 down; } upstream one { server 127.0.0.1:3; }",
    );
    const [u, one] = [...upstreams.values()].map((p) => p.group);
    const peer = u?.primary[0];
    if (!u || !one || !peer) throw new Error("no peers");
    const now = 1_800_000_000;
    expect(peerState(u, peer, now)).toBe("up");
    Object.assign(peer.health, { fails: 1, accessed: now - 5, checked: now - 5 });
    expect(peerState(u, peer, now)).toBe("unavail");
    expect(peerState(u, peer, now + 25)).toBe("unavail");
    expect(peerState(u, peer, now + 26)).toBe("checking");
    peer.health.fails = 0;
    expect(peerState(u, peer, now + 26)).toBe("up");
    expect(peerState(u, u.primary[1] as never, now)).toBe("down");
    const single = one.primary[0];
    if (!single) throw new Error("no peer");
    Object.assign(single.health, { fails: 5, checked: now });
    expect(peerState(one, single, now)).toBe("up");
  });
});

describe("peer state with health checks", () => {
  test("a peer failing its checks is unhealthy, one awaiting its first mandatory check is checking, a lone one too", () => {
    const { upstreams } = plans("upstream u { server 127.0.0.1:1; server 127.0.0.1:2; } upstream one { server 127.0.0.1:3; }");
    const [u, one] = [...upstreams.values()].map((p) => p.group);
    const [a, b] = u?.primary ?? [];
    const single = one?.primary[0];
    if (!u || !one || !a || !b || !single) throw new Error("no peers");
    a.health.active = "unhealthy";
    b.health.active = "checking";
    single.health.active = "unhealthy";
    expect([peerState(u, a, 0), peerState(u, b, 0), peerState(one, single, 0)]).toEqual(["unhealthy", "checking", "unhealthy"]);
  });
});

describe("prometheus exposition", () => {
  test("label values escape quotes, backslashes and line feeds; promtool reads them back", () => {
    const { upstreams, counters } = plans('upstream "we\\"ird\\\\name" { server 127.0.0.1:1; server 127.0.0.1:1; }');
    const text = prometheusText(upstreams, counters, 1_800_000_000_000);
    expect(text).toContain('upstream="we\\"ird\\\\name"');
    expect(promtoolProblems(text)).toBe("");
    // A server repeated in one upstream is two peers: the second is told apart.
    const all = samples(text);
    expect(value(all, "edgeproxy_upstream_peer_requests_total", { upstream: 'we"ird\\name', peer: "127.0.0.1:1" })).toBe(0);
    expect(value(all, "edgeproxy_upstream_peer_requests_total", { upstream: 'we"ird\\name', peer: "127.0.0.1:1#2" })).toBe(0);
  });

  test("with no upstream, every family still has its help and type, and the server's samples", () => {
    const { upstreams, counters } = plans("");
    const text = prometheusText(upstreams, counters, 0);
    expect(promtoolProblems(text)).toBe("");
    expect(text).toContain("# TYPE edgeproxy_upstream_peer_state gauge\n");
    expect(value(samples(text), "edgeproxy_http_request_duration_seconds_bucket", { le: "+Inf" })).toBe(0);
  });
});
