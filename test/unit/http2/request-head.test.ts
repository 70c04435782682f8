import { describe, expect, test } from "vitest";
import { type Http2HeadOptions, http2RequestHead } from "../../../core/index.ts";

const OPTIONS: Http2HeadOptions = {
  endStream: true,
  underscoresInHeaders: false,
  ignoreInvalidHeaders: true,
  maxFieldBytes: 8192,
  maxHeaderBytes: 4 * 8192,
};
const BASE = [":method", "GET", ":scheme", "https", ":path", "/a", ":authority", "h.test"];

function read(extra: string[], base = BASE, options: Partial<Http2HeadOptions> = {}) {
  return http2RequestHead([...base, ...extra], { ...OPTIONS, ...options });
}

// What a platform's HTTP/2 layer should refuse before the core sees it (Node's nghttp2 drops
// some of these fields, Bun resets the stream): the core refuses them again, so that none can
// reach an HTTP/1 request upstream whatever the platform lets through.
describe("http2RequestHead", () => {
  test.each([
    ["CR LF in a value", ["x-a", "1\r\nx-injected: 1"]],
    ["LF in a value", ["x-a", "1\nx"]],
    ["NUL in a value", ["x-a", "1\0x"]],
    ["an upper-case name", ["X-Up", "1"]],
    ["a colon in a name", ["x:a", "1"]],
    ["CR LF in a name", ["x-a\r\nx-b", "1"]],
    ["transfer-encoding", ["transfer-encoding", "chunked"]],
    ["connection", ["connection", "close"]],
    ["keep-alive", ["keep-alive", "timeout=5"]],
    ["proxy-connection", ["proxy-connection", "close"]],
    ["upgrade", ["upgrade", "websocket"]],
    ["te other than trailers", ["te", "gzip"]],
  ])("resets the stream for %s", (_name, field) => {
    expect(read(field)).toMatchObject({ reset: "stream" });
  });

  test("resets the stream for a malformed field even with ignore_invalid_headers off", () => {
    expect(read(["x:a", "1"], BASE, { ignoreInvalidHeaders: false })).toMatchObject({ reset: "stream" });
  });

  test("takes te: trailers", () => {
    expect(read(["te", "trailers"])).not.toHaveProperty("reset");
  });

  test.each([
    ["get", 400],
    ["G{T", 400],
    ["GET /admin", 400],
    ["TRACE", 405],
    ["CONNECT", 405],
  ])("refuses the method %j with %i, as nginx", (method, status) => {
    const base = [":method", method, ...BASE.slice(2)];
    expect(read([], base)).toMatchObject({ refused: status });
  });

  test("takes a method of A-Z, _ and -", () => {
    expect(read([], [":method", "GE-T_X", ...BASE.slice(2)])).toHaveProperty("head.method", "GE-T_X");
  });

  test("refuses a repeated content-length", () => {
    expect(read(["content-length", "5", "content-length", "5"], BASE, { endStream: false })).toMatchObject({ refused: 400 });
  });

  test("ends the connection for a field over large_client_header_buffers' size, or a list over all of them", () => {
    expect(read(["x-a", "v".repeat(8193)])).toEqual({ reset: "connection", reason: "client sent too large header field" });
    const many = Array.from({ length: 5 }, (_, i) => [`x-${i}`, "v".repeat(8000)]).flat();
    expect(read(many)).toEqual({ reset: "connection", reason: "client exceeded http2_max_header_size limit" });
    expect(read(many.slice(0, 6))).toHaveProperty("head");
  });
});
