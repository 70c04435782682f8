import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Backend, Reply } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { compareTraces, hang, reset, type Step, startBackends, status, times } from "./_traces.ts";

const timing = {
  "moves on after an error and after a timeout by default": BECAUSE.fetchTiming,
  "answers 504 when the last try timed out and timeout is not listed": BECAUSE.fetchTiming,
  "never moves on with proxy_next_upstream off, yet still answers": BECAUSE.fetchTiming,
  "stops retrying after proxy_next_upstream_timeout": BECAUSE.fetchTiming,
};
const check = conformance({
  workers: timing,
});

// nginx-semantics 6.6, 6.7: which failures move a request on, and what the client gets.
describe("proxy_next_upstream, tries and timeouts", () => {
  let b: Record<string, Backend>;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    b = await startBackends("abc");
    const s = (name: string) => `server 127.0.0.1:${b[name]?.port} max_fails=0;`;
    const abc = `${s("a")} ${s("b")} ${s("c")}`;
    proxies = await startBoth(
      (port) => `
    upstream abc { ${abc} }
    proxy_read_timeout 1s;
    server {
        listen 127.0.0.1:${port};
        location /default { proxy_pass http://abc; }
        location /error-only { proxy_next_upstream error; proxy_pass http://abc; }
        location /off { proxy_next_upstream off; proxy_pass http://abc; }
        location /tries { proxy_next_upstream_tries 2; proxy_pass http://abc; }
        location /idempotent { proxy_next_upstream error timeout non_idempotent; proxy_pass http://abc; }
        location /codes { proxy_next_upstream error http_502 http_503 http_504 http_403 http_429; proxy_pass http://abc; }
        location /budget { proxy_next_upstream_timeout 1500ms; proxy_pass http://abc; }
        location /streamed { proxy_request_buffering off; proxy_next_upstream error non_idempotent; proxy_pass http://abc; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const compare = (steps: Step[], initial: Record<string, () => Reply> = {}) => compareTraces(proxies, b, steps, initial);

  check("moves on after an error and after a timeout by default", async () => {
    await compare(times(3, { path: "/default" }), { a: reset, b: hang });
  });

  check("answers 504 when the last try timed out and timeout is not listed", async () => {
    const seen = await compare(times(2, { path: "/error-only" }), { a: hang });
    expect(seen[0]?.startsWith("504")).toBe(true);
  });

  check("never moves on with proxy_next_upstream off, yet still answers", async () => {
    await compare(times(3, { path: "/off" }), { a: reset, b: hang });
  });

  check("stops after proxy_next_upstream_tries", async () => {
    await compare(times(3, { path: "/tries" }), { a: reset, b: reset, c: reset });
  });

  check("does not resend a POST once it reached a peer, unless non_idempotent", async () => {
    const post: Step = { path: "/default", method: "POST", body: "payload" };
    await compare(times(2, post), { a: reset });
    await compare(times(2, { ...post, path: "/idempotent" }), { a: reset });
  });

  check("resends the buffered body to the next peer", async () => {
    await compare(times(2, { path: "/idempotent", method: "PUT", body: "x".repeat(50_000) }), { a: reset });
  });

  check("retries listed statuses and relays the last answer", async () => {
    await compare(times(3, { path: "/codes" }), { a: status(502), b: status(503), c: status(429) });
    await compare(times(3, { path: "/codes" }), { a: status(403), b: status(500) });
  });

  check("stops retrying after proxy_next_upstream_timeout", async () => {
    await compare(times(2, { path: "/budget" }), { a: hang, b: hang, c: hang });
  });

  check("does not retry a streamed body once sent", async () => {
    await compare(times(2, { path: "/streamed", method: "PUT", body: "streamed body" }), { a: reset });
  });
});
