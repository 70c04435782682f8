import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Backend, Reply } from "../support/backend.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { compareTraces, ok, reset, type Step, startBackends, status, times } from "./_traces.ts";

// nginx-semantics 2.5: max_fails, fail_timeout, the single probe, and no reset, in whole seconds.
describe("passive health: max_fails and fail_timeout", () => {
  let b: Record<string, Backend>;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    b = await startBackends("abc");
    const s = (name: string, params = "") => `server 127.0.0.1:${b[name]?.port} ${params};`;
    proxies = await startBoth(
      (port) => `
    upstream one { ${s("a", "max_fails=1 fail_timeout=2s")} ${s("b")} }
    upstream three { ${s("a", "max_fails=3 fail_timeout=2s")} ${s("b")} }
    upstream zero { ${s("a", "max_fails=0")} ${s("b")} }
    upstream both { ${s("a", "max_fails=1 fail_timeout=2s")} ${s("b", "max_fails=1 fail_timeout=2s")} }
    upstream codes { ${s("a", "max_fails=1 fail_timeout=5s")} ${s("b", "max_fails=2 fail_timeout=5s")} }
    upstream notfound { ${s("a", "max_fails=1")} ${s("b")} }
    server {
        listen 127.0.0.1:${port};
        location /one { proxy_pass http://one; }
        location /three { proxy_pass http://three; }
        location /zero { proxy_pass http://zero; }
        location /both { proxy_pass http://both; }
        location /codes { proxy_next_upstream error timeout http_500; proxy_pass http://codes; }
        location /notfound { proxy_next_upstream error http_404; proxy_pass http://notfound; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const compare = (steps: Step[], initial: Record<string, () => Reply> = {}) => compareTraces(proxies, b, steps, initial, { align: true });

  test("skips a failed peer for fail_timeout, then probes it once and takes it back", async () => {
    const heal = () => {
      (b.a as Backend).reply = ok;
    };
    await compare(
      [...times(4, { path: "/one" }), { path: "/one", waitMs: 2100 }, { path: "/one", before: heal }, ...times(4, { path: "/one" })],
      {
        a: reset,
      },
    );
  });

  test("fails a probe and waits another fail_timeout", async () => {
    await compare(
      [...times(3, { path: "/one" }), ...times(3, { path: "/one", waitMs: 1100 }), ...times(3, { path: "/one", waitMs: 1100 })],
      { a: reset },
    );
  });

  test("counts max_fails=3 before disabling, and successes in between do not reset the count", async () => {
    let n = 0;
    // a fails every other time it is asked.
    const flaky = (): Reply => (n++ % 2 === 0 ? { reset: true } : { body: "ok\n" });
    const first: Step = {
      path: "/three",
      before: () => {
        n = 0;
      },
    };
    await compare([first, ...times(11, { path: "/three" })], { a: () => flaky() });
  });

  test("never disables a peer with max_fails=0", async () => {
    await compare(times(6, { path: "/zero" }), { a: reset });
  });

  test("answers no live upstreams until a fail_timeout passes when every peer failed", async () => {
    await compare([...times(3, { path: "/both" }), { path: "/both", waitMs: 1100 }, { path: "/both", waitMs: 1100 }], {
      a: reset,
      b: reset,
    });
  });

  test("counts a retried 500 as a failure and relays the last one (the http_500 trap)", async () => {
    const seen = await compare(times(4, { path: "/codes" }), { a: status(500), b: status(500) });
    expect(seen.map((l) => l.split(" ")[0])).toEqual(["500", "502", "502", "502"]);
  });

  test("retries a 404 without disabling the peer", async () => {
    await compare(times(4, { path: "/notfound" }), { a: status(404) });
  });
});
