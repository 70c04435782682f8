import { fstatSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FileSpool } from "../../../adapters/node/spool.ts";
import type { SpoolFile } from "../../../core/index.ts";

/** The spool files this process holds open in `dir`, by descriptor. */
function heldIn(dir: string): string[] {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/edgeproxy-body-`);
    } catch {
      return false;
    }
  });
}

async function readAll(file: SpoolFile): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of file.read()) parts.push(chunk);
  return Buffer.concat(parts).toString("latin1");
}

async function spooled(spool: FileSpool, dir: string, body: string): Promise<SpoolFile> {
  const file = await spool.create(dir);
  await file.write(Buffer.from(body, "latin1"));
  return file;
}

describe.skipIf(process.platform !== "linux")("the Node spool's file reuse", () => {
  test("a file of a finished body takes the next one, whose reads never reach the old bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    const spool = new FileSpool();
    const first = await spooled(spool, dir, "A".repeat(300_000));
    const [fd] = heldIn(dir);
    await first.discard();
    // Kept empty: no body's bytes stay behind in an idle file.
    expect(fstatSync(Number(fd)).size).toBe(0);
    const second = await spooled(spool, dir, "B".repeat(1000));
    expect(heldIn(dir)).toEqual([fd]);
    expect(await readAll(second)).toBe("B".repeat(1000));
    expect(Buffer.from(await second.readAt(900, 500)).toString("latin1")).toBe("B".repeat(100));
    expect((await second.readAt(1000, 10)).byteLength).toBe(0);
    await second.discard();
  });

  test("a discarded body cannot be read, even once its file holds another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    const spool = new FileSpool();
    const first = await spooled(spool, dir, "secret");
    await first.discard();
    const second = await spooled(spool, dir, "other!");
    await expect(first.readAt(0, 6)).rejects.toThrow(/discarded/);
    await expect(first.write(Buffer.from("x"))).rejects.toThrow(/discarded/);
    await second.discard();
    await second.discard();
    expect(FileSpool.open).toBe(0);
  });

  test("a file that held over 1 MiB is closed, not kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    const spool = new FileSpool();
    const big = await spooled(spool, dir, "C".repeat(1024 * 1024 + 1));
    expect(heldIn(dir)).toHaveLength(1);
    await big.discard();
    expect(heldIn(dir)).toEqual([]);
  });

  test("keeps at most 32 idle files a directory, and counts only those holding a body", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    const spool = new FileSpool();
    const files = await Promise.all(Array.from({ length: 40 }, () => spooled(spool, dir, "d")));
    expect(FileSpool.open).toBe(40);
    await Promise.all(files.map((f) => f.discard()));
    expect(FileSpool.open).toBe(0);
    expect(heldIn(dir)).toHaveLength(32);
  });

  test("a file that cannot be made counts nothing and leaves nothing open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    writeFileSync(join(dir, "not-a-dir"), "");
    const spool = new FileSpool();
    await expect(spool.create(join(dir, "not-a-dir", "body"))).rejects.toThrow();
    expect(FileSpool.open).toBe(0);
    expect(heldIn(dir)).toEqual([]);
  });
});
