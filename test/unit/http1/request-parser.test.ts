import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULT_HEAD_LIMITS, type HeadLimits, RequestHeadParser } from "../../../core/http1/request-parser.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Pushes `text` cut at `cuts` until a result; its `rest` then holds every byte after the head. */
function read(text: string, cuts: number[] = [], limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
  const parser = new RequestHeadParser(limits);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < text.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, text.length]) {
    const result = parser.push(bytes(text.slice(from, to)));
    if (result?.kind === "head") return { ...result, rest: new Uint8Array([...result.rest, ...bytes(text.slice(to))]) };
    if (result) return result;
    from = to;
  }
  return null;
}

/** What a result says, in a form two results can be compared by. */
function outcome(result: ReturnType<typeof read>) {
  if (result === null) return null;
  if (result.kind === "refused") return { status: result.status };
  return { head: result.head, facts: result.facts, rest: String.fromCharCode(...result.rest) };
}

// The rules themselves are checked against a live nginx in test/security/ (hostile requests,
// head limits, smuggling); these pin down the parser's own contract.
describe("RequestHeadParser", () => {
  test("reads a head, decides its framing, and hands back the bytes after it", () => {
    const head = "POST /a?b HTTP/1.1\r\nHost: x\r\nX-Two: 1\r\nX-Two: 2\r\nContent-Length: 4\r\n\r\n";
    expect(read(`${head}BODY`)).toEqual({
      kind: "head",
      head: {
        method: "POST",
        target: "/a?b",
        httpVersion: "1.1",
        headers: [
          ["Host", "x"],
          ["X-Two", "1"],
          ["X-Two", "2"],
          ["Content-Length", "4"],
        ],
        framing: { kind: "length", length: 4 },
      },
      facts: { framing: { kind: "length", length: 4 }, expectsContinue: false, keepAlive: true, upgrade: false },
      rest: bytes("BODY"),
    });
  });

  test("waits for more bytes until the empty line, however the head is cut", () => {
    const head = "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
    for (let cut = 0; cut < head.length; cut++) expect(read(head.slice(0, cut))).toBeNull();
    expect(read(head)?.kind).toBe("head");
  });

  test("refuses a line of CRs alone instead of taking it for the end of the head", () => {
    // Taken for the end, the Content-Length after it would be lost and the body read as a request.
    expect(read("POST / HTTP/1.1\r\nHost: a\r\n\r\r\nContent-Length: 5\r\n\r\nhello")).toMatchObject({ kind: "refused", status: 400 });
    expect(read("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n")).toMatchObject({ kind: "head" });
  });

  test("keeps the request line as sent when it is not the plain form ($request)", () => {
    const parsed = read("GET /  HTTP/1.1 \r\nHost: x\r\n\r\n");
    expect(parsed?.kind === "head" && parsed.head.requestLine).toBe("GET /  HTTP/1.1 ");
    const plain = read("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(plain?.kind === "head" && plain.head.requestLine).toBeUndefined();
  });

  test("takes HTTP/0.9 as a request line alone, for GET only", () => {
    expect(read("GET /x\r\nHost: ignored\r\n")).toMatchObject({
      kind: "head",
      head: { httpVersion: "0.9", headers: [] },
      rest: bytes("Host: ignored\r\n"),
    });
    expect(read("POST /x\r\n")).toMatchObject({ kind: "refused", status: 400, head: { httpVersion: "0.9" } });
  });

  test("refuses a head with the header lines before the bad one, so its Host can choose the server", () => {
    expect(read("GET /d HTTP/1.1\r\nHost: second.test\r\nBad Name: x\r\n\r\n")).toMatchObject({
      kind: "refused",
      status: 400,
      head: { method: "GET", target: "/d", headers: [["Host", "second.test"]] },
    });
  });

  test("checks in nginx's order: each header as read, then Host, lengths and codings, then the method", () => {
    const status = (text: string) => (read(text) as { status?: number }).status;
    expect(status("TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).toBe(400);
    expect(status("TRACE / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")).toBe(501);
    expect(status("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(405);
    expect(status("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(405);
    expect(status("GET http://a/ HTTP/1.1\r\n\r\n")).toBe(400);
    expect(status("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nAuthorization: y\r\n\r\n")).toBe(400);
    expect(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")).toBe(400);
  });

  test("refuses absolute-form hosts nginx refuses", () => {
    for (const target of ["http://u:p@x/", "http://example.com.:1.2/", "http://:9000/", "http://[::1/", "http://a_b/", "http:/a/"]) {
      expect(read(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`), target).toMatchObject({ kind: "refused", status: 400 });
    }
    // The line may not end right after the authority: no HTTP/0.9 form for absolute targets.
    for (const line of ["GET http://fuz\n/ HTTP/1.0\r\n\r\n", "GET http://a:80\r\n", "GET http://a\r\n"]) {
      expect(read(line), line).toMatchObject({ kind: "refused", status: 400 });
    }
    for (const target of ["http://a/", "http://a:8080/x?y", "HTTP://A.B-C", "http://[::1]:80/", "https://a?q"]) {
      expect(read(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`), target).toMatchObject({ kind: "head" });
    }
  });

  test("refuses at the first byte no request line or header line can have, as nginx does, without waiting for the line's end", () => {
    for (const unfinished of [
      "gET / HT",
      "GET \u0001",
      "GET @x",
      "GET /a\rb",
      "GET / HTTP/1.1\r\nHost: a\r\n X",
      "GET / HTTP/1.1\r\nA\u0001",
      "GET / HTTP/1.1\r\nA: b\u0000",
    ]) {
      expect(read(unfinished), JSON.stringify(unfinished)).toMatchObject({ kind: "refused", status: 400 });
    }
    for (const unfinished of ["GET / HTTP/1.1\r", "GET http://a", "GET / HTTP/1.1\r\nHost: a\r\n\r", "GET / HTTP/1.1\r\nX@Y: a\r"]) {
      expect(read(unfinished), JSON.stringify(unfinished)).toBeNull();
    }
  });

  test("reads a line whole before judging its name: a bad value is 400 even under a name it would drop", () => {
    expect(read("GET / HTTP/1.1\r\nHost: a\r\nX;A: 1\r2\r\n\r\n")).toMatchObject({ kind: "refused", status: 400 });
    expect(read("GET / HTTP/1.1\r\nHost: a\r\nX;A: 1\u00002\r\n\r\n")).toMatchObject({ kind: "refused", status: 400 });
  });

  test("drops header names nginx calls invalid without counting them, unless told to keep them", () => {
    const text = "GET / HTTP/1.1\r\nHost: a\r\nX_Under: 1\r\nX.Dot: 2\r\nOK-1: 3\r\n\r\n";
    expect(read(text)).toMatchObject({
      head: {
        headers: [
          ["Host", "a"],
          ["OK-1", "3"],
        ],
      },
    });
    expect(read(text, [], { ...DEFAULT_HEAD_LIMITS, underscoresInHeaders: true })).toMatchObject({
      head: {
        headers: [
          ["Host", "a"],
          ["X_Under", "1"],
          ["OK-1", "3"],
        ],
      },
    });
    expect(read(text, [], { ...DEFAULT_HEAD_LIMITS, ignoreInvalidHeaders: false })).toMatchObject({
      head: {
        headers: [
          ["Host", "a"],
          ["X_Under", "1"],
          ["X.Dot", "2"],
          ["OK-1", "3"],
        ],
      },
    });
  });

  test("allows 1000 headers and answers the 1001st with 494, as current nginx", () => {
    const many = (n: number) => `GET / HTTP/1.1\r\nHost: a\r\n${"X: 1\r\n".repeat(n - 1)}\r\n`;
    expect(read(many(1000))?.kind).toBe("head");
    expect(read(many(1001))).toMatchObject({ kind: "refused", status: 494 });
    // Ignored names are not counted.
    expect(read(`GET / HTTP/1.1\r\nHost: a\r\n${"X_Y: 1\r\n".repeat(2000)}\r\n`)?.kind).toBe("head");
  });

  test("places nginx's buffers: a request line fits one large buffer with its CRLF, not a byte more", () => {
    const line = (length: number) => `GET /${"a".repeat(length - "GET / HTTP/1.1\r\n".length)} HTTP/1.1\r\n`;
    expect(line(8192).length).toBe(8192);
    expect(read(`${line(8192)}Host: a\r\n\r\n`)?.kind).toBe("head");
    expect(read(`${line(8193)}Host: a\r\n\r\n`)).toMatchObject({ kind: "refused", status: 414 });
    // Refused as soon as the buffer is full, without waiting for the line to end.
    expect(read(`GET /${"a".repeat(9000)}`)).toMatchObject({ kind: "refused", status: 414 });
  });

  test("places nginx's buffers: a header line fits one large buffer, the head four of them", () => {
    const header = (length: number) => `X: ${"b".repeat(length - 5)}\r\n`;
    const start = "GET / HTTP/1.1\r\nHost: a\r\n";
    expect(read(`${start}${header(8192)}\r\n`)?.kind).toBe("head");
    expect(read(`${start}${header(8193)}\r\n`)).toMatchObject({ kind: "refused", status: 494 });
    // Four lines of 8k fill the four buffers; a fifth needs a fifth buffer.
    expect(read(`${start}${header(8000).repeat(4)}\r\n`)?.kind).toBe("head");
    expect(read(`${start}${header(8000).repeat(5)}\r\n`)).toMatchObject({ kind: "refused", status: 494 });
    expect(read(`${start}${"X: 1\r\n".repeat(10_000)}`)).toMatchObject({ kind: "refused", status: 494 });
  });

  test("takes the configured buffer sizes", () => {
    const small: HeadLimits = { ...DEFAULT_HEAD_LIMITS, buffers: { client: 64, large: 128, count: 2 } };
    expect(read(`GET /${"a".repeat(200)} HTTP/1.1\r\n\r\n`, [], small)).toMatchObject({ kind: "refused", status: 414 });
    expect(read(`GET / HTTP/1.1\r\nHost: a\r\n${"X: 12345678\r\n".repeat(30)}\r\n`, [], small)).toMatchObject({
      kind: "refused",
      status: 494,
    });
  });

  test("continues a pipelined request in the buffer the previous one left it in", () => {
    const first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
    const second = (lines: number) => `GET /2 HTTP/1.1\r\nHost: a\r\n${`X: ${"v".repeat(36)}\r\n`.repeat(lines)}\r\n`;
    const alone = (lines: number) => new RequestHeadParser(DEFAULT_HEAD_LIMITS).push(bytes(second(lines)))?.kind === "head";
    const pipelined = (lines: number) => {
      const parser = new RequestHeadParser(DEFAULT_HEAD_LIMITS);
      const result = parser.push(bytes(first + second(lines)));
      parser.next(0, true);
      return parser.push((result as { rest: Uint8Array }).rest)?.kind === "head";
    };
    const most = (accepts: (n: number) => boolean) => {
      let n = 700;
      while (accepts(n + 1)) n++;
      return n;
    };
    // Behind another request the head has only the rest of that request's 1k buffer.
    const fresh = most(alone);
    expect(fresh).toBeGreaterThan(800);
    expect(most(pipelined)).toBeLessThan(fresh);
  });

  test("reads 32 KiB arriving a byte at a time in linear time", () => {
    const head = `GET / HTTP/1.1\r\nHost: a\r\n${`X-Long: ${"v".repeat(7900)}\r\n`.repeat(3)}${"X: 1\r\n".repeat(1000 - 4)}\r\n`;
    const parser = new RequestHeadParser(DEFAULT_HEAD_LIMITS);
    const all = bytes(head);
    const started = performance.now();
    let result = null;
    for (let i = 0; i < all.length && result === null; i++) result = parser.push(all.subarray(i, i + 1));
    const elapsed = performance.now() - started;
    expect(result?.kind).toBe("head");
    // Rescanning from the start at every byte took seconds; a linear scan takes milliseconds.
    expect(elapsed).toBeLessThan(1000);
  });

  test("decides the same however the bytes are cut (any head, any cuts)", () => {
    const line = fc.oneof(
      fc.constantFrom("Host: a", "Content-Length: 3", "Transfer-Encoding: chunked", "X_Y: z", "Expect: 100-continue", "Connection: close"),
      fc.stringMatching(/^[A-Za-z-]{1,8}: [ -~]{0,12}$/),
      fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("GET / HTTP/1.1", "POST /x HTTP/1.0", "GET http://h/p HTTP/1.1", "TRACE / HTTP/1.1", "\r\nGET / HTTP/1.1"),
        fc.array(line, { maxLength: 8 }),
        fc.constantFrom("\r\n", "\n"),
        fc.array(fc.nat(200), { maxLength: 6 }),
        (requestLine, lines, eol, cuts) => {
          const text = `${[requestLine, ...lines].join(eol)}${eol}${eol}abc`;
          expect(outcome(read(text, cuts))).toEqual(outcome(read(text)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("refuses an oversized head at the same status however it is cut", () => {
    fc.assert(
      fc.property(fc.integer({ min: 7000, max: 9000 }), fc.array(fc.nat(40_000), { maxLength: 5 }), (length, cuts) => {
        const text = `GET / HTTP/1.1\r\nHost: a\r\n${`X: ${"b".repeat(length)}\r\n`.repeat(5)}\r\n`;
        expect(outcome(read(text, cuts))).toEqual(outcome(read(text)));
      }),
      { numRuns: 300 },
    );
  });

  test("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 4 }), (input, cuts) => {
        const text = String.fromCharCode(...input);
        const result = read(text, cuts);
        if (result?.kind === "head") expect(result.rest.byteLength).toBeLessThanOrEqual(input.length);
      }),
      { numRuns: 2000 },
    );
  });

  test("reads back any head of valid tokens as it was written", () => {
    const token = fc
      .stringMatching(/^[A-Za-z0-9-]{1,12}$/)
      .filter((t) => !/^(host|content-length|transfer-encoding|expect|authorization|if-.*|content-range|connection|upgrade)$/i.test(t));
    const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{1,8}$/).filter((m) => m !== "TRACE" && m !== "CONNECT"),
        fc.stringMatching(/^\/[!-~]{0,30}$/),
        fc.array(fc.tuple(token, value), { maxLength: 8 }),
        (method, target, headers) => {
          const all: [string, string][] = [["Host", "h"], ...headers];
          const text = `${method} ${target} HTTP/1.1\r\n${all.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
          expect(read(text)).toMatchObject({
            kind: "head",
            head: { method, target, httpVersion: "1.1", headers: all },
            rest: new Uint8Array(0),
          });
        },
      ),
    );
  });
});
