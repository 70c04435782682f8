import { describe, expect, test } from "vitest";
import {
  type Capabilities,
  type ConnectionInfo,
  compileConfig,
  createProxy,
  MemoryFailureState,
  type ProxyResponse,
  parseConfigText,
  type UpstreamRequest,
  type UpstreamResult,
} from "../../../core/index.ts";

const connection: ConnectionInfo = {
  remoteAddress: "10.0.0.9",
  remotePort: 1,
  listenKey: "*:80",
  localAddress: "127.0.0.1",
  localPort: 80,
  isTls: false,
};

/** A transport that answers by peer port from a script, and records every attempt. */
function scripted(script: Record<number, UpstreamResult["kind"] | "timeout">) {
  const attempts: number[] = [];
  return {
    attempts,
    transport: {
      request: async (req: UpstreamRequest): Promise<UpstreamResult> => {
        const port = req.peer.kind === "tcp" ? req.peer.port : 0;
        attempts.push(port);
        const outcome = script[port] ?? "response";
        if (outcome === "response") {
          return {
            kind: "response",
            status: 200,
            reason: "OK",
            headers: [["X-Port", String(port)]],
            body: (async function* () {})(),
            contentLength: null,
            discard: () => {},
          };
        }
        return {
          kind: "failed",
          reason: outcome === "timeout" ? "timeout" : "error",
          detail: "scripted",
          stage: "connecting",
          requestSent: false,
        };
      },
    },
  };
}

async function proxyWith(
  servers: string,
  script: Record<number, UpstreamResult["kind"] | "timeout">,
  failures = new MemoryFailureState(),
  clock = { now: () => 1_000_000 },
) {
  const config = await compileConfig(
    parseConfigText(`events {} http { upstream u { ${servers} } server { location / { proxy_pass http://u; } } }`),
  );
  const t = scripted(script);
  const caps: Capabilities = {
    transport: t.transport,
    failures,
    spool: null,
    clock,
    log: { alert: () => {}, crit: () => {}, error: () => {}, warn: () => {}, notice: () => {}, info: () => {} },
  };
  return { proxy: createProxy(config, caps), attempts: t.attempts, failures };
}

async function get(proxy: Awaited<ReturnType<typeof proxyWith>>["proxy"]): Promise<ProxyResponse> {
  const res = await proxy.handle(
    { method: "GET", target: "/", httpVersion: "1.1", headers: [["Host", "a"]], framing: { kind: "none" } },
    (async function* () {})(),
    connection,
  );
  if (res.kind === "response") res.done?.();
  return res;
}

const status = (r: ProxyResponse) => (r.kind === "response" ? r.status : 0);

describe("forwarding with a scripted transport and a fake clock", () => {
  test("keeps peer health across a reload for peers that did not change", async () => {
    const failures = new MemoryFailureState();
    const first = await proxyWith("server 10.0.0.1:1 fail_timeout=30s; server 10.0.0.1:2;", { 1: "failed" }, failures);
    expect(status(await get(first.proxy))).toBe(200);
    expect(first.attempts).toEqual([1, 2]);
    // Reload: same peers, new weights. Peer :1 is still within its fail_timeout.
    const second = await proxyWith("server 10.0.0.1:1 fail_timeout=30s weight=3; server 10.0.0.1:2;", {}, failures);
    for (let i = 0; i < 3; i++) await get(second.proxy);
    expect(second.attempts).toEqual([2, 2, 2]);
    // A changed address is a new peer with a clean record.
    const third = await proxyWith("server 10.0.0.1:3 fail_timeout=30s; server 10.0.0.1:2;", {}, failures);
    await get(third.proxy);
    expect(third.attempts).toEqual([3]);
  });

  test("answers 504 after a timeout on the last try, and 502 when a retry finds no live peer", async () => {
    const single = await proxyWith("server 10.0.0.1:1;", { 1: "timeout" });
    expect(status(await get(single.proxy))).toBe(504);
    const pair = await proxyWith("server 10.0.0.1:1; server 10.0.0.1:2 down;", { 1: "timeout" });
    // One non-down peer: one try, so the timeout is final.
    expect(status(await get(pair.proxy))).toBe(504);
    const retry = await proxyWith("server 10.0.0.1:1; server 10.0.0.1:2 max_fails=1;", { 1: "timeout", 2: "timeout" });
    expect(status(await get(retry.proxy))).toBe(504);
    // Both are now failed: no live upstreams, 502 without an attempt.
    expect(status(await get(retry.proxy))).toBe(502);
    expect(retry.attempts).toEqual([1, 2]);
  });

  test("brings a peer back once fail_timeout has passed on the clock", async () => {
    let now = 1_000_000;
    const p = await proxyWith(
      "server 10.0.0.1:1 max_fails=1 fail_timeout=10s; server 10.0.0.1:2;",
      { 1: "failed" },
      new MemoryFailureState(),
      { now: () => now },
    );
    await get(p.proxy);
    now += 10_000;
    for (let i = 0; i < 4; i++) await get(p.proxy);
    expect(p.attempts).toEqual([1, 2, 2, 2, 2, 2]);
    now += 1_000;
    for (let i = 0; i < 4; i++) await get(p.proxy);
    expect(p.attempts.slice(6)).toContain(1);
  });
});
