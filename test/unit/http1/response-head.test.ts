import { describe, expect, test } from "vitest";
import { parseResponseHead } from "../../../core/http1/response-head.ts";

describe("parseResponseHead", () => {
  test("waits for the end of the head", () => {
    expect(parseResponseHead("HTTP/1.1 200 OK\r\nA: b\r\n", false, 4096)).toBeNull();
  });

  test("reads status, reason, headers in order and framing", () => {
    const head = parseResponseHead("HTTP/1.1 201 Made It\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello", false, 4096);
    expect(head).toMatchObject({
      status: 201,
      reason: "Made It",
      headers: [
        ["X-A", "1"],
        ["x-a", "2"],
        ["Content-Length", "5"],
      ],
      framing: { kind: "length", length: 5 },
      isPersistent: true,
      headLength: 59,
    });
  });

  test.each([
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", false, { kind: "chunked" }, true],
    ["HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false, { kind: "length", length: 3 }, false],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n", false, { kind: "length", length: 3 }, false],
    ["HTTP/1.1 200 OK\r\n\r\n", false, { kind: "close" }, false],
    ["HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, { kind: "none" }, true],
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, { kind: "none" }, true],
  ])("frames %j (HEAD: %s)", (text, isHead, framing, isPersistent) => {
    expect(parseResponseHead(text, isHead, 4096)).toMatchObject({ framing, isPersistent });
  });

  test.each([
    ["no colon", "HTTP/1.1 200 OK\r\nBad Line\r\n\r\n"],
    ["a space in the name", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"],
    ["a bad status line", "HTTP/1.1 2000 OK\r\n\r\n"],
  ])("calls a head with %s invalid", (_name, text) => {
    expect(parseResponseHead(text, false, 4096)).toMatchObject({ kind: "invalid" });
  });

  test("refuses a head longer than proxy_buffer_size", () => {
    expect(parseResponseHead(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(5000)}`, false, 4096)).toMatchObject({
      kind: "invalid",
      detail: "upstream sent too big header",
    });
  });

  test("takes a reply without a status line as HTTP/0.9", () => {
    expect(parseResponseHead("hello", false, 4096)).toMatchObject({
      status: 200,
      httpVersion: "0.9",
      headLength: 0,
      framing: { kind: "close" },
    });
  });
});
