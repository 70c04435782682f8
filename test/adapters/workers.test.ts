import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { ROOT, type RunningProxy, startEdgeproxy, tempDir, wrapConfig } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";
import { adapterSuite, type StartAdapter } from "./_suite.ts";

/** `npm run dev:workers -- -c FILE`: the Worker in workerd, on the config's listen address. */
const startWorker =
  (persistTo?: string, env: Record<string, string> = {}): StartAdapter =>
  (body) =>
    startEdgeproxy(body, [process.execPath, "scripts/workers.ts", "dev", ...(persistTo ? ["--persist-to", persistTo] : [])], env);

adapterSuite("workers", startWorker(), {
  "listens on IPv4, IPv6 and a unix socket": "a Worker has no listen sockets: routes decide, wrangler dev binds one address",
  "selects the server by local address on a wildcard listen": "no listen addresses at the edge; servers are chosen by Host alone",
  "reuses upstream connections with keepalive": "Workers' fetch owns upstream connections and always speaks HTTP/1.1",
  "closes upstream connections without keepalive": "Workers' fetch owns upstream connections and drops Connection",
  "drops the spooled body when the client aborts mid-upload": "bodies stay in memory on Workers; there is no spool file to drop",
});

// Peer health in Workers KV (issue 4): transitions only, shared between isolates, never fatal.
describe("workers KV failure state", () => {
  let a: Backend;
  let b: Backend;
  let persist: string;
  const running: RunningProxy[] = [];
  const config = (upstreamName: string) => (port: number) =>
    `
    upstream ${upstreamName} { server 127.0.0.1:${a.port} max_fails=1 fail_timeout=30s; server 127.0.0.1:${b.port}; }
    server {
        listen 127.0.0.1:${port};
        location = /health { return 200 "ok\\n"; }
        location / { proxy_pass http://${upstreamName}; }
    }`;

  beforeAll(async () => {
    a = await startBackend("a");
    b = await startBackend("b");
    persist = mkdtempSync(join(tmpdir(), "edgeproxy-kv-"));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await a.close();
    await b.close();
    rmSync(persist, { recursive: true, force: true });
  });
  const settle = () => new Promise((r) => setTimeout(r, 400));
  const puts = (p: RunningProxy) => (p.log().match(/KV put /g) ?? []).length;

  test("writes to KV only when a peer changes state, and sees the other instance's failures", async () => {
    const env = { EDGEPROXY_KV_REFRESH_MS: "300" };
    const x = await startWorker(persist, env)(config("shared"));
    running.push(x);
    const y = await startWorker(persist, env)(config("shared"));
    running.push(y);
    a.reply = () => ({ reset: true });

    // Healthy traffic costs no write.
    for (let i = 0; i < 4; i++) expect((await get(y.port, "/health")).status).toBe(200);
    await settle();
    expect(puts(y)).toBe(0);

    // x finds a failing: one write for the transition, none for the requests after it.
    for (let i = 0; i < 5; i++) expect((await get(x.port, "/x")).status).toBe(200);
    await settle();
    expect(puts(x)).toBe(1);
    expect(a.seen).toHaveLength(1);

    // y reads it after its refresh interval and never tries a itself.
    await get(y.port, "/health");
    await settle();
    await get(y.port, "/health");
    await settle();
    for (let i = 0; i < 4; i++) expect((await get(y.port, "/y")).body.toString()).toBe("b\n");
    expect(a.seen).toHaveLength(1);
  });

  test("a status page reads the other instance's transitions from KV at once, beside this isolate's own counts", async () => {
    // Refreshing only at the first request: after that, only the status page reads KV.
    const env = { EDGEPROXY_KV_REFRESH_MS: "600000" };
    const shared = mkdtempSync(join(tmpdir(), "edgeproxy-kv-"));
    const withStatus = (port: number) =>
      config("viewed")(port).replace("location = /health", "location = /upstreams { edgeproxy_status; } location = /health");
    const x = await startWorker(shared, env)(withStatus);
    running.push(x);
    const y = await startWorker(shared, env)(withStatus);
    running.push(y);
    expect((await get(y.port, "/health")).status).toBe(200);
    a.reply = () => ({ reset: true });
    expect((await get(x.port, "/x")).status).toBe(200);
    await waitFor(async () => puts(x) === 1);
    const view = JSON.parse((await get(y.port, "/upstreams")).body.toString());
    const failed = view.viewed.peers[0];
    expect([failed.server, failed.state, failed.health.fails]).toEqual([`127.0.0.1:${a.port}`, "unavail", 1]);
    // y never sent it a request: the counts are the isolate's own.
    expect([failed.requests, failed.fails]).toEqual([0, 0]);
    const seenBy = JSON.parse((await get(x.port, "/upstreams")).body.toString()).viewed.peers[0];
    expect([seenBy.state, seenBy.requests, seenBy.fails, seenBy.unavail]).toEqual(["unavail", 1, 1, 1]);
  });

  test("keeps serving when KV refuses a write", async () => {
    // A peer key over KV's 512-byte key limit makes every put throw inside workerd.
    const w = await startWorker(mkdtempSync(join(tmpdir(), "edgeproxy-kv-")))(config(`u${"x".repeat(600)}`));
    running.push(w);
    a.reply = () => ({ reset: true });
    for (let i = 0; i < 3; i++) expect((await get(w.port, "/z")).status).toBe(200);
    await settle();
    expect(w.log()).toContain("KV put failed");
  });
});

describe("workers config at startup", () => {
  const devWith = (http: string) => {
    const dir = tempDir("wbad");
    const file = join(dir, "edge.conf");
    writeFileSync(file, wrapConfig(dir, http));
    const r = spawnSync(process.execPath, ["scripts/workers.ts", "dev", "-c", file], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    rmSync(dir, { recursive: true, force: true });
    return { ...r, file };
  };

  test("refuses a unix-socket upstream with the line that names it", () => {
    const r = devWith("upstream u {\n  server unix:/run/app.sock;\n}\nserver { listen 127.0.0.1:1; location / { proxy_pass http://u; } }");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${r.file}:14: unix sockets are not available on Cloudflare Workers in "server unix:/run/app.sock"`);
  });

  test("refuses an include inside a map, as every include", () => {
    const r = devWith("map $uri $v {\n  include keys.map;\n}\nserver { listen 127.0.0.1:1; location / { return 200 $v; } }");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/edge\.conf:14: open\(\) "[^"]*keys\.map" failed \(include is not available on Workers/);
  });

  test("refuses if (-f) and its kin with the line of the if, anywhere in a script", () => {
    const r = devWith(
      "server { listen 127.0.0.1:1;\n  location / {\n    set $a 1;\n    if ($a) { }\n    if (!-e /srv/$uri) { return 404; }\n  }\n}",
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${r.file}:17: the "!-e" condition of "if" needs a file system, which Cloudflare Workers do not have`);
  });

  test("refuses a bad config before starting workerd", () => {
    const r = devWith("server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:1; proxy_read_timeout 1.5s; } }");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/edge\.conf:13: "proxy_read_timeout" directive invalid value(\n|$)/);
  });
});
