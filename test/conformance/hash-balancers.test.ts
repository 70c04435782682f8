import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Backend, Reply } from "../support/backend.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { compareTraces, reset, type Step, slow, startBackends, times } from "./_traces.ts";

// nginx-semantics 3, 4.1-4.3: ip_hash from real loopback sources, hash, least_conn, random.
describe("ip_hash, hash, least_conn and random", () => {
  let b: Record<string, Backend>;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    b = await startBackends("abcd");
    const s = (name: string, params = "") => `server 127.0.0.1:${b[name]?.port} ${params};`;
    proxies = await startBoth(
      (port) => `
    upstream iphash { ip_hash; ${s("a")} ${s("b")} ${s("c")} }
    upstream iphash_weighted { ip_hash; ${s("a", "weight=3")} ${s("b", "down")} ${s("c")} }
    upstream iphash_failover { ip_hash; ${s("a")} ${s("b")} ${s("c")} }
    upstream urihash { hash $request_uri; ${s("a")} ${s("b", "weight=2")} ${s("c")} }
    upstream ring { hash $request_uri consistent; ${s("a")} ${s("b")} ${s("c")} ${s("d")} }
    upstream argring { hash $arg_user consistent; ${s("a")} ${s("b")} ${s("c")} }
    upstream least { least_conn; ${s("a")} ${s("b")} ${s("c")} }
    upstream rand { random; ${s("a", "down")} ${s("b")} }
    upstream randtwo { random two least_conn; ${s("a")} ${s("b", "down")} }
    server {
        listen 127.0.0.1:${port};
        listen [::1]:${port};
        location /iphash { proxy_pass http://iphash; }
        location /weighted { proxy_pass http://iphash_weighted; }
        location /failover { proxy_pass http://iphash_failover; }
        location /uri/ { proxy_pass http://urihash; }
        location /ring/ { proxy_pass http://ring; }
        location /arg { proxy_pass http://argring; }
        location /least { proxy_pass http://least; }
        location /rand { proxy_pass http://rand; }
        location /randtwo { proxy_pass http://randtwo; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const compare = (steps: Step[], initial: Record<string, () => Reply> = {}) => compareTraces(proxies, b, steps, initial);
  // As t/upstream_ip_hash.t: 127.0.i.2 spreads over three peers.
  const sources = Array.from({ length: 12 }, (_, i) => `127.0.${i + 1}.2`);

  test("maps loopback clients 127.x.y.z to the peers nginx maps them to", async () => {
    const seen = await compare(sources.map((from) => ({ path: "/iphash", from })));
    expect(new Set(seen.map((l) => l.split(" ")[1])).size).toBeGreaterThan(1);
  });

  test("hashes an IPv6 client's whole address", async () => {
    await compare([...times(3, { path: "/iphash", from: "::1" }), ...times(3, { path: "/weighted", from: "::1" })]);
  });

  test("keeps a client on its peer, honours weights and down peers' slots", async () => {
    await compare([...sources.map((from) => ({ path: "/weighted", from })), ...times(3, { path: "/weighted", from: "127.0.1.2" })]);
  });

  test("rehashes a client away from a failing peer and back after it", async () => {
    await compare(
      sources.map((from) => ({ path: "/failover", from })),
      { b: reset },
    );
  });

  test("hash $request_uri sends each URI where nginx sends it", async () => {
    await compare(Array.from({ length: 16 }, (_, i) => ({ path: `/uri/item/${i}?q=${i * 7}` })));
  });

  test("hash consistent agrees with nginx's ring, also when a peer fails", async () => {
    const paths = Array.from({ length: 16 }, (_, i) => ({ path: `/ring/object-${i}` }));
    await compare(paths);
    await compare(paths, { c: reset });
  });

  test("hash consistent on an argument, and an empty key falls back to round robin", async () => {
    await compare([...["alice", "bob", "carol", "dave"].map((u) => ({ path: `/arg?user=${u}` })), ...times(4, { path: "/arg" })]);
  });

  test("least_conn avoids a peer busy with a slow request", async () => {
    await compare([{ path: "/least", background: true }, ...times(4, { path: "/least" })], { a: slow(700) });
  });

  test("random never picks a down peer; random two fails over", async () => {
    await compare(times(4, { path: "/rand" }));
    await compare(times(3, { path: "/randtwo" }));
  });
});
