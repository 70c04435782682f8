import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { type RunningProxy, startEdgeproxy } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

/** `edgeproxy-workers dev` on a config: wrangler dev, with /__scheduled when it has health checks. */
const startWorker = (persistTo: string) => (body: (port: number) => string) =>
  startEdgeproxy(body, [process.execPath, "scripts/workers.ts", "dev", "--persist-to", persistTo], { EDGEPROXY_KV_REFRESH_MS: "200" });

/** Runs the Worker's Cron Trigger once, as Cloudflare would on its schedule. */
async function runCron(proxy: RunningProxy): Promise<void> {
  const res = await get(proxy.port, "/__scheduled?cron=*+*+*+*+*");
  expect(res.status).toBe(200);
}

// The checks run from the Cron Trigger (scheduled handler) in one isolate and reach the isolates
// serving requests through the same KV namespace: here two wrangler dev instances sharing a store.
describe("health_check on Workers, from a Cron Trigger through KV", () => {
  let a: Backend;
  let b: Backend;
  let persist: string;
  const running: RunningProxy[] = [];
  const config = (port: number) => `
    upstream u { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; }
    server {
        listen 127.0.0.1:${port};
        location = /health { return 200 "ok\\n"; }
        location / { proxy_pass http://u; health_check uri=/healthz; }
    }`;
  const clientRequests = (backend: Backend) => backend.seen.filter((s) => !s.requestLine.includes("/healthz"));

  beforeAll(async () => {
    a = await startBackend("a");
    b = await startBackend("b");
    persist = mkdtempSync(join(tmpdir(), "edgeproxy-hc-"));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await a.close();
    await b.close();
    rmSync(persist, { recursive: true, force: true });
  });

  test("the cron marks a failing peer unhealthy in KV; the serving instance skips it before any client reaches it, and takes it back", async () => {
    a.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 503 } : { body: "a\n" });
    const cron = await startWorker(persist)(config);
    running.push(cron);
    const serving = await startWorker(persist)(config);
    running.push(serving);

    await runCron(cron);
    expect(a.seen.map((s) => s.requestLine)).toEqual(["GET /healthz HTTP/1.1"]);
    expect(cron.log()).toContain(
      `peer is unhealthy while checking status code, health check "" of peer 127.0.0.1:${a.port} in upstream "u"`,
    );
    // wrangler relays the Worker's console through its own output: the line may trail the response.
    await waitFor(async () => /KV put u\|127\.0\.0\.1:\d+\|1 unhealthy/.test(cron.log()));

    // The serving instance reads KV after a response, at most every 200 ms here.
    await get(serving.port, "/health");
    await new Promise((r) => setTimeout(r, 250));
    await get(serving.port, "/health");
    await new Promise((r) => setTimeout(r, 250));
    for (let i = 0; i < 6; i++) expect((await get(serving.port, `/r${i}`)).body.toString()).toBe("b\n");
    expect(clientRequests(a)).toHaveLength(0);

    a.reply = (req) => (req.requestLine.includes("/healthz") ? { status: 200 } : { body: "a\n" });
    await runCron(cron);
    expect(cron.log()).toContain(`peer is healthy while checking status code, health check "" of peer 127.0.0.1:${a.port} in upstream "u"`);
    await waitFor(async () => {
      await get(serving.port, "/health");
      await new Promise((r) => setTimeout(r, 250));
      const bodies = await Promise.all([0, 1, 2, 3].map((i) => get(serving.port, `/s${i}`).then((r) => r.body.toString())));
      return bodies.includes("a\n");
    });
  });
});
