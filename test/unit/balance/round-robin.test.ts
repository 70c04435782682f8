import { describe, expect, test } from "vitest";
import { newPickState, pickRoundRobin } from "../../../core/balance/round-robin.ts";
import { letter, sequence, upstream } from "./_groups.ts";

describe("round robin", () => {
  test.each([
    ["5:1:1 as nginx picks it", "server 127.0.0.1:1 weight=5; server 127.0.0.1:2; server 127.0.0.1:3;", "aabacaaaabacaa"],
    ["2:1", "server 127.0.0.1:1 weight=2; server 127.0.0.1:2;", "abaaba"],
    ["equal weights", "server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3;", "abcabc"],
    ["a down peer skipped", "server 127.0.0.1:1; server 127.0.0.1:2 down; server 127.0.0.1:3;", "acacac"],
    ["backups only when no primary is usable", "server 127.0.0.1:1 down; server 127.0.0.2:2 backup; server 127.0.0.1:3 backup;", "bcbc"],
    ["every peer down: no live upstreams", "server 127.0.0.1:1 down; server 127.0.0.1:2 down;", "--"],
  ])("picks %s", async (_name, servers, expected) => {
    expect(sequence(await upstream(servers), expected.length)).toBe(expected);
  });

  test("a request does not pick the same peer twice, then moves to the backups for good", async () => {
    const { group } = await upstream("server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3 backup;");
    const state = newPickState();
    const picks = [1, 2, 3, 4].map(() => letter(pickRoundRobin(group, state, 1000)));
    expect(picks.join("")).toBe("abc-");
    expect(state.onBackup).toBe(true);
  });

  test("leaves a peer at max_conns out until a slot frees", async () => {
    const { group, balancer } = await upstream("server 127.0.0.1:1 max_conns=1; server 127.0.0.1:2;");
    const first = balancer.pick(balancer.begin(undefined as never), 1000);
    expect(letter(first)).toBe("a");
    expect(letter(balancer.pick(balancer.begin(undefined as never), 1000))).toBe("b");
    expect(letter(balancer.pick(balancer.begin(undefined as never), 1000))).toBe("b");
    expect(group.primary[0]?.conns).toBe(1);
  });

  test("counts tries over non-down peers of both tiers, and knows a single-server upstream", async () => {
    expect((await upstream("server 127.0.0.1:1; server 127.0.0.1:2 down; server 127.0.0.1:3 backup;")).group.maxTries).toBe(2);
    expect((await upstream("server 127.0.0.1:1;")).group.isSingle).toBe(true);
    expect((await upstream("server 127.0.0.1:1; server 127.0.0.1:2 backup;")).group.isSingle).toBe(false);
  });
});
