import { describe, expect, test } from "vitest";
import { isUsable, release, take } from "../../../core/balance/health.ts";
import type { Peer } from "../../../core/balance/peer-group.ts";
import { letter, upstream } from "./_groups.ts";

const quiet = () => {};

describe("passive health (nginx-semantics 2.5)", () => {
  test("follows nginx's timeline for max_fails=3 fail_timeout=10s", async () => {
    const { group, failures } = await upstream("server 127.0.0.1:1 max_fails=3 fail_timeout=10s; server 127.0.0.1:2;");
    const a = group.primary[0] as Peer;
    const attempt = (now: number, failed: boolean) => {
      expect(isUsable(a, now)).toBe(true);
      take(a, now);
      release(group, a, failed ? "failed" : "ok", now, failures, quiet);
    };
    attempt(100, true);
    expect(a.health).toEqual({ fails: 1, accessed: 100, checked: 100, active: "up" });
    attempt(101, false);
    expect(a.health.fails).toBe(1);
    attempt(105, true);
    attempt(108, true);
    expect(a.health).toEqual({ fails: 3, accessed: 108, checked: 108, active: "up" });
    expect(isUsable(a, 111)).toBe(false);
    expect(isUsable(a, 118)).toBe(false);
    expect(isUsable(a, 119)).toBe(true);
    // The probe moves `checked`: everyone else skips the peer until it answers.
    take(a, 119);
    expect(a.health.checked).toBe(119);
    expect(isUsable(a, 120)).toBe(false);
    release(group, a, "ok", 119, failures, quiet);
    expect(a.health.fails).toBe(0);
    expect(isUsable(a, 120)).toBe(true);
  });

  test("does not forget failures with time alone", async () => {
    const { group, failures } = await upstream("server 127.0.0.1:1 max_fails=2 fail_timeout=10s; server 127.0.0.1:2;");
    const a = group.primary[0] as Peer;
    take(a, 100);
    release(group, a, "failed", 100, failures, quiet);
    take(a, 5000);
    release(group, a, "failed", 5000, failures, quiet);
    expect(a.health.fails).toBe(2);
    expect(isUsable(a, 5001)).toBe(false);
  });

  test("max_fails=0 never makes a peer unavailable nor lowers its weight", async () => {
    const { group, failures } = await upstream("server 127.0.0.1:1 max_fails=0; server 127.0.0.1:2;");
    const a = group.primary[0] as Peer;
    for (let i = 0; i < 5; i++) {
      take(a, 100);
      release(group, a, "failed", 100, failures, quiet);
    }
    expect(isUsable(a, 100)).toBe(true);
    expect(a.effectiveWeight).toBe(1);
  });

  test("a single-server upstream keeps no accounting", async () => {
    const { group, failures } = await upstream("server 127.0.0.1:1 max_fails=1;");
    const a = group.primary[0] as Peer;
    take(a, 100);
    release(group, a, "failed", 100, failures, quiet);
    expect(a.health.fails).toBe(0);
  });

  test("probes a recovered peer only when its lowered weight lets it win again", async () => {
    const b = await upstream("server 127.0.0.1:1 max_fails=1 fail_timeout=10s; server 127.0.0.1:2;");
    const pick = (now: number, fail = false) => {
      const peer = b.balancer.pick(b.balancer.begin(undefined as never), now);
      if (peer) release(b.group, peer, fail ? "failed" : "ok", now, b.failures, quiet);
      return letter(peer);
    };
    expect(pick(100, true)).toBe("a");
    expect([101, 105, 110].map((t) => pick(t)).join("")).toBe("bbb");
    // After expiry, the next two requests go to the healthy peer and the third probes (Observed).
    expect([111, 111, 111, 111].map((t) => pick(t)).join("")).toBe("bbab");
  });

  test("tells the store when a peer becomes unavailable and when it recovers", async () => {
    const { group } = await upstream("server 127.0.0.1:1 max_fails=2 fail_timeout=1s; server 127.0.0.1:2;");
    const events: string[] = [];
    const store = {
      peer: () => ({ fails: 0, accessed: 0, checked: 0, active: "up" as const }),
      changed: (key: string, _h: unknown, event: string) => events.push(`${key} ${event}`),
    };
    const a = group.primary[0] as Peer;
    for (const t of [10, 11]) {
      take(a, t);
      release(group, a, "failed", t, store, quiet);
    }
    take(a, 20);
    release(group, a, "ok", 20, store, quiet);
    expect(events).toEqual(["u|127.0.0.1:1|1 unavailable", "u|127.0.0.1:1|1 recovered"]);
  });
});
