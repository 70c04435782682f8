import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../support/proxies.ts";

/** Bytes of heap per connection, from bench/idle-heap.ts run under a runtime. */
interface IdleHeap {
  readonly bare: { readonly fresh: number; readonly afterRequest: number };
  readonly edgeproxy: { readonly fresh: number; readonly afterRequest: number };
}

const RUNTIMES = {
  node: [process.execPath, "--expose-gc", "bench/idle-heap.ts", "2000"],
  bun: [join(ROOT, "node_modules", ".bin", "bun"), "bench/idle-heap.ts", "2000"],
};

// Issue #12, item 7: an idle client connection costs at most 2 KiB beyond the socket itself
// (nginx: about 0.5 KiB), measured with 2,000 of them. Between requests the server keeps a
// small session and no promise; see bench/idle-connections.ts for the RSS figures against nginx.
describe("an idle client connection", () => {
  for (const [runtime, command] of Object.entries(RUNTIMES)) {
    test(`holds at most 2 KiB beyond a bare ${runtime} socket, before and after a request`, () => {
      const run = spawnSync(command[0] as string, command.slice(1), { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      const heap = JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as IdleHeap;
      expect(heap.edgeproxy.fresh - heap.bare.fresh).toBeLessThanOrEqual(2048);
      expect(heap.edgeproxy.afterRequest - heap.bare.afterRequest).toBeLessThanOrEqual(2048);
    }, 90_000);
  }
});
