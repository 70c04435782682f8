import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../support/proxies.ts";

interface Results {
  load: { scenario: string; contender: string; rps: number; ratio: number; cpuUsPerRequest: number; errors: number }[];
  uploads: { contender: string; status: string; tempFilesLeft: number | null; tempFilesLeftAfterAbort: number | null }[];
  websocket: { scenario: string; contender: string; messagesPerSecond: number; cpuUsPerMessage: number }[];
  tls: { scenario: string; contender: string; rps: number; cpuUsPerRequest: number; errors: number }[];
  guarded: { scenario: string; contender: string; rps: number; cpuUsPerRequest: number; errors: number }[];
}

/** `npm run bench -- --smoke`: every contender starts, answers right, and is measured, so the bench cannot rot. */
test("the benchmark runs end to end: every proxy measured, edgeproxy without errors or leftover files", async () => {
  const json = join(tmpdir(), `edgeproxy-bench-${process.pid}.json`);
  const child = spawn(process.execPath, ["bench/run.ts", "--smoke", "--json", json], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const code = await new Promise((r) => child.once("exit", r));
  expect(code, output).toBe(0);
  const results = JSON.parse(readFileSync(json, "utf8")) as Results;
  rmSync(json);
  const contenders = [...new Set(results.load.map((r) => r.contender))];
  expect(contenders).toHaveLength(10);
  expect(new Set(results.load.map((r) => r.scenario))).toEqual(new Set(["small GET", "64 KiB GET", "POST 256 KiB"]));
  for (const row of results.load) {
    expect(row.rps, `${row.contender}, ${row.scenario}`).toBeGreaterThan(0);
    expect(row.cpuUsPerRequest, `${row.contender}, ${row.scenario}`).toBeGreaterThan(0);
    // Ours must answer everything; the peers (nginx included) are only measured.
    if (row.contender.startsWith("edgeproxy")) expect(row.errors, `${row.contender}, ${row.scenario}`).toBe(0);
  }
  expect(results.uploads.map((u) => u.contender)).toEqual(contenders);
  for (const u of results.uploads.filter((row) => /nginx|edgeproxy/.test(row.contender))) {
    expect([u.contender, u.status, u.tempFilesLeft, u.tempFilesLeftAfterAbort]).toEqual([u.contender, "HTTP/1.1 200 OK", 0, 0]);
  }
  expect(results.websocket.map((w) => w.contender)).toEqual(["nginx, 1 worker", "edgeproxy node", "edgeproxy bun"]);
  for (const w of results.websocket) {
    expect(w.messagesPerSecond, w.contender).toBeGreaterThan(0);
    expect(w.cpuUsPerMessage, w.contender).toBeGreaterThan(0);
  }
  expect(new Set(results.tls.map((t) => t.scenario)).size).toBe(4);
  for (const t of results.tls) {
    expect(t.rps, `${t.contender}, ${t.scenario}`).toBeGreaterThan(0);
    if (t.contender.startsWith("edgeproxy")) expect(t.errors, `${t.contender}, ${t.scenario}`).toBe(0);
  }
  expect(new Set(results.guarded.map((g) => g.contender))).toEqual(new Set(["nginx, 1 worker", "edgeproxy node", "edgeproxy bun"]));
  expect(results.guarded).toHaveLength(9);
  for (const g of results.guarded) {
    expect(g.rps, `${g.contender}, ${g.scenario}`).toBeGreaterThan(0);
    if (g.contender.startsWith("edgeproxy")) expect(g.errors, `${g.contender}, ${g.scenario}`).toBe(0);
  }
  expect(output).toContain("| edgeproxy node |");
}, 180_000);
