import { describe, expect, test } from "vitest";
import { splitUpstreamRequest } from "./upstream-request-splitter.ts";

const split = (text: string) => splitUpstreamRequest(Buffer.from(text, "latin1"));

describe("splitUpstreamRequest", () => {
  test("takes a request without a body up to its empty line, leaving what follows", () => {
    const first = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    expect(split(`${first}GET /next HTTP/1.1\r\n`)).toMatchObject({
      kind: "request",
      length: first.length,
      method: "GET",
      wantsClose: false,
    });
  });

  test("takes a Content-Length body, and waits for all of it", () => {
    const request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
    expect(split(`${request}GET`)).toMatchObject({ kind: "request", length: request.length });
    expect(split(request.slice(0, -1))).toEqual({ kind: "incomplete" });
  });

  test("takes a chunked body with its trailers, and waits for its last line", () => {
    const request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n";
    expect(split(`${request}GET`)).toMatchObject({ kind: "request", length: request.length });
    expect(split(request.slice(0, -2))).toEqual({ kind: "incomplete" });
  });

  test("reads the connection's end from Connection: close and from HTTP/1.0 without keep-alive", () => {
    expect(split("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")).toMatchObject({ wantsClose: true });
    expect(split("GET / HTTP/1.0\r\nHost: a\r\n\r\n")).toMatchObject({ wantsClose: true });
    expect(split("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).toMatchObject({ wantsClose: false });
  });

  test.each([
    ["a bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n"],
    ["a bare CR in a value", "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"],
    ["a NUL in a value", "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"],
    ["a folded line", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"],
    ["a space before the colon", "GET / HTTP/1.1\r\nX-A : a\r\n\r\n"],
    ["an HTTP/0.9 line", "GET /\r\n\r\n"],
    ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["two Content-Lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na"],
    ["a Content-Length that is no number", "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\na"],
    ["a coding other than chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"],
    ["a chunk not followed by CRLF", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"],
    ["a bare CR in a chunk extension", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a\rb\r\na\r\n0\r\n\r\n"],
  ])("refuses %s", (_, text) => {
    expect(split(text).kind).toBe("invalid");
  });
});
