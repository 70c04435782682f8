import { describe, expect, test } from "vitest";
import { SharedFailureState } from "../../../core/index.ts";

describe("SharedFailureState", () => {
  test("two stores over one table (two threads) see one record per peer key", () => {
    const table = SharedFailureState.allocate(64);
    const mine = new SharedFailureState(table);
    const theirs = new SharedFailureState(table);
    const a = mine.peer("u|10.0.0.1:80|1");
    a.fails = 3;
    a.accessed = 1_795_000_000;
    a.checked = 4_000_000_000; // whole seconds fit in the 32-bit words until 2106
    const seen = theirs.peer("u|10.0.0.1:80|1");
    expect([seen.fails, seen.accessed, seen.checked]).toEqual([3, 1_795_000_000, 4_000_000_000]);
    seen.fails = 0;
    expect(a.fails).toBe(0);
  });

  test("different keys, also ones that share a slot, keep apart; the same key is the same record", () => {
    const store = new SharedFailureState(SharedFailureState.allocate(8));
    const keys = Array.from({ length: 8 }, (_, i) => `u|127.0.0.${i}:80|1`);
    keys.forEach((k, i) => {
      store.peer(k).fails = i + 1;
    });
    expect(keys.map((k) => new SharedFailureState(SharedFailureState.allocate(8)).peer(k).fails)).toEqual(Array(8).fill(0));
    expect(keys.map((k) => store.peer(k).fails)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(store.peer(keys[0] as string)).toBe(store.peer(keys[0] as string));
  });

  test("a full table says so at load instead of mixing peers up", () => {
    const store = new SharedFailureState(SharedFailureState.allocate(2));
    store.peer("a");
    store.peer("b");
    expect(() => store.peer("c")).toThrow("more than 2 distinct upstream servers");
  });
});
