import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BodyStream, UpstreamRequest, UpstreamResult } from "../../../core/index.ts";
import { createFetchTransport } from "../../../core/index.ts";
import { type Backend, startBackend } from "../../support/backend.ts";

/** The Fetch transport over this runtime's real fetch, against a real loopback backend. */
describe("fetch transport: proxy_buffering", () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startBackend("b");
  });
  afterAll(() => backend.close());

  const transport = createFetchTransport({ fetch: (input, init) => fetch(input, init) });
  const request = (buffering: boolean): UpstreamRequest => ({
    peer: { kind: "tcp", host: "127.0.0.1", port: backend.port },
    tls: null,
    method: "GET",
    target: "/",
    httpVersion: "1.1",
    headers: [["Host", "b"]],
    body: null,
    framing: { kind: "none" },
    buffering,
    maxHeaderBytes: 8192,
    keepalive: null,
    connectTimeoutMs: 2000,
    sendTimeoutMs: 2000,
    readTimeoutMs: 2000,
  });
  const bodyOf = async (result: UpstreamResult): Promise<Uint8Array | string> => {
    if (result.kind !== "response") throw new Error(result.detail);
    if (result.body instanceof Uint8Array) return result.body;
    const chunks: Uint8Array[] = [];
    for await (const chunk of result.body as BodyStream) chunks.push(chunk);
    return `streamed: ${Buffer.concat(chunks).toString()}`;
  };

  test("a response with a Content-Length is handed on whole: one write to the client", async () => {
    backend.reply = () => ({ body: "whole body\n" });
    expect(Buffer.from((await bodyOf(await transport.request(request(true)))) as Uint8Array).toString()).toBe("whole body\n");
  });

  test("proxy_buffering off, or the upstream's X-Accel-Buffering: no, keeps it a stream", async () => {
    backend.reply = () => ({ body: "streamed body\n" });
    expect(await bodyOf(await transport.request(request(false)))).toBe("streamed: streamed body\n");
    backend.reply = () => ({ body: "streamed body\n", headers: [["X-Accel-Buffering", "no"]] });
    expect(await bodyOf(await transport.request(request(true)))).toBe("streamed: streamed body\n");
  });

  test("a body cut short is passed on as a failing stream, so the client sees the truncation", async () => {
    backend.reply = () => ({ raw: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part" });
    await expect(bodyOf(await transport.request(request(true)))).rejects.toThrow();
  });
});
