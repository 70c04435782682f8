import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Backend, Reply } from "../support/backend.ts";
import { freePort, type RunningProxy, startBoth } from "../support/proxies.ts";
import { compareTraces, reset, type Step, startBackends, times } from "./_traces.ts";

// nginx-semantics 2.4, 2.6, 2.7: which peer each request goes to, tiers and "no live upstreams".
describe("round robin, backup and down", () => {
  let b: Record<string, Backend>;
  let proxies: RunningProxy[];
  let refused: number;

  beforeAll(async () => {
    b = await startBackends("abcde");
    refused = await freePort();
    const s = (name: string, params = "") => `server 127.0.0.1:${b[name]?.port} ${params};`;
    proxies = await startBoth(
      (port) => `
    upstream weighted { ${s("a", "weight=5")} ${s("b")} ${s("c")} }
    upstream tiers { ${s("a")} ${s("b", "down")} ${s("c")} ${s("d", "backup")} ${s("e", "backup weight=2")} }
    upstream primaries_fail { ${s("a", "max_fails=1")} ${s("b", "max_fails=1")} ${s("d", "backup")} }
    upstream single { ${s("a")} }
    upstream single_backup { ${s("a")} ${s("d", "backup")} }
    upstream all_fail { ${s("a")} ${s("b")} }
    upstream with_refused { server 127.0.0.1:${refused}; ${s("b")} }
    upstream all_down { ${s("a", "down")} ${s("b", "down")} }
    server {
        listen 127.0.0.1:${port};
        location /weighted { proxy_pass http://weighted; }
        location /tiers { proxy_pass http://tiers; }
        location /primaries_fail { proxy_pass http://primaries_fail; }
        location /single { proxy_pass http://single; }
        location /sbackup { proxy_pass http://single_backup; }
        location /all_fail { proxy_pass http://all_fail; }
        location /with_refused { proxy_pass http://with_refused; }
        location /all_down { proxy_pass http://all_down; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const compare = (steps: Step[], initial: Record<string, () => Reply> = {}) => compareTraces(proxies, b, steps, initial);

  test("spreads 5:1:1 as a a b a c a a", async () => {
    const seen = await compare(times(14, { path: "/weighted" }));
    expect(seen.map((l) => l.split(" ")[1]).join("")).toBe("aabacaaaabacaa");
  });

  test("skips down peers and keeps backups idle while a primary lives", async () => {
    await compare(times(6, { path: "/tiers" }));
  });

  test("moves a request to the backups when every primary fails, and later requests straight there", async () => {
    await compare(times(4, { path: "/primaries_fail" }), { a: reset, b: reset });
  });

  test("retries nothing on a single-server upstream and never calls it unavailable", async () => {
    await compare(times(3, { path: "/single" }), { a: reset });
  });

  test("treats one primary with a backup as a real upstream", async () => {
    await compare(times(3, { path: "/sbackup" }), { a: reset });
  });

  test("tries every peer once, then says no live upstreams without resetting", async () => {
    const seen = await compare(times(3, { path: "/all_fail" }), { a: reset, b: reset });
    expect(seen[0]).toBe("502 - [a b]");
  });

  test("fails over from a refused connection", async () => {
    await compare(times(4, { path: "/with_refused" }));
  });

  test("answers 502 when every peer is down", async () => {
    await compare(times(2, { path: "/all_down" }));
  });
});
