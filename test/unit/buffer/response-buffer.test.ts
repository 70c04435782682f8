import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FileSpool } from "../../../adapters/node/spool.ts";
import { bufferResponse } from "../../../core/buffer/response-buffer.ts";
import type { ResponseBufferSizes } from "../../../core/config/response-buffering.ts";

const KIB = 1024;
const tick = () => new Promise((r) => setTimeout(r, 20));

/** An upstream body of `count` chunks of `size` bytes (chunk i filled with i), noting how many were read. */
function upstream(count: number, size: number, failAfter = Number.POSITIVE_INFINITY) {
  const state = { read: 0, returned: false };
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < count; i++) {
        if (i === failAfter) throw new Error("upstream prematurely closed connection");
        state.read++;
        yield new Uint8Array(size).fill(i % 256);
      }
    } finally {
      state.returned = true;
    }
  }
  return { body: body(), state };
}

const dir = mkdtempSync(join(tmpdir(), "edgeproxy-response-buffer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sizes = (memoryBytes: number, maxTempFileBytes: number): ResponseBufferSizes => ({ memoryBytes, maxTempFileBytes, tempPath: dir });

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of body) out.push(chunk);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

describe("bufferResponse", () => {
  test("reads the whole upstream body while the client waits, spilling past proxy_buffers to a temp file, in order", async () => {
    const source = upstream(40, 16 * KIB);
    const body = bufferResponse(source.body, sizes(32 * KIB, 1024 * KIB), new FileSpool(), () => {});
    const it = body[Symbol.asyncIterator]();
    const first = await it.next();
    // The client takes one chunk and stops: the upstream is read to its end regardless.
    for (let i = 0; i < 50 && source.state.read < 40; i++) await tick();
    expect(source.state.read).toBe(40);
    expect(FileSpool.open).toBe(1);
    const rest: Uint8Array[] = [];
    for (let next = await it.next(); !next.done; next = await it.next()) rest.push(next.value);
    const all = concat([first.value as Uint8Array, ...rest]);
    expect(all.length).toBe(40 * 16 * KIB);
    for (let i = 0; i < 40; i++) expect(all[i * 16 * KIB]).toBe(i);
    expect(FileSpool.open).toBe(0);
  });

  test("without temp files, a client that does not read holds the upstream back at proxy_buffers", async () => {
    const source = upstream(40, 16 * KIB);
    const body = bufferResponse(source.body, sizes(32 * KIB, 0), new FileSpool(), () => {});
    const it = body[Symbol.asyncIterator]();
    await it.next();
    for (let i = 0; i < 10; i++) await tick();
    // Memory holds what proxy_buffers allow, and one chunk over it: the rest waits upstream.
    expect(source.state.read).toBeLessThanOrEqual(4);
    expect(FileSpool.open).toBe(0);
    const rest = await readAll({ [Symbol.asyncIterator]: () => it });
    expect(rest.length).toBe(39);
    expect(source.state.read).toBe(40);
  });

  test("stops at proxy_max_temp_file_size and waits for the client", async () => {
    const source = upstream(40, 16 * KIB);
    const body = bufferResponse(source.body, sizes(32 * KIB, 128 * KIB), new FileSpool(), () => {});
    const it = body[Symbol.asyncIterator]();
    await it.next();
    for (let i = 0; i < 10; i++) await tick();
    expect(source.state.read).toBeLessThan(40);
    expect(source.state.read).toBeGreaterThan(8);
    const rest = await readAll({ [Symbol.asyncIterator]: () => it });
    expect(concat(rest).length).toBe(39 * 16 * KIB);
  });

  test("passes on what came before an upstream failure, then the failure", async () => {
    const source = upstream(40, 16 * KIB, 10);
    const body = bufferResponse(source.body, sizes(32 * KIB, 1024 * KIB), new FileSpool(), () => {});
    const got: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const chunk of body) got.push(chunk);
      })(),
    ).rejects.toThrow("upstream prematurely closed connection");
    expect(concat(got).length).toBe(10 * 16 * KIB);
    expect(FileSpool.open).toBe(0);
  });

  test("a client that leaves drops the upstream and the temp file", async () => {
    const source = upstream(1000, 16 * KIB);
    let discarded = false;
    const body = bufferResponse(source.body, sizes(32 * KIB, 1024 * KIB), new FileSpool(), () => {
      discarded = true;
    });
    for await (const _ of body) break;
    for (let i = 0; i < 10 && !source.state.returned; i++) await tick();
    expect(source.state.returned).toBe(true);
    expect(source.state.read).toBeLessThan(1000);
    expect(discarded).toBe(true);
    expect(FileSpool.open).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
