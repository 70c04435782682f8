import { describe, expect, test } from "vitest";
import { ReadQueue } from "../../../core/index.ts";

const bytes = (n: number) => new Uint8Array([n]);

function queue() {
  const calls: string[] = [];
  const q = new ReadQueue({ pause: () => calls.push("pause"), resume: () => calls.push("resume") });
  return { q, calls };
}

describe("ReadQueue", () => {
  test("hands a chunk to a waiting read, and queues it otherwise", async () => {
    const { q } = queue();
    const waiting = q.read();
    q.push(bytes(1));
    expect(await waiting).toEqual(bytes(1));
    q.push(bytes(2));
    expect(await q.read()).toEqual(bytes(2));
  });

  test("pauses the socket past four unread chunks and resumes it once they are read", async () => {
    const { q, calls } = queue();
    for (let i = 0; i < 5; i++) q.push(bytes(i));
    expect(calls).toEqual(["pause"]);
    for (let i = 0; i < 5; i++) expect(await q.read()).toEqual(bytes(i));
    expect(calls).toEqual(["pause", "resume"]);
  });

  test("reads what came before the end, then null", async () => {
    const { q } = queue();
    q.push(bytes(1));
    q.finish(null);
    expect(q.isEnded).toBe(true);
    expect(await q.read()).toEqual(bytes(1));
    expect(await q.read()).toBeNull();
  });

  test("tells its idle watcher once when bytes arrive or the socket ends while nobody reads", async () => {
    const { q } = queue();
    let told = 0;
    q.watchIdle(() => told++);
    q.push(bytes(1));
    q.push(bytes(2));
    expect(told).toBe(1);
    // Bytes already queued, or an ended socket, tell a new watcher at once.
    q.watchIdle(() => told++);
    expect(told).toBe(2);
    const other = queue().q;
    other.watchIdle(() => told++);
    other.finish(null);
    expect(told).toBe(3);
    // A reader waiting takes the bytes: nothing idle about that.
    const busy = queue().q;
    busy.watchIdle(() => told++);
    const read = busy.read();
    busy.push(bytes(3));
    expect(await read).toEqual(bytes(3));
    busy.watchIdle(null);
    busy.finish(null);
    expect(told).toBe(3);
  });

  test("rejects a pending and a later read with the first error", async () => {
    const { q } = queue();
    const waiting = q.read();
    q.finish(new Error("reset"));
    q.finish(new Error("closed"));
    await expect(waiting).rejects.toThrow("reset");
    await expect(q.read()).rejects.toThrow("reset");
    expect(q.error?.message).toBe("reset");
  });

  test("tells its one watcher when the peer has gone: failed, or ended with nothing unread", () => {
    const ended = queue().q;
    let told = 0;
    ended.watchGone(() => told++);
    ended.finish(null);
    ended.finish(null);
    expect(told).toBe(1);
    // Watching after the fact is told at once; a removed watcher never is.
    ended.watchGone(() => told++);
    expect(told).toBe(2);

    const pipelined = queue().q;
    pipelined.push(bytes(1));
    pipelined.watchGone(() => told++);
    pipelined.finish(null);
    expect(told).toBe(2);
    pipelined.finish(new Error("reset"));
    expect(told).toBe(3);

    const unwatched = queue().q;
    unwatched.watchGone(() => told++);
    unwatched.watchGone(null);
    unwatched.finish(new Error("reset"));
    expect(told).toBe(3);
  });
});
