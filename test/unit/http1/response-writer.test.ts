import { describe, expect, test } from "vitest";
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
    unshift: () => {},
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

async function* stream(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield bytes(p);
}

function answer(headers: HeaderPairs, body: Extract<ProxyResponse, { kind: "response" }>["body"], closeConnection = false) {
  return {
    kind: "response" as const,
    status: 200,
    reason: "OK",
    headers: [["Server", "edgeproxy"], ...headers] as HeaderPairs,
    body,
    closeConnection,
  };
}

const http11: Answering = { isHead: false, httpVersion: "1.1", keepAlive: true };
const withoutDate = (s: string) => s.replace(/Date: [^\r]+\r\n/, "");

describe("writeResponse", () => {
  test("puts Date after Server and says keep-alive, as nginx's header filter does", async () => {
    const conn = recording();
    expect(await writeResponse(conn, answer([["Content-Length", "2"]], bytes("hi")), http11)).toBe(true);
    expect(conn.sent()).toMatch(
      /^HTTP\/1\.1 200 OK\r\nServer: edgeproxy\r\nDate: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r\nContent-Length: 2\r\n/,
    );
    expect(conn.sent().endsWith("Connection: keep-alive\r\n\r\nhi")).toBe(true);
  });

  test("chunks a body of unknown length for HTTP/1.1, and closes after it for HTTP/1.0", async () => {
    const modern = recording();
    expect(await writeResponse(modern, answer([], stream("hello", "", " world")), http11)).toBe(true);
    expect(withoutDate(modern.sent())).toBe(
      "HTTP/1.1 200 OK\r\nServer: edgeproxy\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    const old = recording();
    expect(await writeResponse(old, answer([], stream("hello")), { ...http11, httpVersion: "1.0" })).toBe(false);
    expect(withoutDate(old.sent())).toBe("HTTP/1.1 200 OK\r\nServer: edgeproxy\r\nConnection: close\r\n\r\nhello");
  });

  test("sends no body for HEAD, 204 and 304, and still reads an upstream body to its end", async () => {
    let read = false;
    async function* upstream(): AsyncGenerator<Uint8Array> {
      yield bytes("");
      read = true;
    }
    const head = recording();
    await writeResponse(head, answer([["Content-Length", "5"]], upstream()), { ...http11, isHead: true });
    expect(head.sent().endsWith("Content-Length: 5\r\nConnection: keep-alive\r\n\r\n")).toBe(true);
    expect(read).toBe(true);
    const noContent = recording();
    await writeResponse(noContent, { ...answer([], bytes("x")), status: 204, reason: "No Content" }, http11);
    expect(noContent.sent().endsWith("\r\n\r\n")).toBe(true);
  });

  test("closes when the response says so, or when the upstream breaks mid-body", async () => {
    const closing = recording();
    expect(await writeResponse(closing, answer([["Content-Length", "0"]], null, true), http11)).toBe(false);
    expect(closing.sent()).toContain("Connection: close\r\n");
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes("part");
      throw new Error("upstream reset");
    }
    const cut = recording();
    expect(await writeResponse(cut, answer([["Content-Length", "10"]], broken()), http11)).toBe(false);
    expect(cut.closed).toBe(true);
    expect(cut.sent().endsWith("\r\n\r\npart")).toBe(true);
  });

  test("answers HTTP/0.9 with the body alone", async () => {
    const conn = recording();
    expect(await writeResponse(conn, answer([["Content-Length", "2"]], bytes("hi")), { ...http11, httpVersion: "0.9" })).toBe(false);
    expect(conn.sent()).toBe("hi");
  });
});
