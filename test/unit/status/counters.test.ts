import { Worker } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import { MemoryCounters, SharedCounters } from "../../../core/index.ts";
import {
  ACTIVE,
  add,
  BUCKET_BOUNDS_MS,
  HISTOGRAM_WORDS,
  histogramAt,
  observe,
  PEER_ACTIVE,
  PEER_REQUESTS,
  PEER_SELECTED,
  REQUESTS,
  WAITING,
} from "../../../core/status/layout.ts";

describe("MemoryCounters", () => {
  test("a peer key gets the same words every time; totals are copies", () => {
    const counters = new MemoryCounters();
    const peer = counters.peer("u|10.0.0.1:80|1");
    expect(counters.peer("u|10.0.0.1:80|1")).toBe(peer);
    add(peer, PEER_REQUESTS, 3);
    add(counters.server, REQUESTS);
    const totals = counters.peerTotals("u|10.0.0.1:80|1");
    add(peer, PEER_REQUESTS);
    expect([totals[PEER_REQUESTS], counters.peerTotals("u|10.0.0.1:80|1")[PEER_REQUESTS]]).toEqual([3, 4]);
    expect(counters.serverTotals()[REQUESTS]).toBe(1);
  });
});

describe("SharedCounters", () => {
  test("each thread counts in its own segment; any thread reads the sums", () => {
    const buffer = SharedCounters.allocate(3, 64);
    const threads = [0, 1, 2].map((t) => new SharedCounters(buffer, t));
    threads.forEach((c, t) => {
      add(c.server, REQUESTS, t + 1);
      add(c.peer("u|10.0.0.1:80|1"), PEER_REQUESTS, 10 * (t + 1));
    });
    for (const c of threads) {
      expect(c.serverTotals()[REQUESTS]).toBe(6);
      expect(c.peerTotals("u|10.0.0.1:80|1")[PEER_REQUESTS]).toBe(60);
    }
    expect(threads[0]?.peerTotals("u|10.0.0.2:80|1")[PEER_REQUESTS]).toBe(0);
  });

  test("the time of the last pick is the latest thread's, not a sum", () => {
    const buffer = SharedCounters.allocate(2, 8);
    const [a, b] = [new SharedCounters(buffer, 0), new SharedCounters(buffer, 1)];
    (a.peer("p") as Float64Array)[PEER_SELECTED] = 1_800_000_000_000;
    (b.peer("p") as Float64Array)[PEER_SELECTED] = 1_800_000_000_500;
    expect(a.peerTotals("p")[PEER_SELECTED]).toBe(1_800_000_000_500);
  });

  test("a thread that replaces one starts its gauges at zero and keeps its totals", () => {
    const buffer = SharedCounters.allocate(2, 8);
    const dying = new SharedCounters(buffer, 1);
    add(dying.server, ACTIVE, 5);
    add(dying.server, WAITING, 4);
    add(dying.server, REQUESTS, 7);
    add(dying.peer("p"), PEER_ACTIVE, 2);
    add(dying.peer("p"), PEER_REQUESTS, 9);
    const replacement = new SharedCounters(buffer, 1);
    const totals = replacement.serverTotals();
    expect([totals[ACTIVE], totals[WAITING], totals[REQUESTS]]).toEqual([0, 0, 7]);
    const peer = replacement.peerTotals("p");
    expect([peer[PEER_ACTIVE], peer[PEER_REQUESTS]]).toEqual([0, 9]);
  });

  test("counts from real threads add up in the main thread", async () => {
    const buffer = SharedCounters.allocate(2, 64);
    const run = (thread: number) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL("./_counting-thread.ts", import.meta.url), {
          workerData: { buffer, thread, times: 100_000, key: "u|10.0.0.1:80|1" },
        });
        worker.once("message", () => resolve());
        worker.once("error", reject);
      });
    await Promise.all([run(0), run(1)]);
    const reader = new SharedCounters(buffer, 0);
    expect(reader.serverTotals()[REQUESTS]).toBe(200_000);
    expect(reader.peerTotals("u|10.0.0.1:80|1")[PEER_REQUESTS]).toBe(200_000);
  });

  test("a full key table says so at load, and a thread outside the buffer is refused", () => {
    const buffer = SharedCounters.allocate(1, 2);
    const counters = new SharedCounters(buffer, 0);
    counters.peer("a");
    counters.peer("b");
    expect(() => counters.peer("c")).toThrow("more than 2 distinct upstream servers");
    expect(() => new SharedCounters(buffer, 1)).toThrow("no such counter segment");
  });
});

describe("histograms", () => {
  test("a value goes to the first bucket whose bound it does not exceed, +Inf last", () => {
    const words = new Float64Array(HISTOGRAM_WORDS);
    for (const ms of [0, 5, 6, 10_000, 10_001, 60_000]) observe(words, 0, ms);
    const h = histogramAt(words, 0);
    expect(h.buckets.length).toBe(BUCKET_BOUNDS_MS.length + 1);
    expect(h.buckets[0]).toBe(2); // 0 and 5: le 5 ms
    expect(h.buckets[1]).toBe(1); // 6: le 10 ms
    expect(h.buckets[BUCKET_BOUNDS_MS.length - 1]).toBe(1); // 10 s
    expect(h.buckets[BUCKET_BOUNDS_MS.length]).toBe(2); // +Inf
    expect([h.sumMs, h.count]).toEqual([80_012, 6]);
  });
});
