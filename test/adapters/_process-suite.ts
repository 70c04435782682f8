import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startBackend } from "../support/backend.ts";
import { get } from "../support/client.ts";
import { freePort, ROOT, startEdgeproxy, startEdgeproxyMain, tempDir, wrapConfig } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

/** What every socket-owning adapter's command line does: -t, refusing bad configs, SIGTERM. */
export function processSuite(name: string, command: string[]): void {
  describe(`${name} adapter process`, () => {
    const check = (http: string) => {
      const dir = tempDir("t");
      const file = join(dir, "edgeproxy.conf");
      writeFileSync(file, wrapConfig(dir, http));
      const r = spawnSync(command[0] as string, [...command.slice(1), "-t", "-c", file], { cwd: ROOT, encoding: "utf8" });
      return { status: r.status, stderr: r.stderr, file };
    };

    test("-t accepts a good config and exits 0, like nginx -t", () => {
      const r = check("server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:9; } }");
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`configuration file ${r.file} test is successful`);
    });

    test("-t refuses a bad config with FILE:LINE and exits 1", () => {
      const r = check("upstream u {\n  server 10.0.0.1 weight=abc;\n}");
      expect(r.status).toBe(1);
      // wrapConfig puts 12 lines before the http contents: the server line is line 14.
      expect(r.stderr).toContain(`${r.file}:14: invalid parameter "weight=abc" in "server 10.0.0.1 weight=abc"`);
      expect(r.stderr).toContain("test failed");
    });

    test("refuses to start on a bad config and listens on nothing", async () => {
      const port = await freePort();
      const dir = tempDir("bad");
      const file = join(dir, "edgeproxy.conf");
      writeFileSync(file, wrapConfig(dir, `server { listen 127.0.0.1:${port}; location / { proxy_pass ftp://x; } }`));
      const r = spawnSync(command[0] as string, [...command.slice(1), "-c", file], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/edgeproxy\.conf:\d+: invalid URL prefix in "ftp:\/\/x"/);
    });

    test("refuses to start when an error_log cannot be opened, as nginx does, and listens on nothing", async () => {
      const port = await freePort();
      const dir = tempDir("badlog");
      const file = join(dir, "edgeproxy.conf");
      const server = `server { listen 127.0.0.1:${port}; error_log ${dir}/missing/error.log; location / { return 200; } }`;
      writeFileSync(file, wrapConfig(dir, server));
      const r = spawnSync(command[0] as string, [...command.slice(1), "-c", file], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`[emerg] open() "${dir}/missing/error.log" failed`);
      expect((await get(port, "/")).status).toBe(0);
    });

    test("on SIGTERM stops accepting, finishes the request in flight and exits 0", async () => {
      const backend = await startBackend("slow");
      backend.reply = () => ({ body: "finished\n", delayMs: 800 });
      const proxy = await startEdgeproxy(
        (port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`,
      );
      try {
        const inFlight = get(proxy.port, "/slow");
        await new Promise((r) => setTimeout(r, 200));
        process.kill(proxy.pid, "SIGTERM");
        await new Promise((r) => setTimeout(r, 200));
        expect((await get(proxy.port, "/new")).closedSilently).toBe(true);
        const res = await inFlight;
        expect(res.status).toBe(200);
        expect(res.body.toString()).toBe("finished\n");
        expect(await proxy.exited).toBe(0);
      } finally {
        await proxy.stop();
        await backend.close();
      }
    });

    test("worker_shutdown_timeout bounds the wait for requests in flight", async () => {
      const backend = await startBackend("stuck");
      backend.reply = () => ({ body: "too late\n", delayMs: 20_000 });
      const proxy = await startEdgeproxyMain(
        "worker_shutdown_timeout 1s;",
        (port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`,
        command,
      );
      try {
        const inFlight = get(proxy.port, "/stuck");
        await waitFor(async () => backend.seen.length === 1);
        const signalled = performance.now();
        process.kill(proxy.pid, "SIGTERM");
        expect(await proxy.exited).toBe(0);
        const waited = performance.now() - signalled;
        expect(waited).toBeGreaterThan(900);
        expect(waited).toBeLessThan(5000);
        expect((await inFlight).status).not.toBe(200);
      } finally {
        await proxy.stop();
        await backend.close();
      }
    });

    test("on SIGHUP serves the new config, refuses a bad one with FILE:LINE and keeps serving", async () => {
      const v1 = (port: number) => `server { listen 127.0.0.1:${port}; location / { return 200 "v1\\n"; } }`;
      const proxy = await startEdgeproxy(v1, command);
      try {
        const file = `${proxy.dir}/edgeproxy.conf`;
        expect((await get(proxy.port, "/")).body.toString()).toBe("v1\n");
        writeFileSync(file, wrapConfig(proxy.dir, `server { listen 127.0.0.1:${proxy.port}; location / { return 200 "v2\\n"; } }`));
        process.kill(proxy.pid, "SIGHUP");
        await waitFor(async () => (await get(proxy.port, "/")).body.toString() === "v2\n");
        writeFileSync(
          file,
          wrapConfig(proxy.dir, `server { listen 127.0.0.1:${proxy.port}; location / { return 200 "v3\\n"; proxy_read_timeout 1.5s; } }`),
        );
        process.kill(proxy.pid, "SIGHUP");
        await waitFor(async () => proxy.log().includes("reload failed"));
        expect(proxy.log()).toMatch(
          /reload failed, still serving the previous configuration: .*edgeproxy\.conf:13: "proxy_read_timeout" directive invalid value/,
        );
        expect((await get(proxy.port, "/")).body.toString()).toBe("v2\n");
      } finally {
        await proxy.stop();
      }
    });
  });
}
