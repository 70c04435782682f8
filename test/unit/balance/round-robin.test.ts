import { describe, expect, test } from "vitest";
import { createPeerGroup } from "../../../core/balance/peer-group.ts";
import { newPickState, pickRoundRobin } from "../../../core/balance/round-robin.ts";
import { compileConfig, parseConfigText } from "../../../core/index.ts";

async function group(servers: string) {
  const config = await compileConfig(parseConfigText(`events {} http { upstream u { ${servers} } }`));
  return createPeerGroup(
    config.upstreams[0] ??
      (() => {
        throw new Error("no upstream");
      })(),
  );
}

/** Letters a, b, c... for peers 1, 2, 3... picked by `n` fresh requests. */
function sequence(g: Awaited<ReturnType<typeof group>>, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) {
    const peer = pickRoundRobin(g, newPickState());
    out += peer ? String.fromCharCode(97 + Number(peer.server.address.kind === "tcp" ? peer.server.address.port - 1 : 0)) : "-";
  }
  return out;
}

describe("pickRoundRobin", () => {
  test.each([
    ["5:1:1 as nginx picks it", "server 127.0.0.1:1 weight=5; server 127.0.0.1:2; server 127.0.0.1:3;", "aabacaaaabacaa"],
    ["2:1", "server 127.0.0.1:1 weight=2; server 127.0.0.1:2;", "abaaba"],
    ["equal weights", "server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3;", "abcabc"],
    ["a down peer skipped", "server 127.0.0.1:1; server 127.0.0.1:2 down; server 127.0.0.1:3;", "acacac"],
    ["backups only when no primary is usable", "server 127.0.0.1:1 down; server 127.0.0.1:2 backup; server 127.0.0.1:3 backup;", "bcbc"],
    ["every peer down: no live upstreams", "server 127.0.0.1:1 down; server 127.0.0.1:2 down;", "--"],
  ])("picks %s", async (_name, servers, expected) => {
    expect(sequence(await group(servers), expected.length)).toBe(expected);
  });

  test("a request does not pick the same peer twice, then moves to the backups for good", async () => {
    const g = await group("server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3 backup;");
    const state = newPickState();
    const picks = [pickRoundRobin(g, state), pickRoundRobin(g, state), pickRoundRobin(g, state), pickRoundRobin(g, state)];
    expect(picks.map((p) => (p?.server.address.kind === "tcp" ? p.server.address.port : null))).toEqual([1, 2, 3, null]);
    expect(state.onBackup).toBe(true);
  });

  test("counts tries over non-down peers of both tiers, and knows a single-server upstream", async () => {
    expect((await group("server 127.0.0.1:1; server 127.0.0.1:2 down; server 127.0.0.1:3 backup;")).maxTries).toBe(2);
    expect((await group("server 127.0.0.1:1;")).isSingle).toBe(true);
    expect((await group("server 127.0.0.1:1; server 127.0.0.1:2 backup;")).isSingle).toBe(false);
  });
});
