import { describe, expect, test } from "vitest";
import type { LimitReq, LimitZone } from "../../../core/config/model.ts";
import { limitRequests } from "../../../core/limit/limit-req.ts";
import { type LimitReqFeed, ZonesByName } from "../../../core/limit/limit-req-feed.ts";
import { MemoryLimitZones } from "../../../core/limit/limit-zones.ts";
import { ZoneTable } from "../../../core/limit/zone-table.ts";
import { compileTemplate } from "../../../core/shape/template.ts";

/** A limit_req zone of `rate` requests per 1000 s (nginx's ctx->rate). */
function zone(name: string, rate: number, size = 32768): LimitZone {
  return { kind: "limit_req", name, size, key: compileTemplate("$binary_remote_addr"), rate };
}

interface Sent {
  readonly zone: string;
  readonly hash: number;
  readonly now: number;
}

/** One server's zones: what its feed sent, its requests, and the other servers' requests counted in. */
function server(zones: readonly LimitZone[]) {
  const memory = new MemoryLimitZones();
  const tables = new Map(zones.map((z) => [z, new ZoneTable(memory.memory(z))]));
  const sent: Sent[] = [];
  const feed: LimitReqFeed = { counted: (z, hash, now) => sent.push({ zone: z.name, hash, now }) };
  const elsewhere = new ZonesByName();
  elsewhere.use(zones, memory);
  /** A request at `ms` under `key`, through `limits` (burst 0, no delay, on every zone by default). */
  const request = (key: string, ms: number, limits: LimitReq[] = zones.map((z) => ({ zone: z, burst: 0, delay: 0 }))) => {
    const d = limitRequests(
      limits,
      (z) => tables.get(z) as ZoneTable,
      () => key,
      T0 + ms,
      () => {},
      feed,
    );
    return d.kind === "rejected" ? "reject" : d.kind === "delayed" ? `delay ${d.delayMs}` : "pass";
  };
  /** Counts what `other` sent, as the relay does, `lagMs` after each request. */
  const hear = (other: { sent: Sent[] }, lagMs = 0) => {
    for (const m of other.sent.splice(0)) elsewhere.countFromElsewhere(m.zone, m.hash, m.now + lagMs);
  };
  return { zones, sent, request, hear };
}

/** A clock far from 0, as nginx's ngx_current_msec. */
const T0 = 1_000_000_000;

// How a limit_req zone counts the requests other servers counted (edgeproxy_state): in its own
// bucket for the key, by ngx_http_limit_req_lookup()'s arithmetic.
describe("limit_req requests counted elsewhere", () => {
  test("a key's request on another server holds back this one's until the bucket drains at the rate", () => {
    // Zones of different sizes: the key's hash finds its state in both.
    const a = server([zone("z", 2000, 1 << 20)]);
    const b = server([zone("z", 2000)]);
    expect(a.request("k", 0)).toBe("pass");
    b.hear(a, 5);
    // 2r/s without burst: the next request may come 500 ms after the last, wherever it came.
    expect([b.request("k", 10), b.request("k", 499), b.request("k", 505)]).toEqual(["reject", "reject", "pass"]);
    a.hear(b);
    expect([a.request("k", 600), a.request("k", 1005)]).toEqual(["reject", "pass"]);
    // Other keys are not held back.
    expect(b.request("other", 600)).toBe("pass");
  });

  test("sends what the zone counts, passed or delayed, and nothing it rejects", () => {
    const a = server([zone("z", 1000)]);
    const burst: LimitReq[] = [{ zone: a.zones[0] as LimitZone, burst: 2000, delay: 0 }];
    expect([a.request("k", 0, burst), a.request("k", 0, burst), a.request("k", 0, burst), a.request("k", 0, burst)]).toEqual([
      "pass",
      "delay 1000",
      "delay 2000",
      "reject",
    ]);
    expect(a.sent.map((m) => m.now - T0)).toEqual([0, 0, 0]);
    expect(new Set(a.sent.map((m) => m.hash)).size).toBe(1);
  });

  test("several limits send only once every one has passed", () => {
    const a = server([zone("one", 1000), zone("two", 1000)]);
    const both: LimitReq[] = a.zones.map((z) => ({ zone: z, burst: z.name === "one" ? 3000 : 0, delay: 3000 }));
    expect(a.request("k", 0, both)).toBe("pass");
    expect(a.sent.map((m) => m.zone).sort()).toEqual(["one", "two"]);
    // "two" rejects the second: "one" counted nothing, and nothing is sent.
    expect(a.request("k", 0, both)).toBe("reject");
    expect(a.sent).toHaveLength(2);
  });

  test("a request from elsewhere on a drained key leaves no excess, as a key's first request", () => {
    const a = server([zone("z", 1000)]);
    const b = server([zone("z", 1000)]);
    expect(a.request("k", 0)).toBe("pass");
    expect(a.request("k", 5000)).toBe("pass");
    b.hear(a);
    // The second came 5 s after the first: it drained the bucket, and b may serve 1 s after it.
    expect([b.request("k", 5999), b.request("k", 6000)]).toEqual(["reject", "pass"]);
  });
});
