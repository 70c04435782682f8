import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { get } from "../support/client.ts";
import { ROOT, startEdgeproxy } from "../support/proxies.ts";
import { commandLineSuite } from "./_command-line-suite.ts";
import { processSuite } from "./_process-suite.ts";
import { adapterSuite } from "./_suite.ts";

adapterSuite("node", (body) => startEdgeproxy(body));
processSuite("node", [process.execPath, "adapters/node"]);
commandLineSuite("node", [process.execPath, join(ROOT, "adapters/node")]);

/** A Node older than 22.18 on this machine (the system's, when npm's pinned one is newer), or null. */
function oldNode(): string | null {
  const r = spawnSync("/usr/bin/node", ["-p", "process.versions.node"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const [major = 0, minor = 0] = r.stdout.trim().split(".").map(Number);
  return major < 22 || (major === 22 && minor < 18) ? "/usr/bin/node" : null;
}
const OLD_NODE = oldNode();

describe("node adapter on an old Node", () => {
  test.skipIf(OLD_NODE === null)("says which Node it needs in one line, with no stack trace, and exits 1", () => {
    const r = spawnSync(OLD_NODE as string, ["adapters/node", "-t", "-c", "examples/edgeproxy.conf"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^edgeproxy: \[emerg\] Node\.js 22\.18 or newer is required, this is v\d+\.\d+\.\d+ \(.*\)\n$/);
  });
});

/** The command line a running process was started with (after any exec). */
const commandLineOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean);

// V8 sizes its young generation only at start: the Node adapter replaces itself once with the
// same Node started with a bounded one, keeping its pid, and keeps an operator's own setting.
describe.skipIf(process.platform !== "linux")("node adapter's young generation", () => {
  const echo = (port: number) => `server { listen 127.0.0.1:${port}; location / { return 200 ok; } }`;

  test("is bounded to 4 MiB semi-spaces, in the process that was started, which serves", async () => {
    const proxy = await startEdgeproxy(echo);
    try {
      expect(commandLineOf(proxy.pid).filter((a) => a.includes("semi-space"))).toEqual(["--max-semi-space-size=4"]);
      expect((await get(proxy.port, "/")).body.toString()).toBe("ok");
    } finally {
      await proxy.stop();
    }
    expect(await proxy.exited).toBe(0);
  });

  test("serves as it was started where it may not start processes (--permission)", async () => {
    const command = [process.execPath, "--permission", "--allow-fs-read=*", "--allow-fs-write=*", "adapters/node"];
    const proxy = await startEdgeproxy(echo, command);
    try {
      expect(commandLineOf(proxy.pid).filter((a) => a.includes("semi"))).toEqual([]);
      expect((await get(proxy.port, "/")).body.toString()).toBe("ok");
    } finally {
      await proxy.stop();
    }
  });

  test.each([
    ["on the command line", [process.execPath, "--max_semi_space_size=8", "adapters/node"], {}],
    ["in NODE_OPTIONS", [process.execPath, "adapters/node"], { NODE_OPTIONS: "--max-semi-space-size=8" }],
  ])("keeps the operator's own size given %s", async (_where, command, env) => {
    const proxy = await startEdgeproxy(echo, command, env);
    try {
      expect(commandLineOf(proxy.pid).filter((a) => a.includes("semi"))).toEqual(command.filter((a) => a.includes("semi")));
      expect((await get(proxy.port, "/")).body.toString()).toBe("ok");
    } finally {
      await proxy.stop();
    }
  });
});
