import { readdirSync } from "node:fs";
import net from "node:net";
import { describe, expect, test } from "vitest";
import { get } from "../support/client.ts";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

const openDescriptors = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts an adapter with at most `limit` file descriptors (`ulimit -n`), on a `return 200` server. */
function startLimited(adapter: "node" | "bun", limit: number): Promise<RunningProxy> {
  const [cmd, ...args] = ADAPTER_COMMANDS[adapter];
  const command = ["bash", "-c", `ulimit -n ${limit}; exec "$0" "$@"`, cmd as string, ...args];
  return startEdgeproxy((port) => `server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } }`, command);
}

/** Opens `n` connections that send nothing. */
async function openIdle(port: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    sockets.push(s);
  }
  await sleep(500);
  return sockets;
}

for (const adapter of ["node", "bun"] as const) {
  describe(`${adapter} adapter: file descriptors`, () => {
    test("gives back the descriptor of a client that leaves without a request", async () => {
      const proxy = await startLimited(adapter, 1024);
      try {
        const before = openDescriptors(proxy.pid);
        for (const s of await openIdle(proxy.port, 30)) s.end();
        await waitFor(async () => openDescriptors(proxy.pid) <= before, 3000);
        expect(openDescriptors(proxy.pid)).toBeLessThanOrEqual(before);
      } finally {
        await proxy.stop();
      }
    });

    test("logs nginx's accept4() line when descriptors run out, keeps serving, and takes everyone again once they free up", async () => {
      const proxy = await startLimited(adapter, 64);
      try {
        const flood = await openIdle(proxy.port, 120);
        // Served while the flood holds every descriptor it could get.
        expect((await get(proxy.port, "/")).status).toBe(200);
        for (const s of flood) s.destroy();
        await sleep(300);
        const again = await Promise.all(Array.from({ length: 20 }, () => get(proxy.port, "/")));
        expect(again.map((r) => r.status)).toEqual(Array(20).fill(200));
        const lines = proxy
          .log()
          .split("\n")
          .filter((l) => l.includes("accept4() failed"));
        expect(lines.length).toBeGreaterThan(0);
        // One line per 500 ms pause, as nginx: not one per refused connection.
        expect(lines.length).toBeLessThanOrEqual(4);
        expect(lines[0]).toMatch(/\[crit\] \d+#\d+: accept4\(\) failed \(24: Too many open files\)$/);
      } finally {
        await proxy.stop();
      }
    });
  });
}
