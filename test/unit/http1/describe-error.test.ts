import { expect, test } from "vitest";
import { describeError } from "../../../core/index.ts";

test("names a socket error's code once, whether or not its message already does", () => {
  const node = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  const bun = Object.assign(new Error("connection reset by peer"), { code: "ECONNRESET" });
  expect(describeError(node)).toBe("connect ECONNREFUSED 127.0.0.1:1");
  expect(describeError(bun)).toBe("ECONNRESET: connection reset by peer");
  expect(describeError(new Error("upstream connection closed"))).toBe("upstream connection closed");
  expect(describeError("plain")).toBe("plain");
});
