import { describe, expect, test } from "vitest";
import type { ClientConnection } from "../../../core/http1/connection.ts";
import { HeadersIn, type RequestFacts } from "../../../core/http1/headers-in.ts";
import { RequestBody } from "../../../core/http1/request-body.ts";
import { type HeaderPairs, MalformedBodyError } from "../../../core/index.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array | null) => (b === null ? null : String.fromCharCode(...b));

/** A client connection that hands out scripted chunks, then its end, and records what is written. */
function scripted(chunks: string[]): ClientConnection & { written: string[] } {
  const queue: Uint8Array[] = chunks.map(bytes);
  const written: string[] = [];
  return {
    written,
    read: async () => queue.shift() ?? null,
    watchIdle: () => {},
    isWriteBlocked: false,
    write: async (data) => void written.push(text(data) as string),
    setIdleTimeout: () => {},
    setDeadline: () => {},
    isClosed: false,
    close: () => {},
    end: () => {},
    watchClose: () => {},
    whenReadable: () => {},
  };
}

/** What the read phase decides for a POST with these headers (and a Host). */
function head(headers: HeaderPairs, httpVersion = "1.1"): RequestFacts {
  const headersIn = new HeadersIn();
  for (const [name, value] of [["Host", "a"], ...headers] as HeaderPairs) expect(headersIn.add(name, value)).toBeNull();
  const facts = headersIn.finish("POST", httpVersion);
  if ("status" in facts) throw new Error(facts.reason);
  return facts;
}

async function readAll(body: RequestBody): Promise<string> {
  let out = "";
  for await (const chunk of body) out += text(chunk);
  return out;
}

describe("RequestBody", () => {
  test("reads a Content-Length body across reads and hands back the next request's bytes", async () => {
    const conn = scripted(["llo wor", "ld!GET /next"]);
    const body = new RequestBody(conn, head([["Content-Length", "12"]]), bytes("he"));
    expect(await readAll(body)).toBe("hello world!");
    expect(text(await body.finish())).toBe("GET /next");
  });

  test("decodes a chunked body however it is cut, trailers dropped", async () => {
    const conn = scripted(["lo\r", "\n6\r\n world\r\n0\r\nX-T: 1\r\n", "\r\nNEXT"]);
    const body = new RequestBody(conn, head([["Transfer-Encoding", "chunked"]]), bytes("5\r\nhel"));
    expect(await readAll(body)).toBe("hello world");
    expect(text(await body.finish())).toBe("NEXT");
    // Every byte of the framing counts: the next request's buffer is placed after it.
    expect(body.wireBytes).toBe("5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n".length);
  });

  test("drops a body nobody read, so the connection can carry the next request", async () => {
    const conn = scripted(["0123456789", "GET / HTTP/1.1\r\n\r\n"]);
    const body = new RequestBody(conn, head([["Content-Length", "10"]]), new Uint8Array(0));
    expect(text(await body.finish())).toBe("");
    expect(text(await conn.read())).toBe("GET / HTTP/1.1\r\n\r\n");
  });

  test("a request without a body hands all that followed its head to the next one", async () => {
    const body = new RequestBody(scripted([]), head([]), bytes("GET /2 HTTP/1.1\r\n\r\n"));
    expect(await readAll(body)).toBe("");
    expect(text(await body.finish())).toBe("GET /2 HTTP/1.1\r\n\r\n");
  });

  test("says whether the whole body came with the head (nginx's preread)", async () => {
    const length = [["Content-Length", "5"]] as HeaderPairs;
    expect(await new RequestBody(scripted([]), head(length), bytes("hello")).isPrereadComplete()).toBe(true);
    expect(await new RequestBody(scripted([]), head(length), bytes("hel")).isPrereadComplete()).toBe(false);
    const chunked = [["Transfer-Encoding", "chunked"]] as HeaderPairs;
    expect(await new RequestBody(scripted([]), head(chunked), bytes("5\r\nhello\r\n0\r\n\r\n")).isPrereadComplete()).toBe(true);
    expect(await new RequestBody(scripted([]), head(chunked), bytes("5\r\nhello\r\n")).isPrereadComplete()).toBe(false);
  });

  test("ends with MalformedBodyError on a bad chunk, and with an error when the client leaves", async () => {
    const bad = new RequestBody(scripted([]), head([["Transfer-Encoding", "chunked"]]), bytes("zz\r\n"));
    await expect(readAll(bad)).rejects.toBeInstanceOf(MalformedBodyError);
    const cut = new RequestBody(scripted(["abc"]), head([["Content-Length", "10"]]), new Uint8Array(0));
    await expect(readAll(cut)).rejects.toThrow("client prematurely closed connection");
    expect(await cut.finish()).toBeNull();
  });

  test("answers Expect: 100-continue once, when the body is first read and none came yet", async () => {
    const conn = scripted(["hello"]);
    const body = new RequestBody(
      conn,
      head([
        ["Expect", "100-Continue"],
        ["Content-Length", "5"],
      ]),
      new Uint8Array(0),
    );
    expect(conn.written).toEqual([]);
    expect(await readAll(body)).toBe("hello");
    expect(conn.written).toEqual(["HTTP/1.1 100 Continue\r\n\r\n"]);

    // Never asked, the client may still be waiting: the connection is not reused.
    const unasked = new RequestBody(
      scripted(["hello"]),
      head([
        ["Expect", "100-continue"],
        ["Content-Length", "5"],
      ]),
      new Uint8Array(0),
    );
    expect(await unasked.finish()).toBeNull();
    // HTTP/1.0 clients get no 100 Continue.
    const old = scripted(["hello"]);
    await readAll(
      new RequestBody(
        old,
        head(
          [
            ["Expect", "100-continue"],
            ["Content-Length", "5"],
          ],
          "1.0",
        ),
        new Uint8Array(0),
      ),
    );
    expect(old.written).toEqual([]);
  });
});
