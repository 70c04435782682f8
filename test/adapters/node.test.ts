import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
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
