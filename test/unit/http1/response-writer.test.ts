import { describe, expect, test } from "vitest";
import type { Logger } from "../../../core/capabilities.ts";
import type { Http1Connection } from "../../../core/http1/connection.ts";
import { type Answering, writeResponse } from "../../../core/http1/response-writer.ts";
import type { HeaderPairs, ProxyResponse } from "../../../core/index.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A connection that records what is written, as one string. */
function recording(): Http1Connection & { readonly sent: () => string; closed: boolean } {
  let out = "";
  const conn = {
    closed: false,
    sent: () => out,
    read: async () => null,
    watchIdle: () => {},
    isWriteBlocked: false,
    watchClose: () => {},
    write: async (data: Uint8Array) => {
      out += String.fromCharCode(...data);
    },
    setIdleTimeout: () => {},
    isClosed: false,
    close: () => {
      conn.closed = true;
    },
  };
  return conn;
}

/** A logger that keeps its error lines. */
function errors(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, alert: () => {}, crit: () => {}, error: (m) => void lines.push(m), warn: () => {}, notice: () => {}, info: () => {} };
}

async function* stream(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield bytes(p);
}

type Answer = Extract<ProxyResponse, { kind: "response" }>;

function answer(headers: HeaderPairs, body: Answer["body"], contentLength: number | null = null, closeConnection = false): Answer {
  return {
    kind: "response",
    status: 200,
    reason: "OK",
    headers: [["Server", "edgeproxy"], ...headers],
    body,
    contentLength,
    closeConnection,
  };
}

const http11: Answering = { isHead: false, httpVersion: "1.1", keepAlive: true };
const withoutDate = (s: string) => s.replace(/Date: [^\r]+\r\n/, "");
const log = errors();

describe("writeResponse", () => {
  test("writes nginx's head: Server, Date, Content-Type, Content-Length, Connection, then the rest", async () => {
    const conn = recording();
    const res = answer(
      [
        ["Content-Type", "text/plain"],
        ["X-A", "1"],
      ],
      bytes("hi"),
    );
    expect(await writeResponse(conn, res, http11, log)).toBe(true);
    expect(conn.sent()).toMatch(
      /^HTTP\/1\.1 200 OK\r\nServer: edgeproxy\r\nDate: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r\nContent-Type: text\/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\nX-A: 1\r\n\r\nhi$/,
    );
  });

  test("frames from the typed length only: framing headers in the list are never sent", async () => {
    const conn = recording();
    const res = answer(
      [
        ["Content-Length", "999"],
        ["Transfer-Encoding", "chunked"],
        ["Connection", "upgrade"],
        ["Keep-Alive", "timeout=5"],
      ],
      stream("hello"),
      5,
    );
    expect(await writeResponse(conn, res, http11, log)).toBe(true);
    expect(withoutDate(conn.sent())).toBe(
      "HTTP/1.1 200 OK\r\nServer: edgeproxy\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
    );
  });

  test("chunks a body of unknown length for HTTP/1.1, and closes after it for HTTP/1.0", async () => {
    const modern = recording();
    expect(await writeResponse(modern, answer([], stream("hello", "", " world")), http11, log)).toBe(true);
    expect(withoutDate(modern.sent())).toBe(
      "HTTP/1.1 200 OK\r\nServer: edgeproxy\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    const old = recording();
    expect(await writeResponse(old, answer([], stream("hello")), { ...http11, httpVersion: "1.0" }, log)).toBe(false);
    expect(withoutDate(old.sent())).toBe("HTTP/1.1 200 OK\r\nServer: edgeproxy\r\nConnection: close\r\n\r\nhello");
  });

  test("writes exactly the announced length, and ends the connection when the stream gives more or less", async () => {
    const more = recording();
    expect(await writeResponse(more, answer([], stream("hel", "lo world"), 5), http11, log)).toBe(false);
    expect(more.sent().endsWith("\r\n\r\nhello")).toBe(true);
    expect(more.closed).toBe(true);
    const less = recording();
    expect(await writeResponse(less, answer([], stream("hel"), 5), http11, log)).toBe(false);
    expect(less.closed).toBe(true);
  });

  test("sends no body for HEAD, 204 and 304, and still reads an upstream body to its end", async () => {
    let read = false;
    async function* upstream(): AsyncGenerator<Uint8Array> {
      yield bytes("");
      read = true;
    }
    const head = recording();
    await writeResponse(head, answer([], upstream(), 5), { ...http11, isHead: true }, log);
    expect(head.sent().endsWith("Content-Length: 5\r\nConnection: keep-alive\r\n\r\n")).toBe(true);
    expect(read).toBe(true);
    const noContent = recording();
    await writeResponse(noContent, { ...answer([], bytes("x")), status: 204, reason: "No Content" }, http11, log);
    expect(withoutDate(noContent.sent())).toBe("HTTP/1.1 204 No Content\r\nServer: edgeproxy\r\nConnection: keep-alive\r\n\r\n");
  });

  test("leaves out a header whose value holds CR, LF or NUL, and logs it", async () => {
    const conn = recording();
    const lines = errors();
    const res = answer(
      [
        ["X-Split", "a\r\nSet-Cookie: evil=1"],
        ["X-Nul", "a\0b"],
        ["X-Fine", "ok"],
      ],
      bytes(""),
    );
    await writeResponse(conn, res, http11, lines);
    expect(conn.sent()).not.toContain("evil");
    expect(conn.sent()).not.toContain("X-Nul");
    expect(conn.sent()).toContain("X-Fine: ok\r\n");
    expect(lines.lines).toEqual([
      'header "X-Split" was not sent to the client: its value holds CR, LF or NUL',
      'header "X-Nul" was not sent to the client: its value holds CR, LF or NUL',
    ]);
  });

  test("closes when the response says so, or when the upstream breaks mid-body", async () => {
    const closing = recording();
    expect(await writeResponse(closing, answer([], null, 0, true), http11, log)).toBe(false);
    expect(closing.sent()).toContain("Connection: close\r\n");
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes("part");
      throw new Error("upstream reset");
    }
    const cut = recording();
    expect(await writeResponse(cut, answer([], broken(), 10), http11, log)).toBe(false);
    expect(cut.closed).toBe(true);
    expect(cut.sent().endsWith("\r\n\r\npart")).toBe(true);
  });

  test("answers HTTP/0.9 with the body alone", async () => {
    const conn = recording();
    expect(await writeResponse(conn, answer([], bytes("hi")), { ...http11, httpVersion: "0.9" }, log)).toBe(false);
    expect(conn.sent()).toBe("hi");
  });
});
