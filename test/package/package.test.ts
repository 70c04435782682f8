import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, type SeenRequest, startBackend } from "../support/backend.ts";
import { get, header } from "../support/client.ts";
import { freePort, ROOT, type RunningProxy, startNginx, tempDir } from "../support/proxies.ts";
import { BUN, consumerProject, PATH, packTarball, type Started, startIn, writeFiles } from "./_consumer.ts";

/** The repository's wrangler, run on this Node inside the consumer project. */
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** What an app or CLI of the consumer proxies to, written into its config. */
const upstreamConfig = (backend: number) => `upstream backend { server 127.0.0.1:${backend}; }
server {
    listen 127.0.0.1:{{port}};
    location = /health { return 200 "ok\\n"; }
    location /api/ {
        proxy_pass http://backend/v1/;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}`;

/**
 * The package as a user gets it: `npm pack` once (which builds dist/), installed into a fresh
 * project outside the repository, then run as the README says on Node, Bun and workerd, and
 * type-checked with `tsc --init`'s defaults.
 */
describe("the packed package in a fresh project", () => {
  let packDir: string;
  let project: string;
  let backend: Backend;
  const running: Started[] = [];

  beforeAll(async () => {
    packDir = tempDir("pack");
    project = consumerProject(packTarball(packDir));
    backend = await startBackend("app");
  }, 120_000);
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await backend?.close();
    for (const dir of [packDir, project]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a command of the project and keeps it for afterAll. */
  const start = async (command: string[], port: number, readyText?: string) => {
    const p = await startIn(project, command, port, readyText);
    running.push(p);
    return p;
  };
  /** The last request the backend saw. */
  const lastSeen = (): SeenRequest => backend.seen.at(-1) as SeenRequest;

  test("holds compiled JavaScript, declarations and source maps that point at its TypeScript", () => {
    const pkg = join(project, "node_modules", "edgeproxy");
    for (const entry of [
      "core/index",
      "adapters/node/index",
      "adapters/bun/index",
      "adapters/workers/worker",
      "adapters/hono/node",
      "adapters/hono/workers",
    ]) {
      expect(existsSync(join(pkg, "dist", `${entry}.js`)), entry).toBe(true);
      expect(existsSync(join(pkg, "dist", `${entry}.d.ts`)), entry).toBe(true);
      const map = JSON.parse(readFileSync(join(pkg, "dist", `${entry}.js.map`), "utf8")) as { sources: string[] };
      for (const source of map.sources) expect(existsSync(join(pkg, "dist", entry, "..", source)), source).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(existsSync(join(pkg, "test"))).toBe(false);
  });

  // Both with two worker threads: the compiled worker entries must be found beside their adapters.
  test("npx edgeproxy -c FILE serves a request through to a backend, and its metrics show the peer", async () => {
    const port = await freePort();
    const server = upstreamConfig(backend.port)
      .replace("{{port}}", String(port))
      .replace("    location = /health", "    location = /metrics { edgeproxy_metrics; }\n    location = /health");
    writeFiles(project, { "node.conf": `events {}\nworker_processes 2;\nhttp {\n${server}\n}\n` });
    expect(spawnSync("npx", ["edgeproxy", "-t", "-q", "-c", "node.conf"], { cwd: project, env: { ...process.env, PATH } }).status).toBe(0);
    await start(["npx", "edgeproxy", "-c", "node.conf"], port);
    const res = await get(port, "/api/items?x=1");
    expect([res.status, res.body.toString()]).toEqual([200, "app\n"]);
    expect(lastSeen().requestLine).toBe("GET /v1/items?x=1 HTTP/1.0");
    const metrics = (await get(port, "/metrics")).body.toString();
    const peer = `upstream="backend",peer="127.0.0.1:${backend.port}"`;
    expect(metrics).toMatch(new RegExp(`^edgeproxy_upstream_peer_requests_total\\{${peer}\\} 1$`, "m"));
    expect(metrics).toMatch(new RegExp(`^edgeproxy_upstream_peer_state\\{${peer},state="up"\\} 1$`, "m"));
  });

  test("edgeproxy-bun -c FILE serves a request through to a backend on Bun", async () => {
    const port = await freePort();
    writeFiles(project, {
      "bun.conf": `events {}\nworker_processes 2;\nhttp {\n${upstreamConfig(backend.port).replace("{{port}}", String(port))}\n}\n`,
    });
    // Its threads listen before the main thread says so: ready when the line is out.
    const p = await start([BUN, "x", "edgeproxy-bun", "-c", "bun.conf"], port, "edgeproxy listening on");
    const res = await get(port, "/api/bun");
    expect([res.status, res.body.toString()]).toEqual([200, "app\n"]);
    expect(lastSeen().requestLine).toBe("GET /v1/bun HTTP/1.0");
    expect(spawnSync(BUN, ["x", "edgeproxy-bun", "-V"], { cwd: project, env: { ...process.env, PATH }, encoding: "utf8" }).stderr).toMatch(
      /running on Bun /,
    );
    expect(p.output()).toContain("edgeproxy listening on");
  });

  test("a Worker importing edgeproxy/workers serves in workerd (wrangler dev)", async () => {
    const port = await freePort();
    writeFiles(project, {
      "wrangler.toml": `name = "consumer"\nmain = "src/worker.ts"\ncompatibility_date = "2026-11-01"\n\n[[kv_namespaces]]\nbinding = "PEER_HEALTH"\nid = "local"\n`,
      "src/worker.ts": `import { createWorker } from "edgeproxy/workers";

const config = ${JSON.stringify(`events {}\nhttp {\n${upstreamConfig(backend.port).replace("    listen 127.0.0.1:{{port}};\n", "")}\n}\n`)};

export default createWorker(config, "edge.conf");
`,
    });
    const inspector = await freePort();
    await start(
      [
        process.execPath,
        WRANGLER,
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspector),
        "--persist-to",
        join(project, ".state-worker"),
        "--show-interactive-dev-session=false",
      ],
      port,
      "Ready on",
    );
    const res = await get(port, "/api/worker", [`Host: 127.0.0.1:${port}`]);
    expect([res.status, res.body.toString()]).toEqual([200, "app\n"]);
    expect(lastSeen().requestLine).toBe("GET /v1/worker HTTP/1.1");
  });

  test("edgeproxy-workers dev -c FILE runs from the project's directory, with the KV binding its wrangler.toml declares", async () => {
    const port = await freePort();
    // One peer that refuses: the transition is written to the project's KV binding, not EDGEPROXY_STATE.
    const refused = await freePort();
    writeFiles(project, {
      "edge.conf": `events {}\nhttp {\n  upstream backend { server 127.0.0.1:${refused} max_fails=1; server 127.0.0.1:${backend.port}; }\n  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }\n}\n`,
    });
    const inspector = await freePort();
    const p = await start(
      [
        "npx",
        "edgeproxy-workers",
        "dev",
        "-c",
        "edge.conf",
        "--inspector-port",
        String(inspector),
        "--persist-to",
        join(project, ".state-cli"),
      ],
      port,
      "Ready on",
    );
    for (let i = 0; i < 3; i++) expect((await get(port, "/cli", [`Host: 127.0.0.1:${port}`])).body.toString()).toBe("app\n");
    await expectEventually(() => p.output().includes("KV put "));
    expect(p.output()).toContain("env.PEER_HEALTH");
    expect(p.output()).not.toContain("no Workers KV binding");
  });

  test("edgeproxy-workers deploy -c FILE bundles the config with the project's wrangler.toml (--dry-run)", () => {
    // edge.conf is the test before's.
    const r = spawnSync("npx", ["edgeproxy-workers", "deploy", "-c", "edge.conf", "--dry-run", "--outdir", join(project, ".dry-run")], {
      cwd: project,
      env: { ...process.env, PATH, WRANGLER_SEND_METRICS: "false" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("env.PEER_HEALTH");
    const bundle = readFileSync(join(project, ".dry-run", "entry.js"), "utf8");
    expect(bundle).toContain("upstream backend { server 127.0.0.1:");
    // A bad file stops before wrangler, with its line.
    writeFiles(project, { "bad.conf": "events {}\nhttp {\n  upstream u { server unix:/run/app.sock; }\n}\n" });
    const bad = spawnSync("npx", ["edgeproxy-workers", "deploy", "-c", "bad.conf", "--dry-run"], {
      cwd: project,
      env: { ...process.env, PATH },
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`edgeproxy: [emerg] ${join(project, "bad.conf")}:3: unix sockets are not available on Cloudflare Workers`);
  });

  test("type-checks a consumer of every entry, and the README's Hono example, with tsc --init's defaults", () => {
    writeFiles(project, {
      "typed/consumer.ts": `import { compileConfigSync, type Config, createProxy, parseConfigText } from "edgeproxy";
import { main as bunMain } from "edgeproxy/bun";
import { edgeproxy, edgeproxyHandler } from "edgeproxy/hono";
import { main, type Started } from "edgeproxy/node";
import { createWorker } from "edgeproxy/workers";
import { Hono } from "hono";

type IsAny<T> = 0 extends 1 & T ? true : false;
const config: Config = compileConfigSync(parseConfigText("events {} http { server { location / { return 200; } } }"));
export const worker = createWorker("events {} http {}", "edge.conf", { kvBinding: "PEER_HEALTH" });
export const app = new Hono();
app.use(edgeproxy(config, { unmatched: "next" }));
app.all("/api/*", edgeproxyHandler("upstream a { server 127.0.0.1:1; } server { location / { proxy_pass http://a; } }"));
export const started: Promise<Started | number> = main(["-t", "-c", "edge.conf"]);
export const resolved: [IsAny<typeof worker.fetch>, IsAny<typeof main>, IsAny<typeof bunMain>, IsAny<typeof edgeproxy>, IsAny<typeof createProxy>] = [false, false, false, false, false];
`,
    });
    // The README's Hono example, as it is written there.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = /## In a Hono app\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('from "edgeproxy/hono"');
    writeFiles(project, { "typed/readme-hono.ts": example as string });
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const dir = join(project, "typed");
    execFileSync(process.execPath, [tsc, "--init"], { cwd: dir, stdio: "ignore" });
    const check = (...args: string[]) => spawnSync(process.execPath, [tsc, "-p", ".", "--noEmit", ...args], { cwd: dir, encoding: "utf8" });
    const defaults = check();
    expect(defaults.stdout, defaults.stdout).toBe("");
    // And every declaration file it reaches, ours and Hono's, with no runtime types loaded.
    const strict = check("--skipLibCheck", "false");
    expect(strict.stdout, strict.stdout).toBe("");
  });

  describe("the same Hono app", () => {
    let nginx: RunningProxy;
    let nginxSaw: SeenRequest;
    /** A port nothing listens on: the first peer of the app's `flaky` upstream. */
    let refused: number;

    beforeAll(async () => {
      refused = await freePort();
      nginx = await startNginx((port) => upstreamConfig(backend.port).replace("{{port}}", String(port)));
      await get(nginx.port, "/api/items?x=1", [`Host: 127.0.0.1:${nginx.port}`]);
      nginxSaw = lastSeen();
      writeFiles(project, {
        "hono/app.ts": `import { Hono } from "hono";
import { edgeproxy } from "edgeproxy/hono";

const config = ${JSON.stringify(`${upstreamConfig(backend.port).replace("    listen 127.0.0.1:{{port}};\n", "")}
upstream flaky { server 127.0.0.1:${refused} max_fails=1; server 127.0.0.1:${backend.port}; }
server { server_name flaky.test; location / { proxy_pass http://flaky; } }`)};

/** The app of the README: nginx's locations first, the app's own routes for the rest. */
export function createApp(): Hono {
  const app = new Hono();
  app.use(edgeproxy(config, { unmatched: "next" }));
  app.get("/hello", (c) => c.text("hello from hono\\n"));
  return app;
}
`,
        "hono/node.ts": `import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";

serve({ fetch: createApp().fetch, port: Number(process.argv[2]), hostname: "127.0.0.1" });
`,
        "hono/bun.ts": `import { createApp } from "./app.ts";

Bun.serve({ fetch: createApp().fetch, port: Number(process.argv[2]), hostname: "127.0.0.1" });
`,
        "hono/worker.ts": `import { createApp } from "./app.ts";

export default createApp();
`,
        "hono/wrangler.toml": `name = "consumer-hono"\nmain = "worker.ts"\ncompatibility_date = "2026-11-01"\n\n[[kv_namespaces]]\nbinding = "PEER_HEALTH"\nid = "local"\n`,
      });
    });
    afterAll(() => nginx?.stop());

    const runtimes = [
      {
        runtime: "Node (@hono/node-server)",
        command: (port: number) => [process.execPath, "hono/node.ts", String(port)],
        ready: undefined,
        exact: true,
      },
      { runtime: "Bun (Bun.serve)", command: (port: number) => [BUN, "hono/bun.ts", String(port)], ready: undefined, exact: true },
      {
        runtime: "workerd (wrangler dev)",
        command: (port: number) => [
          process.execPath,
          WRANGLER,
          "dev",
          "--config",
          "hono/wrangler.toml",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--persist-to",
          join(project, ".state-hono"),
          "--show-interactive-dev-session=false",
        ],
        ready: "Ready on",
        exact: false,
      },
    ];

    test.each(runtimes)("proxies nginx's locations and hands the rest to Hono on $runtime", async ({ runtime, command, ready, exact }) => {
      const port = await freePort();
      const args = command(port);
      if (ready) args.push("--inspector-port", String(await freePort()));
      const app = await start(args, port, ready);
      const host = [`Host: 127.0.0.1:${port}`];

      const api = await get(port, "/api/items?x=1", host);
      expect([api.status, api.body.toString()], app.output()).toEqual([200, "app\n"]);
      const saw = lastSeen();
      expect(saw.headers.find(([n]) => n.toLowerCase() === "x-forwarded-for")?.[1]).toBe("127.0.0.1");
      if (exact) {
        // The core's HTTP/1 client: what the upstream sees is what nginx sends for the same config.
        expect(saw.requestLine).toBe(nginxSaw.requestLine);
        const ours = (r: SeenRequest) => r.headers.filter(([n]) => ["host", "connection", "x-forwarded-for"].includes(n.toLowerCase()));
        expect(ours(saw)).toEqual(ours(nginxSaw));
      } else {
        // fetch: HTTP/1.1 and the peer's own Host, as the README's Workers table says.
        expect(saw.requestLine).toBe("GET /v1/items?x=1 HTTP/1.1");
      }

      expect((await get(port, "/health", host)).body.toString()).toBe("ok\n");
      expect((await get(port, "/hello", host)).body.toString()).toBe("hello from hono\n");
      expect((await get(port, "/elsewhere", host)).status).toBe(404);
      // nginx's 301 for /api names the port the client used (a connection's local port of 0 gave :0).
      const redirect = await get(port, "/api", host);
      expect([redirect.status, header(redirect, "location")]).toEqual([301, `http://127.0.0.1:${port}/api/`]);

      // A refusing peer is passed over, and on Workers its failure goes to the project's KV namespace.
      expect((await get(port, "/flaky", ["Host: flaky.test"])).body.toString()).toBe("app\n");
      if (runtime.startsWith("workerd")) {
        await expectEventually(() => app.output().includes("KV put "));
        expect(app.output()).not.toContain("no Workers KV binding");
      }
    });
  });
});

async function expectEventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(check()).toBe(true);
}
