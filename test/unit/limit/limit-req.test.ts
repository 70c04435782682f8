import { describe, expect, test } from "vitest";
import type { LimitReq, LimitZone } from "../../../core/config/model.ts";
import { limitRequests } from "../../../core/limit/limit-req.ts";
import { zoneCapacity } from "../../../core/limit/limit-zones.ts";
import { ZoneTable } from "../../../core/limit/zone-table.ts";
import { compileTemplate } from "../../../core/shape/template.ts";

/** A zone of `rate` requests per 1000 s (nginx's ctx->rate), and a table for it. */
function zone(name: string, rate: number, size = 32768): LimitZone {
  return { kind: "limit_req", name, size, key: compileTemplate("$binary_remote_addr"), rate };
}

/** Runs requests at the given ms against the limits and describes each: `pass`, `delay N`, `reject`. */
function run(limits: LimitReq[], steps: readonly (readonly [ms: number, key: string])[]): string[] {
  const tables = new Map<LimitZone, ZoneTable>();
  const tableOf = (z: LimitZone) => {
    let t = tables.get(z);
    if (!t) {
      t = new ZoneTable(new ArrayBuffer(ZoneTable.bytesFor(zoneCapacity(z))));
      tables.set(z, t);
    }
    return t;
  };
  return steps.map(([ms, key]) => {
    const d = limitRequests(
      limits,
      tableOf,
      () => key,
      ms,
      () => {},
    );
    if (d.kind === "delayed") return `delay ${d.delayMs} (${d.excess})`;
    if (d.kind === "rejected") return `reject (${d.excess})`;
    return d.kind === "passed" ? "pass" : "declined";
  });
}

/** A request at `ms` on a clock that, as nginx's ngx_current_msec, is far from 0. */
const at = (ms: number, key = "a") => [1_000_000_000 + ms, key] as const;

// ngx_http_limit_req_lookup() and _account(), on a fake clock: each sequence worked out from
// nginx's integer arithmetic (excess in thousandths, rate * ms / 1000 drained).
describe("limit_req's leaky bucket", () => {
  const oneA = zone("one", 1000);

  test("lets one request a second through without burst, to the millisecond", () => {
    expect(run([{ zone: oneA, burst: 0, delay: 0 }], [at(0), at(0), at(999), at(1000), at(1500), at(2000)])).toEqual([
      "pass",
      "reject (1000)",
      "reject (1)",
      "pass",
      "reject (500)",
      "pass",
    ]);
  });

  test("keeps no state for a rejected request: the bucket drains from the last passed one", () => {
    expect(run([{ zone: oneA, burst: 0, delay: 0 }], [at(0), at(600), at(900), at(1000)])).toEqual([
      "pass",
      "reject (400)",
      "reject (100)",
      "pass",
    ]);
  });

  test("burst with nodelay passes the excess at once, then rejects", () => {
    const limit = { zone: oneA, burst: 3000, delay: Number.MAX_SAFE_INTEGER };
    expect(run([limit], [at(0), at(0), at(0), at(0), at(0), at(250), at(1000)])).toEqual([
      "pass",
      "pass",
      "pass",
      "pass",
      "reject (4000)",
      "reject (3750)",
      "pass",
    ]);
  });

  test("burst without nodelay delays each request by its excess over the rate", () => {
    const limit = { zone: oneA, burst: 3000, delay: 0 };
    expect(run([limit], [at(0), at(0), at(0), at(0), at(0)])).toEqual([
      "pass",
      "delay 1000 (1000)",
      "delay 2000 (2000)",
      "delay 3000 (3000)",
      "reject (4000)",
    ]);
  });

  test("delay=N serves N excess requests at once and delays the rest", () => {
    const limit = { zone: zone("two", 2000), burst: 4000, delay: 2000 };
    expect(run([limit], [at(0), at(0), at(0), at(0), at(0), at(0)])).toEqual([
      "pass",
      "pass",
      "pass",
      "delay 500 (3000)",
      "delay 1000 (4000)",
      "reject (5000)",
    ]);
  });

  test("counts per key", () => {
    expect(run([{ zone: oneA, burst: 0, delay: 0 }], [at(0, "a"), at(0, "b"), at(0, "a"), at(0, "c")])).toEqual([
      "pass",
      "pass",
      "reject (1000)",
      "pass",
    ]);
  });

  test("reads r/m rates as nginx's integer rate: 2r/m drains 33 thousandths a second", () => {
    const perMinute = zone("slow", Math.floor((2 * 1000) / 60));
    expect(run([{ zone: perMinute, burst: 1000, delay: Number.MAX_SAFE_INTEGER }], [at(0), at(0), at(1000), at(30303), at(31000)])).toEqual(
      ["pass", "pass", "reject (1967)", "reject (1001)", "pass"],
    );
  });

  test("a later limit's rejection costs the earlier one nothing; passing counts both", () => {
    const first = { zone: zone("first", 1000), burst: 5000, delay: Number.MAX_SAFE_INTEGER };
    const second = { zone: zone("second", 1000), burst: 0, delay: 0 };
    expect(run([first, second], [at(0, "a"), at(0, "a"), at(0, "a"), at(1000, "a")])).toEqual([
      "pass",
      "reject (1000)",
      "reject (1000)",
      "pass",
    ]);
  });

  test("the longest delay of several limits is the request's", () => {
    const slow = { zone: zone("slow", 500), burst: 5000, delay: 0 };
    const fast = { zone: zone("fast", 4000), burst: 5000, delay: 0 };
    expect(run([slow, fast], [at(0), at(0), at(0)])).toEqual(["pass", "delay 2000 (1000)", "delay 4000 (2000)"]);
    expect(run([fast, slow], [at(0), at(0), at(0)])).toEqual(["pass", "delay 2000 (1000)", "delay 4000 (2000)"]);
  });

  test("a clock that goes back is read as no time passed, or a millisecond past a minute", () => {
    const limit = { zone: oneA, burst: 1000, delay: Number.MAX_SAFE_INTEGER };
    expect(run([limit], [at(100_000), at(99_000), at(99_000), at(30_000)])).toEqual(["pass", "pass", "reject (2000)", "reject (1999)"]);
  });

  test("a full zone takes a new key's state from the least recently used idle one", () => {
    const tiny = zone("tiny", 1000, 64 * 4);
    const limit = { zone: tiny, burst: 0, delay: 0 };
    const keys = Array.from({ length: 40 }, (_, i) => at(i, `k${i}`));
    const seen = run([limit], [...keys, at(40, "k0"), at(41, "k39")]);
    expect(seen.slice(0, 40).every((s) => s === "pass")).toBe(true);
    // k0's state went to a later key: it starts afresh, taking k36's; k39's is among the newest and kept.
    expect(seen.slice(40)).toEqual(["pass", "reject (998)"]);
  });
});
