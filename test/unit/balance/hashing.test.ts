import { describe, expect, test } from "vitest";
import { crc32, latin1 } from "../../../core/balance/crc32.ts";
import { ipHashKey } from "../../../core/balance/ip-hash.ts";
import type { Peer } from "../../../core/balance/peer-group.ts";
import { letter, request, sequence, upstream } from "./_groups.ts";

const three = "server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3;";

describe("ip_hash (nginx-semantics 3)", () => {
  test("hashes the first three octets of IPv4, all of IPv6, nothing of a unix client", () => {
    expect([...ipHashKey("192.168.1.10")]).toEqual([192, 168, 1]);
    expect(ipHashKey("::1")).toHaveLength(16);
    expect([...ipHashKey("unix:")]).toEqual([0, 0, 0]);
  });

  test("maps 192.168.1.10 to the second of three peers, and rehashes 5654, 1196, 723", async () => {
    const b = await upstream(`ip_hash; ${three}`);
    const state = b.balancer.begin(request("192.168.1.10"));
    expect(letter(b.balancer.pick(state, 1000))).toBe("b");
    expect(state.hash).toBe(154);
    // b tried: 5654 % 3 = 2 is c.
    expect(letter(b.balancer.pick(state, 1000))).toBe("c");
    expect(state.hash).toBe(5654);
    // b, c tried: 1196 -> c again, 723 -> a.
    expect(letter(b.balancer.pick(state, 1000))).toBe("a");
    expect(state.hash).toBe(723);
  });

  test("keeps a /24 together and splits 127.0.i.2 evenly, as t/upstream_ip_hash.t", async () => {
    const two = await upstream("ip_hash; server 127.0.0.1:1; server 127.0.0.1:2;");
    const b3 = await upstream(`ip_hash; ${three}`);
    const tally = (b: typeof two) => {
      const counts: Record<string, number> = {};
      for (let i = 1; i <= 30; i++) {
        const l = sequence(b, 1, request(`127.0.${i}.2`));
        counts[l] = (counts[l] ?? 0) + 1;
      }
      return counts;
    };
    expect(tally(two)).toEqual({ a: 15, b: 15 });
    expect(tally(b3)).toEqual({ a: 10, b: 10, c: 10 });
    expect(sequence(two, 4, request("10.1.2.3"))).toBe(sequence(two, 4, request("10.1.2.200")));
  });

  test("honours weights and keeps down peers' slots", async () => {
    const weighted = await upstream("ip_hash; server 127.0.0.1:1 weight=3; server 127.0.0.1:2;");
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const l = sequence(weighted, 1, request(`10.0.${i}.1`));
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    // Weight 3 owns three of the four slots.
    expect(counts.get("a")).toBeGreaterThan(2 * (counts.get("b") ?? 0));
    const withDown = await upstream("ip_hash; server 127.0.0.1:1; server 127.0.0.1:2 down; server 127.0.0.1:3;");
    const all = await upstream(`ip_hash; ${three}`);
    for (let i = 0; i < 50; i++) {
      const ctx = request(`10.9.${i}.1`);
      const full = sequence(all, 1, ctx);
      if (full !== "b") expect(sequence(withDown, 1, ctx)).toBe(full);
    }
  });

  test("falls back to round robin after 20 rehashes", async () => {
    const b = await upstream("ip_hash; server 127.0.0.1:1; server 127.0.0.1:2 down;");
    const state = b.balancer.begin(request("192.168.1.10"));
    (b.group.primary[0] as Peer).conns = 0;
    const first = b.balancer.pick(state, 1000);
    expect(letter(first)).toBe("a");
    expect(letter(b.balancer.pick(state, 1000))).toBe("-");
    expect(state.tries).toBeGreaterThan(20);
  });
});

describe("hash KEY (nginx-semantics 4.1)", () => {
  test("computes CRC-32 as zlib does", () => {
    expect(crc32(latin1("/foo")).toString(16)).toBe("aa27dc47");
    expect(crc32(latin1("123456789")).toString(16)).toBe("cbf43926");
  });

  test("draws /foo to peer 0, then 0 again (tried), then peer 2, as nginx's example", async () => {
    const b = await upstream(`hash $request_uri; ${three}`);
    const state = b.balancer.begin(request("127.0.0.1", "/foo"));
    expect(letter(b.balancer.pick(state, 1000))).toBe("a");
    expect(state.hash).toBe(10791);
    expect(letter(b.balancer.pick(state, 1000))).toBe("c");
    expect(state.hash).toBe(37319);
  });

  test("sends the same key to the same peer and an empty key round robin", async () => {
    const b = await upstream(`hash $arg_none; ${three}`);
    expect(sequence(b, 3, request("127.0.0.1", "/x"))).toBe("abc");
    const k = await upstream(`hash $request_uri; ${three}`);
    expect(new Set(sequence(k, 5, request("127.0.0.1", "/same"))).size).toBe(1);
  });

  test("consistent: moves only the keys of a removed server", async () => {
    const before = await upstream(`hash $request_uri consistent; ${three} server 127.0.0.1:4;`);
    const after = await upstream(`hash $request_uri consistent; ${three}`);
    let moved = 0;
    for (let i = 0; i < 400; i++) {
      const ctx = request("127.0.0.1", `/k${i}`);
      const was = sequence(before, 1, ctx);
      const now = sequence(after, 1, ctx);
      if (was !== "d") expect(now).toBe(was);
      else moved++;
    }
    expect(moved).toBeGreaterThan(50);
    expect(moved).toBeLessThan(150);
  });
});

describe("least_conn and random (nginx-semantics 4.2, 4.3)", () => {
  test("least_conn prefers the peer with fewer connections per weight, round robin among equals", async () => {
    const b = await upstream("least_conn; server 127.0.0.1:1; server 127.0.0.1:2 weight=2; server 127.0.0.1:3;");
    // All idle: equal ratios, so smooth weighted round robin over 1:2:1.
    expect(sequence(b, 8)).toBe("bacbbacb");
  });

  test("least_conn keeps a busy peer out while others are idle", async () => {
    const b = await upstream("least_conn; server 127.0.0.1:1; server 127.0.0.1:2;");
    const held = b.balancer.pick(b.balancer.begin(request()), 1000);
    expect(letter(held)).toBe("a");
    expect(sequence(b, 3)).toBe("bbb");
  });

  test("random picks by weight and random two keeps the less busy of two draws", async () => {
    const draws = [0, 1, 2, 3];
    let i = 0;
    const scripted = (n: number) => (draws[i++ % draws.length] as number) % n;
    const b = await upstream("random; server 127.0.0.1:1 weight=2; server 127.0.0.1:2; server 127.0.0.1:3;", scripted);
    expect(sequence(b, 4)).toBe("aabc");
    i = 0;
    const two = await upstream("random two; server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3;", scripted);
    const busy = two.group.primary[1] as Peer;
    busy.conns = 5;
    // Draws a then b: b is busier, a wins; then c, a: equal, the second draw (a) wins.
    expect(sequence(two, 2)).toBe("aa");
  });
});
