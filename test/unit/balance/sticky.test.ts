import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { type Balancer, createBalancer } from "../../../core/balance/balancer.ts";
import { createPeerGroup, type PeerGroup } from "../../../core/balance/peer-group.ts";
import { SessionTable, StickyPlan } from "../../../core/balance/sticky.ts";
import { compileConfig, MemoryCounters, MemoryFailureState, parseConfigText } from "../../../core/index.ts";
import type { RequestContext } from "../../../core/shape/request-context.ts";
import { letter, request } from "./_groups.ts";

interface Sticky {
  group: PeerGroup;
  plan: StickyPlan;
  balancer: Balancer;
}

async function sticky(body: string): Promise<Sticky> {
  const config = await compileConfig(parseConfigText(`events {} http { upstream u { ${body} } }`));
  const u = config.upstreams[0];
  if (!u?.sticky) throw new Error("no sticky upstream");
  const group = createPeerGroup(u, new MemoryFailureState(), new MemoryCounters());
  const sessions = u.sticky.kind === "learn" ? new SessionTable(u.sticky.capacity, u.sticky.timeoutMs) : null;
  const plan = new StickyPlan(group, u.sticky, sessions);
  return { group, plan, balancer: plan.wrap(createBalancer(group, u.balancer), () => NOW_MS) };
}

const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

/** One request's first pick, released at once. */
function pick(s: Sticky, ctx: RequestContext): string {
  const peer = s.balancer.pick(s.balancer.begin(ctx), NOW_MS / 1000);
  if (peer) peer.conns--;
  return letter(peer);
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const withCookie = (cookie: string) => request("127.0.0.1", "/", [["Cookie", cookie]]);
const servers = "server 127.0.0.1:1; server 127.0.0.1:2; server 127.0.0.1:3;";

describe("sticky cookie", () => {
  test("names a peer by the MD5 of its address in hex, or by its route=, with the attributes configured", async () => {
    const s = await sticky(`${servers} sticky cookie srv_id expires=1h domain=.example.com path=/ httponly secure samesite=none;`);
    const [a, b] = s.group.primary;
    expect(s.plan.answered(a as never, request(), [], NOW_MS)).toEqual([
      "Set-Cookie",
      `srv_id=${md5("127.0.0.1:1")}; expires=Thu, 01-Jan-26 13:00:00 GMT; max-age=3600; domain=.example.com; path=/; secure; httponly; samesite=None`,
    ]);
    expect(s.plan.answered(b as never, request(), [], NOW_MS)?.[1]).toMatch(new RegExp(`^srv_id=${md5("127.0.0.1:2")};`));
    const routed = await sticky("server 127.0.0.1:1 route=alpha; server 127.0.0.1:2; sticky cookie r expires=max;");
    expect(routed.plan.answered(routed.group.primary[0] as never, request(), [], NOW_MS)?.[1]).toBe(
      "r=alpha; expires=Thu, 31-Dec-37 23:55:55 GMT; max-age=378647755",
    );
  });

  test("a client sending the cookie goes to its peer; one without it, or with an unknown value, is balanced", async () => {
    const s = await sticky(`${servers} sticky cookie srv_id;`);
    const toC = withCookie(`a=1; srv_id=${md5("127.0.0.1:3")}`);
    expect(Array.from({ length: 6 }, () => pick(s, toC)).join("")).toBe("cccccc");
    expect(Array.from({ length: 6 }, () => pick(s, request())).join("")).toBe("abcabc");
    expect(Array.from({ length: 3 }, () => pick(s, withCookie("srv_id=nobody"))).join("")).toBe("abc");
  });

  test("sets no cookie when the client already holds the answering peer's, a new one when its peer changed", async () => {
    const s = await sticky(`${servers} sticky cookie srv_id;`);
    const [a, b] = s.group.primary;
    const holdsA = withCookie(`srv_id=${md5("127.0.0.1:1")}`);
    expect(s.plan.answered(a as never, holdsA, [], NOW_MS)).toBeNull();
    expect(s.plan.answered(b as never, holdsA, [], NOW_MS)).toEqual(["Set-Cookie", `srv_id=${md5("127.0.0.1:2")}`]);
  });

  test("a bound peer that is down or has failed is passed over for the balancer's pick, and later attempts never return to it", async () => {
    const s = await sticky("server 127.0.0.1:1 max_fails=1; server 127.0.0.1:2; sticky cookie srv_id;");
    const toA = withCookie(`srv_id=${md5("127.0.0.1:1")}`);
    const state = s.balancer.begin(toA);
    expect(letter(s.balancer.pick(state, NOW_MS / 1000))).toBe("a");
    expect(letter(s.balancer.pick(state, NOW_MS / 1000))).toBe("b");
    const a = s.group.primary[0];
    if (!a) throw new Error("no peer");
    a.health.fails = 1;
    a.health.checked = NOW_MS / 1000;
    a.conns = 0;
    expect(pick(s, toA)).not.toBe("a");
  });
});

describe("sticky route", () => {
  test("the first non-empty variable names the server by its route=; an unknown route is balanced", async () => {
    const s = await sticky("server 127.0.0.1:1 route=a; server 127.0.0.1:2 route=b; sticky route $cookie_route $arg_route;");
    expect(pick(s, request("127.0.0.1", "/?route=b"))).toBe("b");
    expect(pick(s, request("127.0.0.1", "/?route=b", [["Cookie", "route=a"]]))).toBe("a");
    expect([pick(s, request("127.0.0.1", "/?route=zz")), pick(s, request("127.0.0.1", "/?route=zz"))].sort().join("")).toBe("ab");
    expect(s.plan.answered(s.group.primary[0] as never, request(), [], NOW_MS)).toBeNull();
  });
});

describe("sticky learn", () => {
  test("learns the session the upstream's response created and sends its later requests to that peer", async () => {
    const s = await sticky(`${servers} sticky learn create=$upstream_cookie_sid lookup=$cookie_sid zone=z:1m timeout=1m;`);
    const b = s.group.primary[1];
    s.plan.answered(b as never, request(), [["Set-Cookie", "sid=s42; Path=/"]], NOW_MS);
    expect(Array.from({ length: 4 }, () => pick(s, withCookie("sid=s42"))).join("")).toBe("bbbb");
    expect(pick(s, withCookie("sid=unknown"))).not.toBe("-");
  });

  test("forgets a session unused for timeout=, and the oldest past the zone's capacity", () => {
    const table = new SessionTable(2, 60_000);
    const peer = {} as never;
    table.set("x", peer, 0);
    expect(table.get("x", 60_000)).toBe(peer);
    expect(table.get("x", 120_001)).toBeNull();
    table.set("a", peer, 0);
    table.set("b", peer, 0);
    table.set("c", peer, 0);
    expect(table.get("a", 1)).toBeNull();
    expect(table.get("c", 1)).toBe(peer);
  });
});
