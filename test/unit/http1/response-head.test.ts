import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ResponseHeadParser, type ResponseHeadRead } from "../../../core/http1/response-head.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

/** Pushes `reply` cut at `cuts` until a result; null when it never came. */
function read(reply: string, { isHead = false, maxBytes = 4096, cuts = [] as number[] } = {}): ResponseHeadRead {
  const parser = new ResponseHeadParser(maxBytes, isHead);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < reply.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, reply.length]) {
    const result = parser.push(bytes(reply.slice(from, to)));
    if (result?.kind === "head") return { ...result, rest: bytes(text(result.rest) + reply.slice(to)) };
    if (result) return result;
    from = to;
  }
  return null;
}

describe("ResponseHeadParser", () => {
  test("waits for the end of the head", () => {
    expect(read("HTTP/1.1 200 OK\r\nA: b\r\n")).toBeNull();
  });

  test("reads status, reason, headers in order, framing and the length to tell", () => {
    expect(read("HTTP/1.1 201 Made It\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello")).toEqual({
      kind: "head",
      head: {
        status: 201,
        reason: "Made It",
        httpVersion: "1.1",
        headers: [
          ["X-A", "1"],
          ["x-a", "2"],
          ["Content-Length", "5"],
        ],
        framing: { kind: "length", length: 5 },
        contentLength: 5,
        isPersistent: true,
      },
      rest: bytes("hello"),
    });
  });

  test.each([
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, { kind: "chunked" }, null, true],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", false, { kind: "chunked" }, null, true],
    ["HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false, { kind: "length", length: 3 }, 3, false],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n", false, { kind: "length", length: 3 }, 3, false],
    ["HTTP/1.1 200 OK\r\n\r\n", false, { kind: "close" }, null, false],
    ["HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, { kind: "none" }, 10, true],
    ["HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false, { kind: "none" }, null, true],
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, { kind: "none" }, 10, true],
    ["HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\n", false, { kind: "length", length: 1 }, 1, true],
  ])("frames %j (HEAD: %s)", (reply, isHead, framing, contentLength, isPersistent) => {
    expect(read(reply, { isHead })).toMatchObject({ kind: "head", head: { framing, contentLength, isPersistent } });
  });

  test.each([
    ["Content-Length with Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"],
    ["two Content-Lengths, even equal", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"],
    ["two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"],
    ["a Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\n"],
    ["two Transfer-Encodings", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"],
    ["a Transfer-Encoding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"],
    ["a NUL in a value", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"],
    ["a bare CR in a value", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"],
    ["a folded line", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"],
    ["a line of CRs", "HTTP/1.1 200 OK\r\nX: a\r\n\r\r\n\r\n"],
    ["a space in the name", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"],
    ["an empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n"],
  ])("calls a head with %s invalid (current nginx)", (_name, reply) => {
    expect(read(reply)).toMatchObject({ kind: "invalid" });
  });

  test("takes names with other bytes as nginx does, and skips a repeated status line", () => {
    expect(read("HTTP/1.1 200 OK\r\nX@Y: a\r\nHTTP/1.1 200 OK\r\nNoColon\r\n\r\n")).toMatchObject({
      head: {
        headers: [
          ["X@Y", "a"],
          ["NoColon", ""],
        ],
      },
    });
  });

  test("refuses a head longer than proxy_buffer_size, as soon as it outgrows it", () => {
    expect(read(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(5000)}`)).toMatchObject({
      kind: "invalid",
      detail: expect.stringContaining("too big header"),
    });
    const exact = "HTTP/1.1 200 OK\r\nX: aa\r\n\r\n";
    expect(read(exact, { maxBytes: exact.length })).toMatchObject({ kind: "head" });
    expect(read(exact, { maxBytes: exact.length - 1 })).toMatchObject({ kind: "invalid" });
  });

  test("refuses a reply without a status line it reads, as soon as a byte says so (nginx would relay it raw as HTTP/0.9)", () => {
    const replies = [
      "hello",
      "http/1.1 200 OK\r\n\r\n",
      "HTTX",
      "HTTP/1.1 abc\r\nX: y\r\n\r\nbody",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 2x",
      "HTTP/0.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 O\rK\r\n\r\n",
    ];
    for (const reply of replies) expect(read(reply), reply).toMatchObject({ kind: "invalid" });
    expect(read("HTTP/1.1 20")).toBeNull();
  });

  test("says the upstream closed mid-head, which is nginx's error", () => {
    const parser = new ResponseHeadParser(4096, false);
    expect(parser.push(bytes("HTTP/1.1 200"))).toBeNull();
    expect(parser.end()).toMatchObject({ kind: "closed" });
  });

  test("skips interim answers, but not 101, and counts them in the buffer", () => {
    expect(
      read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
    ).toMatchObject({
      kind: "head",
      head: { status: 200, headers: [["Content-Length", "2"]] },
      rest: bytes("hi"),
    });
    expect(read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")).toMatchObject({ head: { status: 101, isPersistent: false } });
    expect(read(`${"HTTP/1.1 100 Continue\r\n\r\n".repeat(200)}HTTP/1.1 200 OK\r\n\r\n`)).toMatchObject({ kind: "invalid" });
  });

  test("decides the same however the bytes are cut", () => {
    const replies = [
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabcdef",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
      "HTTP/1.1 20x OK\r\n\r\n",
      "HTTP/1.0 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...replies), fc.array(fc.nat(80), { maxLength: 6 }), (reply, cuts) => {
        expect(read(reply, { cuts })).toEqual(read(reply));
      }),
      { numRuns: 1000 },
    );
  });
});
