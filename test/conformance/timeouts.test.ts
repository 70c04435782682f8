import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { type LoopbackServer, serveLoopback } from "../support/tcp-server.ts";
import { compareTraces, type Step } from "./_traces.ts";

/**
 * A port that takes no more connections: listening with a full accept queue (nothing accepts),
 * so a new SYN goes unanswered and connect() times out, as it would to a dead host.
 */
async function blackhole(): Promise<{ port: number; close: () => void }> {
  // Node accepts every connection itself; Python's socket module can listen without accepting.
  const child: ChildProcess = spawn("python3", [
    "-c",
    "import socket,sys,time\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)\nprint(s.getsockname()[1], flush=True)\ntime.sleep(600)",
  ]);
  const port = await new Promise<number>((resolve) => child.stdout?.once("data", (d) => resolve(Number(String(d).trim()))));
  // Fill the accept queue.
  const fillers = [net.connect(port, "127.0.0.1"), net.connect(port, "127.0.0.1")];
  for (const f of fillers) f.on("error", () => {});
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    close: () => {
      for (const f of fillers) f.destroy();
      child.kill();
    },
  };
}

/** A backend that accepts and never reads, so a large request body stalls in the socket buffers. */
function deaf(): Promise<LoopbackServer> {
  return serveLoopback((socket) => socket.pause());
}

const check = conformance({});

// nginx-semantics 6.6: connect and send timeouts, 504 or the next peer.
describe("proxy_connect_timeout and proxy_send_timeout", () => {
  let hole: Awaited<ReturnType<typeof blackhole>>;
  let stall: Awaited<ReturnType<typeof deaf>>;
  let good: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    hole = await blackhole();
    stall = await deaf();
    good = await startBackend("good");
    proxies = await startBoth(
      (port) => `
    proxy_connect_timeout 1s;
    proxy_send_timeout 1s;
    client_max_body_size 0;
    upstream hole_then_good { server 127.0.0.1:${hole.port}; server 127.0.0.1:${good.port}; }
    upstream stall_then_good { server 127.0.0.1:${stall.port} max_fails=0; server 127.0.0.1:${good.port}; }
    server {
        listen 127.0.0.1:${port};
        location /connect { proxy_pass http://127.0.0.1:${hole.port}; }
        location /connect-next { proxy_pass http://hole_then_good; }
        location /send { proxy_pass http://127.0.0.1:${stall.port}; }
        location /send-next { proxy_next_upstream error timeout non_idempotent; proxy_pass http://stall_then_good; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    hole.close();
    stall.close();
    await good.close();
  });

  const compare = (steps: Step[]) => compareTraces(proxies, { good }, steps, {});

  check("answers 504 when the connection cannot be made in time, or moves on", async () => {
    const seen = await compare([{ path: "/connect" }, { path: "/connect-next" }, { path: "/connect-next" }]);
    expect(seen[0]).toMatch(/^504 /);
  });

  check("answers 504 when the upstream stops taking the request body, or moves on", async () => {
    const body = "z".repeat(16 * 1024 * 1024);
    const seen = await compare([
      { path: "/send", method: "PUT", body },
      { path: "/send-next", method: "PUT", body },
    ]);
    expect(seen[0]).toMatch(/^504 /);
  });
});
