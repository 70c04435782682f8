import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseRequestHead } from "../../../core/http1/request-parser.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const parse = (s: string) => parseRequestHead(bytes(s));

// The rules themselves are checked against a live nginx in test/security/hostile-requests.test.ts;
// these pin down what the server loop relies on: lengths, incomplete heads, what a refusal keeps.
describe("parseRequestHead", () => {
  test("reads a head and says where its body starts", () => {
    const head = "GET /a?b HTTP/1.1\r\nHost: x\r\nX-Two: 1\r\nX-Two: 2\r\n\r\n";
    expect(parse(`${head}BODY`)).toEqual({
      kind: "head",
      head: {
        method: "GET",
        target: "/a?b",
        httpVersion: "1.1",
        headers: [
          ["Host", "x"],
          ["X-Two", "1"],
          ["X-Two", "2"],
        ],
      },
      length: head.length,
    });
  });

  test("waits for more bytes until the empty line, however the head is cut", () => {
    const head = "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
    for (let cut = 0; cut < head.length; cut++) expect(parse(head.slice(0, cut))).toBeNull();
    expect(parse(head)?.kind).toBe("head");
  });

  test("keeps the request line as sent when it is not the plain form ($request)", () => {
    const parsed = parse("GET /  HTTP/1.1 \r\nHost: x\r\n\r\n");
    expect(parsed?.kind === "head" && parsed.head.requestLine).toBe("GET /  HTTP/1.1 ");
    const plain = parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(plain?.kind === "head" && plain.head.requestLine).toBeUndefined();
  });

  test("takes HTTP/0.9 as a request line alone, for GET only", () => {
    expect(parse("GET /x\r\nHost: ignored\r\n")).toMatchObject({ kind: "head", head: { httpVersion: "0.9", headers: [] }, length: 8 });
    expect(parse("POST /x\r\n")).toMatchObject({ kind: "refused", status: 400, head: { httpVersion: "0.9" } });
  });

  test("refuses a head with the header lines before the bad one, so its Host can choose the server", () => {
    expect(parse("GET /d HTTP/1.1\r\nHost: second.test\r\nNo colon here\r\n\r\n")).toMatchObject({
      kind: "refused",
      status: 400,
      head: { method: "GET", target: "/d", headers: [["Host", "second.test"]] },
    });
  });

  test("stops waiting where nginx's buffers end: 414 for a request line, 494 for a head", () => {
    expect(parse(`GET /${"a".repeat(9000)}`)).toMatchObject({ kind: "refused", status: 414 });
    expect(parse(`GET / HTTP/1.1\r\n${"X-A: b\r\n".repeat(5000)}`)).toMatchObject({ kind: "refused", status: 494 });
  });

  test("reads HTTP/1.10 as the HTTP/1.1 it is to nginx, and answers a later major version with 505", () => {
    expect(parse("GET / HTTP/1.10\r\n\r\n")).toMatchObject({ kind: "head", head: { httpVersion: "1.1", requestLine: "GET / HTTP/1.10" } });
    expect(parse("GET / HTTP/2.0\r\n\r\n")).toMatchObject({ kind: "refused", status: 505 });
  });

  test("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const parsed = parseRequestHead(input);
        if (parsed?.kind === "head") expect(parsed.length).toBeLessThanOrEqual(input.length);
      }),
      { numRuns: 2000 },
    );
  });

  test("reads back any head of valid tokens as it was written", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{1,8}$/),
        fc.stringMatching(/^\/[!-~]{0,30}$/),
        fc.array(fc.tuple(token, value), { maxLength: 8 }),
        (method, target, headers) => {
          const text = `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
          expect(parse(text)).toEqual({ kind: "head", head: { method, target, httpVersion: "1.1", headers }, length: text.length });
        },
      ),
    );
  });
});
