import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { type RunningProxy, startEdgeproxy, tempDir } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";

/**
 * Two Workers in workerd, each `wrangler dev` with its own isolate, sharing one Durable Object
 * namespace for peer health: the first defines `EdgeproxyPeerState`, the second binds it by
 * `script_name` through wrangler's dev registry, as two deployed Workers (or two isolates of
 * one) reach the same objects.
 */
function wranglerConfig(dir: string, name: string, definedBy: string | null | "kv"): string {
  const file = join(dir, `${name}.toml`);
  if (definedBy === "kv") {
    writeFileSync(
      file,
      `name = "${name}"\ncompatibility_date = "2026-11-01"\n[[kv_namespaces]]\nbinding = "EDGEPROXY_STATE"\nid = "00000000000000000000000000000000"\n`,
    );
    return file;
  }
  const binding = definedBy
    ? `{ name = "EDGEPROXY_PEERS", class_name = "EdgeproxyPeerState", script_name = "${definedBy}" }`
    : `{ name = "EDGEPROXY_PEERS", class_name = "EdgeproxyPeerState" }`;
  const migrations = definedBy ? "" : `\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["EdgeproxyPeerState"]\n`;
  writeFileSync(
    file,
    `name = "${name}"\ncompatibility_date = "2026-11-01"\ncompatibility_flags = ["enable_request_signal"]\n[durable_objects]\nbindings = [${binding}]\n${migrations}`,
  );
  return file;
}

describe("peer health through a Durable Object on Workers", () => {
  let healthy: Backend;
  let dead: LoopbackServer & { attempts: number };
  const running: RunningProxy[] = [];
  const config = (port: number) => `
    upstream u { server 127.0.0.1:${dead.port} max_fails=1 fail_timeout=60s; server 127.0.0.1:${healthy.port}; }
    server { listen 127.0.0.1:${port}; location / { proxy_pass http://u; } }`;

  beforeAll(async () => {
    healthy = await startBackend("ok");
    const server = await serveLoopback((socket) => {
      dead.attempts++;
      socket.resetAndDestroy();
    });
    dead = Object.assign(server, { attempts: 0 });
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await healthy.close();
    dead.close();
  });

  const dir = tempDir("do");
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const first = `edgeproxy-do-a-${tag}`;
  const dev = (name: string, definedBy: string | null | "kv") => [
    process.execPath,
    "scripts/workers.ts",
    "dev",
    "--config",
    wranglerConfig(dir, name, definedBy),
    "--persist-to",
    join(dir, name),
  ];

  test("a failure one Worker meets is skipped by the other on its next request", async () => {
    const a = await startEdgeproxy(config, dev(first, null));
    running.push(a);
    const b = await startEdgeproxy(config, dev(`edgeproxy-do-b-${tag}`, first));
    running.push(b);

    // Round robin starts with the dead peer: a meets it once and retries on the healthy one.
    expect((await get(a.port, "/1")).status).toBe(200);
    expect(dead.attempts).toBe(1);
    // b's very next request reads the object before it picks: it never tries the dead peer.
    for (let i = 0; i < 6; i++) expect((await get(b.port, `/b${i}`)).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await get(a.port, `/a${i}`)).status).toBe(200);
    expect(dead.attempts).toBe(1);
  });

  test("an object that cannot be reached fails no request: the isolate goes on with its own view, and says so", async () => {
    const lonely = await startEdgeproxy(config, dev(`edgeproxy-do-c-${tag}`, `edgeproxy-do-nowhere-${tag}`));
    running.push(lonely);
    for (let i = 0; i < 4; i++) expect((await get(lonely.port, `/c${i}`)).status).toBe(200);
    expect(lonely.log()).toContain("the Durable Object for peer health failed, keeping local state");
  });

  test("the Cron Trigger's health_check verdict reaches the other Worker's next request", async () => {
    const checked = await startBackend("checked");
    const withChecks = (port: number) => `
      upstream hc { server 127.0.0.1:${checked.port}; server 127.0.0.1:${healthy.port}; }
      server { listen 127.0.0.1:${port}; location / { proxy_pass http://hc; health_check uri=/healthz; } }`;
    checked.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 503 } : { body: "checked\n" });
    try {
      const cronName = `edgeproxy-do-cron-${tag}`;
      const cron = await startEdgeproxy(withChecks, dev(cronName, null));
      running.push(cron);
      const serving = await startEdgeproxy(withChecks, dev(`edgeproxy-do-serve-${tag}`, cronName));
      running.push(serving);
      expect((await get(cron.port, "/__scheduled?cron=*+*+*+*+*")).status).toBe(200);
      expect(checked.seen.map((r) => r.requestLine)).toEqual(["GET /healthz HTTP/1.1"]);
      for (let i = 0; i < 6; i++) expect((await get(serving.port, `/s${i}`)).body.toString()).toBe("ok\n");
      expect(checked.seen).toHaveLength(1);
    } finally {
      await checked.close();
    }
  });

  // The figures the README compares: what the object's read adds to a proxied request, against
  // the same Worker sharing peer health through KV (which reads nothing on the request path).
  test("measures the latency the object's read adds to a proxied request", async () => {
    const durable = await startEdgeproxy(config, dev(`edgeproxy-do-m-${tag}`, null));
    running.push(durable);
    const kv = await startEdgeproxy(config, dev(`edgeproxy-kv-m-${tag}`, "kv"));
    running.push(kv);
    const median = async (port: number) => {
      const times: number[] = [];
      for (let i = 0; i < 220; i++) {
        const started = performance.now();
        expect((await get(port, `/m${i}`)).status).toBe(200);
        if (i >= 20) times.push(performance.now() - started);
      }
      times.sort((x, y) => x - y);
      return { p50: times[100] as number, p90: times[180] as number };
    };
    const withKv = await median(kv.port);
    const withObject = await median(durable.port);
    console.log(
      `peer health on Workers (workerd, loopback): KV p50 ${withKv.p50.toFixed(2)} ms p90 ${withKv.p90.toFixed(2)} ms; ` +
        `Durable Object p50 ${withObject.p50.toFixed(2)} ms p90 ${withObject.p90.toFixed(2)} ms`,
    );
  }, 120_000);
});
