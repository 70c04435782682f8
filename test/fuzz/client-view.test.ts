import { describe, expect, test } from "vitest";
import { readResponses } from "./client-view.ts";

const read = (text: string) => {
  const view = readResponses(Buffer.from(text, "latin1"));
  return { responses: view.responses.map((r) => [r.status, r.body.toString("latin1"), r.complete]), other: view.other.toString("latin1") };
};

describe("readResponses", () => {
  test("reads responses one after the other by their framing", () => {
    const text =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    expect(read(text)).toEqual({
      responses: [
        [100, "", true],
        [200, "ab", true],
        [200, "c", true],
        [204, "", true],
      ],
      other: "",
    });
  });

  test("takes a length with a status line where its body would be as the answer to a HEAD", () => {
    expect(read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n").responses).toEqual([
      [200, "", true],
      [400, "", true],
    ]);
  });

  test("marks a response cut short, and keeps bytes that are no response apart", () => {
    expect(read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").responses).toEqual([[200, "abc", false]]);
    expect(read("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nagarbage")).toEqual({ responses: [[200, "a", true]], other: "garbage" });
    expect(read("an HTTP/0.9 answer")).toEqual({ responses: [], other: "an HTTP/0.9 answer" });
  });
});
