import { describe, expect, test } from "vitest";
import { MemoryFailureState, readTransition, SharedFailureState, TransitionLedger, transitionOf } from "../../../core/index.ts";

describe("peer transitions between processes", () => {
  test("a failure raises the counters, a recovery after it resets them, a later failure is kept", () => {
    const mine = new MemoryFailureState();
    const ledger = new TransitionLedger((key) => mine.find(key));
    const record = mine.peer("u|a:80|1");
    record.fails = 1;
    record.accessed = 100;
    const theirs = { fails: 3, accessed: 105, checked: 105, active: "up" as const };
    expect(ledger.take("u|a:80|1", transitionOf(theirs, "unavailable", 1000))).toBe(true);
    expect(record).toEqual({ fails: 3, accessed: 105, checked: 105, active: "up" });
    // A recovery from before a failure this process saw later does not clear it.
    record.accessed = 200;
    ledger.own("u|a:80|1", "unavailable", 2000);
    expect(ledger.take("u|a:80|1", transitionOf({ ...theirs, fails: 0 }, "recovered", 1500))).toBe(false);
    expect(ledger.take("u|a:80|1", transitionOf({ ...theirs, fails: 0, accessed: 150 }, "recovered", 2500))).toBe(true);
    expect(record.fails).toBe(3);
    expect(ledger.take("u|a:80|1", transitionOf({ ...theirs, fails: 0, accessed: 200, checked: 210 }, "recovered", 3000))).toBe(true);
    expect(record).toEqual({ fails: 0, accessed: 200, checked: 210, active: "up" });
  });

  test("an active verdict replaces this process's, and peers it does not have are left alone", () => {
    const mine = new MemoryFailureState();
    const ledger = new TransitionLedger((key) => mine.find(key));
    const record = mine.peer("u|a:80|1");
    ledger.take("u|a:80|1", transitionOf({ ...record, active: "unhealthy" }, "unhealthy", 10));
    expect(record.active).toBe("unhealthy");
    ledger.take("u|a:80|1", transitionOf({ ...record, active: "up" }, "healthy", 11));
    expect(record.active).toBe("up");
    expect(ledger.take("u|b:80|1", transitionOf(record, "unhealthy", 12))).toBe(false);
    expect(mine.find("u|b:80|1")).toBeUndefined();
  });

  test("passive and active news are ordered apart: a later failure here does not hide an earlier verdict there", () => {
    const mine = new MemoryFailureState();
    const ledger = new TransitionLedger((key) => mine.find(key));
    const record = mine.peer("u|a:80|1");
    ledger.own("u|a:80|1", "unavailable", 2000);
    expect(ledger.take("u|a:80|1", transitionOf({ ...record, active: "unhealthy" }, "unhealthy", 1000))).toBe(true);
    expect(record.active).toBe("unhealthy");
    expect(ledger.take("u|a:80|1", transitionOf({ ...record, fails: 0 }, "recovered", 1500))).toBe(false);
  });

  test("reads what older versions stored and refuses what is not a transition", () => {
    expect(readTransition({ v: 1, fails: 2, accessed: 5, checked: 5, event: "unavailable", at: 9 })).toEqual({
      v: 1,
      fails: 2,
      accessed: 5,
      checked: 5,
      event: "unavailable",
      at: 9,
    });
    expect(readTransition({ v: 2, event: "unavailable", at: 9 })).toBeNull();
    expect(readTransition({ v: 1, event: "exploded", at: 9 })).toBeNull();
    expect(readTransition("unavailable")).toBeNull();
    expect(readTransition({ v: 1, fails: -4, event: "unavailable", at: 1, active: "sideways" })).toEqual({
      v: 1,
      fails: 0,
      accessed: 0,
      checked: 0,
      event: "unavailable",
      at: 1,
    });
  });

  test("the shared table carries the active verdict between threads", () => {
    const table = SharedFailureState.allocate(8);
    const a = new SharedFailureState(table).peer("u|a:80|1");
    const b = new SharedFailureState(table).peer("u|a:80|1");
    expect(b.active).toBe("up");
    a.active = "checking";
    expect(b.active).toBe("checking");
    a.active = "unhealthy";
    expect(b.active).toBe("unhealthy");
  });
});
