import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { h2Once } from "../support/h2-client.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";
import { dataFrame, type Field, H2_ERROR, h2Raw, headersFrame, rstFrame, type StreamAnswer } from "./_h2-frames.ts";

/** One upstream connection as the raw upstream saw it: every byte, and whether it was closed. */
interface UpstreamConnection {
  bytes: string;
  closed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(path = "/x", method = "GET"): Field[] {
  return [
    [":method", method],
    [":scheme", "http"],
    [":path", path],
    [":authority", "h2.test"],
  ];
}

// HTTP/2 downgrade attacks (HTTP/2 in front, HTTP/1 behind): requests hand-framed so that
// nothing normalises them on the way, against nginx and edgeproxy on the same config. On Workers
// the platform speaks HTTP/2 to clients: nothing of edgeproxy's runs there.
describe.skipIf(ADAPTER === "workers")("HTTP/2 to HTTP/1 downgrade", () => {
  let backend: Backend;
  let raw: LoopbackServer;
  let connections: UpstreamConnection[];
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("b");
    connections = [];
    // Answers each request head with the headers its path names (/resp/<encoded lines>), else
    // 200 once the body its Content-Length gives is in; a request with a chunked body gets no answer.
    raw = await serveLoopback((socket) => {
      const seen: UpstreamConnection = { bytes: "", closed: false };
      connections.push(seen);
      let pending = "";
      socket.on("data", (chunk) => {
        seen.bytes += chunk.toString("latin1");
        pending += chunk.toString("latin1");
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = pending.slice(0, end);
        const target = head.split(" ")[1] ?? "";
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (/\r\ntransfer-encoding:/i.test(head) || pending.length < end + 4 + length) return;
        pending = pending.slice(end + 4 + length);
        const extra = target.startsWith("/resp/") ? `${decodeURIComponent(target.slice(6))}\r\n` : "";
        socket.write(`HTTP/1.1 200 OK\r\n${extra}Content-Length: 2\r\n\r\nok`);
      });
      socket.on("close", () => {
        seen.closed = true;
      });
    });
    proxies = await startBoth(
      (port) => `
    upstream raw { server 127.0.0.1:${raw.port}; keepalive 4; }
    server {
        listen 127.0.0.1:${port} http2;
        server_name h2.test;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location / { proxy_pass http://127.0.0.1:${backend.port}; }
        location /stream/ { proxy_request_buffering off; proxy_pass http://raw; }
        location /buffered/ { proxy_pass http://raw; }
        location /resp/ { proxy_pass http://raw; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    raw.close();
  });

  /** Sends hand-made frames through each proxy: the answer, and the requests the backend got. */
  async function viaBoth(frames: Buffer[], later?: Buffer[]): Promise<Record<string, StreamAnswer & { upstream: string[] }>> {
    const out: Record<string, StreamAnswer & { upstream: string[] }> = {};
    for (const p of proxies) {
      const before = backend.seen.length;
      const answer = await h2Raw(p.port, frames, { timeoutMs: 3000, ...(later ? { later } : {}) });
      await sleep(30);
      out[p.name] = { ...answer, upstream: backend.seen.slice(before).map((s) => s.raw.toString("latin1")) };
    }
    return out;
  }

  // A field nginx resets the stream for, or takes apart from HTTP/1's rules. Node's nghttp2
  // drops a field with CR, LF or NUL, or an invalid name, and serves the rest of the request
  // (nginx resets the stream): the promise is that no such byte reaches the upstream.
  test.each<[string, Field]>([
    ["CR LF in a value", ["x-a", "1\r\nx-injected: 1"]],
    ["LF in a value", ["x-a", "1\nx-injected: 1"]],
    ["CR in a value", ["x-a", "1\rx-injected: 1"]],
    ["NUL in a value", ["x-a", "1\0x-injected: 1"]],
    ["CR LF in a name", ["x-injected\r\nx-b", "1"]],
    ["a colon in a name", ["x-injected:b", "1"]],
    ["a space in a name", ["x-injected b", "1"]],
  ])("%s never reaches the upstream", async (_name, field) => {
    const seen = await viaBoth([headersFrame(1, [...request(), field], true)]);
    expect(seen.nginx?.upstream).toEqual([]);
    expect(seen.edgeproxy?.upstream.filter((r) => r.includes("injected"))).toEqual([]);
  });

  test("an upper-case name resets the stream, as nginx", async () => {
    const seen = await viaBoth([headersFrame(1, [...request(), ["X-Upper", "1"]], true)]);
    expect(seen.edgeproxy).toMatchObject({ status: 0, reset: seen.nginx?.reset, upstream: [] });
  });

  // RFC 9113 §8.2.2: connection-specific fields make the request malformed. nginx 1.22 takes
  // them and leaves them out (a transfer-encoding it ignores for the DATA frames' length);
  // edgeproxy's platforms reset the stream, and so does the core where one would not.
  test.each<[string, Field, string?]>([
    ["transfer-encoding", ["transfer-encoding", "chunked"], "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h2.test\r\n\r\n"],
    ["connection", ["connection", "close"]],
    ["keep-alive", ["keep-alive", "timeout=5"]],
    ["proxy-connection", ["proxy-connection", "close"]],
    ["upgrade", ["upgrade", "websocket"]],
    ["te other than trailers", ["te", "gzip"]],
  ])("a %s field is refused, and nothing reaches the upstream", async (_name, field, body) => {
    const method = body === undefined ? "GET" : "POST";
    const head = headersFrame(1, [...request("/x", method), field], body === undefined);
    const seen = await viaBoth(body === undefined ? [head] : [head, dataFrame(1, body, true)]);
    expect(seen.edgeproxy).toMatchObject({ status: 0, reset: H2_ERROR.protocol, upstream: [] });
  });

  test("te: trailers is taken, as nginx", async () => {
    const seen = await viaBoth([headersFrame(1, [...request(), ["te", "trailers"]], true)]);
    expect({ status: seen.edgeproxy?.status, reached: seen.edgeproxy?.upstream.length }).toEqual({ status: 200, reached: 1 });
    expect(seen.nginx?.status).toBe(200);
  });

  // Pseudo-headers: nginx answers 400 where the platform resets the stream; either way nothing
  // reaches the upstream. (nginx 1.22 takes a pseudo-header after a regular one and a
  // userinfo in :authority; the platforms refuse both, which is safer.)
  test.each<[string, Field[]]>([
    ["a repeated :path", [...request(), [":path", "/y"]]],
    ["a repeated :method", [...request(), [":method", "POST"]]],
    ["a repeated :authority", [...request(), [":authority", "other.test"]]],
    ["no :path", request().filter(([n]) => n !== ":path")],
    ["no :method", request().filter(([n]) => n !== ":method")],
    ["no :scheme", request().filter(([n]) => n !== ":scheme")],
    ["an unknown pseudo-header", [...request(), [":foo", "1"]]],
    ["a :status in a request", [...request(), [":status", "200"]]],
    ["a :path without a slash", request("x")],
    ["an absolute :path", request("http://evil.test/x")],
    ["GET *", request("*")],
    ["OPTIONS *", request("*", "OPTIONS")],
    ["a space in :path", request("/a b")],
    ["CR LF in :path", request("/a\r\nx-injected: 1")],
    ["a request line in :method", request("/x", "GET /admin HTTP/1.1\r\nHost: a\r\n\r\nGET")],
    ["a space in :method", request("/x", "GET /admin")],
    ["CR LF in :authority", [...request().slice(0, 3), [":authority", "h2.test\r\nx-injected: 1"]]],
    ["a space in :authority", [...request().slice(0, 3), [":authority", "h2 .test"]]],
    ["a host beside :authority that disagrees", [...request(), ["host", "other.test"]]],
    [
      "CONNECT",
      [
        [":method", "CONNECT"],
        [":authority", "h2.test:443"],
      ],
    ],
    ["CONNECT with :path", request("/x", "CONNECT")],
  ])("%s is refused, and nothing reaches the upstream", async (_name, fields) => {
    const seen = await viaBoth([headersFrame(1, fields, true)]);
    expect(seen.nginx?.upstream).toEqual([]);
    expect(seen.edgeproxy?.upstream).toEqual([]);
    expect(seen.edgeproxy?.status === 0 || (seen.edgeproxy?.status ?? 0) >= 400).toBe(true);
  });

  // ngx_http_v2_parse_method(), ngx_http_process_request_header(): methods nginx would not
  // forward, whose spelling the upstream could read otherwise than this proxy's rules did.
  test.each([
    ["TRACE", 405],
    ["get", 400],
    ["Post", 400],
    ["G.T", 400],
    ["GE-T_X", 200],
  ])("the method %j gets %i, as nginx", async (method, status) => {
    const seen = await viaBoth([headersFrame(1, request("/m", method), true)]);
    expect(seen.nginx?.status).toBe(status);
    expect({ status: seen.edgeproxy?.status, reached: seen.edgeproxy?.upstream.length }).toEqual({
      status,
      reached: seen.nginx?.upstream.length,
    });
  });

  test("cookie fields are joined into one header, as nginx", async () => {
    const seen = await viaBoth([headersFrame(1, [...request(), ["cookie", "a=1"], ["cookie", "b=2"]], true)]);
    expect(seen.edgeproxy?.upstream).toEqual(seen.nginx?.upstream);
    expect(seen.nginx?.upstream[0]).toContain("\r\ncookie: a=1; b=2\r\n");
  });

  // large_client_header_buffers bounds each field and the whole list (nginx ends the connection
  // with ENHANCE_YOUR_CALM); the platforms' own limits are looser, or differ.
  test.each<[string, Field[]]>([
    ["a field over 8k", [...request(), ["x-a", "v".repeat(10_000)]]],
    ["a list over 32k in 40 fields", [...request(), ...Array.from({ length: 40 }, (_, i) => [`x-h${i}`, "v".repeat(1000)] as Field)]],
  ])("%s ends the connection, as nginx", async (_name, fields) => {
    const seen = await viaBoth([headersFrame(1, fields, true)]);
    expect(seen.nginx).toMatchObject({ status: 0, goaway: 11, upstream: [] });
    expect(seen.edgeproxy?.upstream).toEqual([]);
    expect(seen.edgeproxy?.status).toBe(0);
    expect(seen.edgeproxy?.reset ?? seen.edgeproxy?.goaway).toBe(11);
  });

  /**
   * Sends a request to a path of the raw upstream with hand-made frames, then asks for /next on
   * a connection of its own: what each upstream connection received meanwhile, and the answer.
   */
  async function throughRaw(
    proxy: RunningProxy,
    frames: Buffer[],
    later: Buffer[],
    laterWhen?: Promise<unknown>,
  ): Promise<{ next: number; touched: UpstreamConnection[] }> {
    const before = new Map(connections.map((c) => [c, c.bytes.length]));
    await h2Raw(proxy.port, frames, { later, laterWhen, timeoutMs: 600 });
    await sleep(300);
    const next = await h2Once(proxy.port, { headers: { ":path": "/buffered/next", ":authority": "h2.test" } }, { plain: true });
    await sleep(50);
    const touched = connections
      .filter((c) => c.bytes.length > (before.get(c) ?? 0))
      .map((c) => ({ bytes: c.bytes.slice(before.get(c) ?? 0), closed: c.closed }));
    return { next: next.status, touched };
  }

  /** Resolves once a request for `path` has reached the raw upstream, or after `ms`. */
  async function reachedUpstream(path: string, ms = 3000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) {
      if (connections.some((c) => c.bytes.includes(`POST ${path} `))) return;
    }
  }

  /** The connection that carried `path`, and whether a later request went on it. */
  function carrier(touched: UpstreamConnection[], path: string): UpstreamConnection | undefined {
    return touched.find((c) => c.bytes.startsWith(`POST ${path} `));
  }

  // A body whose DATA frames disagree with content-length, sent after the head so that a
  // streaming location has started its upstream request: the upstream must never get more
  // than content-length bytes, nor a request it could take as complete, and the connection
  // must not go back to the pool with a half-sent body.
  test.each([
    ["longer than content-length", "3", "hel", "loGET /smuggled HTTP/1.1\r\nHost: h2.test\r\n\r\n"],
    ["shorter than content-length", "10", "hel", "lo"],
  ])(
    "a streamed body %s never goes upstream past its length, and its upstream connection is closed, as nginx",
    async (_name, length, first, rest) => {
      for (const p of proxies) {
        const path = `/stream/${p.name}-${length}`;
        const head = headersFrame(1, [...request(path, "POST"), ["content-length", length]], false);
        const { next, touched } = await throughRaw(p, [head, dataFrame(1, first, false)], [dataFrame(1, rest, true)]);
        const used = carrier(touched, path);
        const sent = used?.bytes.slice(used.bytes.indexOf("\r\n\r\n") + 4) ?? "";
        expect({
          proxy: p.name,
          withinLength: sent.length <= Number(length),
          closed: used?.closed ?? true,
        }).toEqual({
          proxy: p.name,
          withinLength: true,
          closed: true,
        });
        expect({ proxy: p.name, next, smuggled: touched.some((c) => c.bytes.includes("/smuggled")) }).toEqual({
          proxy: p.name,
          next: 200,
          smuggled: false,
        });
      }
    },
  );

  // A stream reset mid-body: a buffered body never reaches the upstream; a streamed one is cut
  // there with its connection closed, never ended (no last chunk) nor reused.
  test.each([
    ["buffered, with content-length", "/buffered/len", "10"],
    ["buffered, without content-length", "/buffered/unframed", null],
    ["streamed, with content-length", "/stream/len", "10"],
    ["streamed, without content-length (chunked upstream)", "/stream/unframed", null],
  ])("a stream reset mid-body (%s) leaves no request the upstream could take as whole", async (_name, path, length) => {
    for (const p of proxies) {
      const fields: Field[] = [...request(`${path}-${p.name}`, "POST"), ...(length === null ? [] : [["content-length", length] as Field])];
      const frames = [headersFrame(1, fields, false), dataFrame(1, "hello", false)];
      const streamed = path.startsWith("/stream/");
      // A streamed request is reset once its head is upstream, however slow the machine.
      const laterWhen = streamed ? reachedUpstream(`${path}-${p.name}`) : undefined;
      const { next, touched } = await throughRaw(p, frames, [rstFrame(1, H2_ERROR.cancel)], laterWhen);
      const used = carrier(touched, `${path}-${p.name}`);
      expect({
        proxy: p.name,
        reached: used !== undefined,
        closed: used?.closed ?? true,
        lastChunk: used?.bytes.endsWith("0\r\n\r\n") ?? false,
        next,
      }).toEqual({ proxy: p.name, reached: streamed, closed: true, lastChunk: false, next: 200 });
    }
  });

  // ngx_http_v2_header_filter() leaves out what HTTP/2 does not carry; nginx 1.22 relays
  // Upgrade, Proxy-Connection and TE, which HTTP/2 clients refuse the whole response for.
  test.each([["Connection: close"], ["Keep-Alive: timeout=5"], ["Proxy-Connection: close"], ["Upgrade: h2c"], ["TE: gzip"]])(
    "the upstream's %s is left out of the HTTP/2 response",
    async (line) => {
      const p = proxies.find((x) => x.name === "edgeproxy") as RunningProxy;
      const answer = await h2Once(
        p.port,
        { headers: { ":path": `/resp/${encodeURIComponent(`${line}\r\nX-After: 1`)}`, ":authority": "h2.test" } },
        { plain: true },
      );
      const name = line.slice(0, line.indexOf(":")).toLowerCase();
      expect({
        status: answer.status,
        dropped: !answer.headers.some(([n]) => n === name),
        after: answer.headers.find(([n]) => n === "x-after")?.[1],
      }).toEqual({
        status: 200,
        dropped: true,
        after: "1",
      });
    },
  );

  test.each([["constructor: x"], ["__proto__: x\r\n__proto__: y"]])(
    "an upstream header named like an object's member (%j) is relayed as it is, as nginx",
    async (lines) => {
      const answers: Record<string, string[]> = {};
      for (const p of proxies) {
        const answer = await h2Once(
          p.port,
          { headers: { ":path": `/resp/${encodeURIComponent(lines)}`, ":authority": "h2.test" } },
          { plain: true },
        );
        const name = lines.slice(0, lines.indexOf(":")).toLowerCase();
        answers[p.name] = answer.headers.filter(([n]) => n === name).map(([, v]) => v);
      }
      expect(answers.edgeproxy).toEqual(answers.nginx);
      expect(answers.nginx?.length).toBeGreaterThan(0);
    },
  );

  test("a stream reset does not take its session's other streams down", async () => {
    const p = proxies.find((x) => x.name === "edgeproxy") as RunningProxy;
    const session = http2.connect(`http://127.0.0.1:${p.port}`);
    const cut = session.request({ ":method": "POST", ":path": "/stream/cut", ":authority": "h2.test" }, { endStream: false });
    cut.on("error", () => {});
    cut.write("hello");
    await sleep(100);
    cut.close(http2.constants.NGHTTP2_CANCEL);
    const status = await new Promise<number>((resolve) => {
      const s = session.request({ ":path": "/after", ":authority": "h2.test" });
      s.on("response", (h) => resolve(Number(h[":status"])));
      s.on("error", () => resolve(0));
      s.resume();
    });
    session.close();
    expect(status).toBe(200);
  });
});
