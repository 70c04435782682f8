import { expect, test } from "vitest";
import { describeError } from "../../../core/index.ts";

test("words a socket error as nginx does, whatever the runtime's message says", () => {
  const node = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  const bun = Object.assign(new Error("connection reset by peer"), { code: "ECONNRESET" });
  expect(describeError(node)).toBe("111: Connection refused");
  expect(describeError(bun)).toBe("104: Connection reset by peer");
  expect(describeError(Object.assign(new Error("x"), { code: "ERR_SOMETHING" }))).toBe("ERR_SOMETHING");
  expect(describeError(new Error("upstream connection closed"))).toBe("upstream connection closed");
  expect(describeError("plain")).toBe("plain");
});
