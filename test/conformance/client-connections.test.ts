import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { converse, normalized, type Step } from "../support/converse.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

/**
 * What a client connection carries besides one request: pipelined requests, bodies left unread,
 * HTTP/1.0 keep-alive, `Expect: 100-continue` (docs/nginx-semantics.md 6.4, 8).
 */

const check = conformance({});

describe("client connections", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("c");
    proxies = await startBoth(
      (port) => `log_format status '$request_uri $status';
      server {
        listen 127.0.0.1:${port};
        access_log {{dir}}/status.log status;
        location /up { proxy_pass http://127.0.0.1:${backend.port}; }
        location / { return 200 "$request_method $request_uri\\n"; }
      }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  async function both(steps: Step[]): Promise<{ nginx: string; edgeproxy: string }> {
    const [nginx = "", edgeproxy = ""] = await Promise.all(proxies.map((p) => converse(p.port, steps)));
    return { nginx: normalized(nginx), edgeproxy: normalized(edgeproxy) };
  }

  check("answers pipelined requests in order, reading past bodies nobody asked for", async () => {
    const seen = await both([
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
        "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]);
    expect(seen.nginx.match(/HTTP\/1.1 200/g)).toHaveLength(4);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("keeps an HTTP/1.0 connection that asks for keep-alive, and closes one that does not", async () => {
    const seen = await both([
      "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      { until: "GET /a\n" },
      "GET /b HTTP/1.0\r\n\r\n",
      "GET /never HTTP/1.0\r\n\r\n",
    ]);
    expect(seen.nginx).toContain("Connection: keep-alive");
    expect(seen.nginx).not.toContain("/never");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("sends 100 Continue when it starts reading the body, and never forwards Expect", async () => {
    const seen = await both([
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
      { until: "100 Continue" },
      "hello",
    ]);
    expect(seen.nginx).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200/);
    expect(seen.edgeproxy.slice(0, 40)).toEqual(seen.nginx.slice(0, 40));
    const forwarded = backend.seen.filter((r) => r.requestLine.startsWith("POST /up "));
    expect(forwarded).toHaveLength(2);
    for (const r of forwarded) expect(r.headers.some(([n]) => n.toLowerCase() === "expect")).toBe(false);
  });

  check("answers a malformed chunked body with 400 and closes", async () => {
    const seen = await both(["POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"]);
    expect(seen.nginx).toMatch(/^HTTP\/1.1 400 /);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("drops the upstream request and logs 499 when the client leaves while waiting for it", async () => {
    const reply = backend.reply;
    backend.reply = (r) => (r.requestLine.startsWith("GET /up/slow ") ? { body: "late", delayMs: 1500 } : reply(r));
    try {
      const started = Date.now();
      const seen = await both(["GET /up/slow HTTP/1.1\r\nHost: x\r\n\r\n", { waitMs: 300 }, "shutdown"]);
      // Both close at once, without a word, long before the upstream would have answered.
      expect(seen).toEqual({ nginx: "", edgeproxy: "" });
      expect(Date.now() - started).toBeLessThan(1400);
      await new Promise((r) => setTimeout(r, 200));
      const last = (p: RunningProxy) => readFileSync(join(p.dir, "status.log"), "latin1").trim().split("\n").at(-1);
      expect(proxies.map(last)).toEqual(["/up/slow 499", "/up/slow 499"]);
    } finally {
      backend.reply = reply;
    }
  });
});
