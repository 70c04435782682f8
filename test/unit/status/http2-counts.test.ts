import { describe, expect, test } from "vitest";
import { AcceptedConnection, Http2Counts, MemoryCounters } from "../../../core/index.ts";
import { ACCEPTED, ACTIVE, HANDLED, READING, REQUESTS, RESPONSES, WAITING, WRITING } from "../../../core/status/layout.ts";

/** The stub_status counts and the 2xx responses, in that order. */
function page(words: Float64Array): number[] {
  return [ACTIVE, ACCEPTED, HANDLED, REQUESTS, READING, WRITING, WAITING, RESPONSES + 1].map((w) => words[w] as number);
}

describe("AcceptedConnection", () => {
  test("waits from its accept, is in no state while shaking hands, and closes once", () => {
    const words = new MemoryCounters().server;
    const c = new AcceptedConnection(words);
    expect(page(words)).toEqual([1, 1, 1, 0, 0, 0, 1, 0]);
    c.handshaking();
    expect(page(words)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    c.closed();
    c.closed();
    expect(page(words)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
  });

  test("once taken over, its close counts nothing: the new record counts it", () => {
    const words = new MemoryCounters().server;
    const accepted = new AcceptedConnection(words);
    const h2 = new Http2Counts(words, accepted);
    accepted.closed();
    expect(page(words)).toEqual([1, 1, 1, 0, 0, 0, 1, 0]);
    h2.closed();
    expect(page(words)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe("Http2Counts", () => {
  test("streams are requests, writing while answered; the connection waits only when none is", () => {
    const words = new MemoryCounters().server;
    const h2 = new Http2Counts(words, new AcceptedConnection(words));
    h2.streamBegan();
    h2.streamBegan();
    expect(page(words)).toEqual([1, 1, 1, 2, 0, 2, 0, 0]);
    h2.streamEnded(200, 3);
    expect(page(words)).toEqual([1, 1, 1, 2, 0, 1, 0, 1]);
    h2.streamEnded(200, 3);
    expect(page(words)).toEqual([1, 1, 1, 2, 0, 0, 1, 2]);
  });

  test("a connection closed with streams in flight does not wait again when they end", () => {
    const words = new MemoryCounters().server;
    const h2 = new Http2Counts(words, new AcceptedConnection(words));
    h2.streamBegan();
    h2.closed();
    expect(page(words)).toEqual([0, 1, 1, 1, 0, 1, 0, 0]);
    h2.streamEnded(null, 5);
    expect(page(words)).toEqual([0, 1, 1, 1, 0, 0, 0, 0]);
  });
});
