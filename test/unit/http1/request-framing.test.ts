import { describe, expect, test } from "vitest";
import { readFraming } from "../../../core/http1/request-framing.ts";
import type { HeaderPairs } from "../../../core/index.ts";

const framing = (httpVersion: string, headers: HeaderPairs) => readFraming({ method: "POST", target: "/", httpVersion, headers });

describe("readFraming", () => {
  test("keeps HTTP/1.1 unless Connection says close, HTTP/1.0 only if it says keep-alive, the last one counting", () => {
    expect(framing("1.1", []).keepAlive).toBe(true);
    expect(framing("1.1", [["Connection", "Close"]]).keepAlive).toBe(false);
    expect(framing("1.0", []).keepAlive).toBe(false);
    expect(framing("1.0", [["connection", "Keep-Alive"]]).keepAlive).toBe(true);
    expect(
      framing("1.0", [
        ["Connection", "keep-alive"],
        ["Connection", "close"],
      ]).keepAlive,
    ).toBe(false);
    expect(framing("0.9", []).keepAlive).toBe(false);
  });

  test("lets chunked win over a length, and expects 100 Continue only of HTTP/1.1 with a body", () => {
    expect(
      framing("1.1", [
        ["Content-Length", "5"],
        ["Transfer-Encoding", "chunked"],
      ]),
    ).toMatchObject({ chunked: true, length: 0 });
    expect(
      framing("1.1", [
        ["Expect", "100-continue"],
        ["Content-Length", "5"],
      ]).expectsContinue,
    ).toBe(true);
    expect(framing("1.1", [["Expect", "100-continue"]]).expectsContinue).toBe(false);
    expect(
      framing("1.0", [
        ["Expect", "100-continue"],
        ["Content-Length", "5"],
      ]).expectsContinue,
    ).toBe(false);
  });
});
