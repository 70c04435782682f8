import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { header, rawRequest } from "../support/client.ts";
import { converse } from "../support/converse.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import {
  ADAPTER,
  ADAPTER_COMMANDS,
  freePort,
  type RunningProxy,
  startBoth,
  startEdgeproxyMain,
  tempDir,
  wrapConfig,
} from "../support/proxies.ts";

const check = conformance({
  workers: {
    "sends a #fragment in the request target upstream as nginx does":
      "fetch sends no #fragment: a URL's fragment is never part of the request it makes",
    "answers Expect: 100-continue with Content-Length: 0 as nginx does": BECAUSE.edgeConnections,
    "sends what came of a body shorter than its Content-Length, then closes": BECAUSE.edgeConnections,
    "closes idle client connections at a reload, and the rest as nginx's old worker does":
      "a Worker has no reload and no client connections of its own",
  },
});

// Differences nginx users met, each compared on the wire with nginx: what the client got and what the upstream saw.
describe("the upstream's Server, fragments, Expect with no body, short bodies", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("kd");
    backend.reply = (r) => {
      const target = r.requestLine.split(" ")[1] ?? "";
      if (target.startsWith("/short")) {
        return { raw: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly this much", close: true };
      }
      return {
        headers: [
          ["Server", "upstream/1.0"],
          ["Content-Type", "text/plain"],
        ],
        body: `saw ${r.requestLine}\n`,
      };
    };
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        location /uri/ { proxy_pass http://127.0.0.1:${backend.port}/x/; }
        location /vars/ { return 200 "uri=[$uri] args=[$args] request_uri=[$request_uri] is_args=[$is_args]\\n"; }
        location /short-stream/ { proxy_buffering off; proxy_pass http://127.0.0.1:${backend.port}; }
        location /server/ { proxy_pass_header Server; proxy_pass http://127.0.0.1:${backend.port}; }
        location / { proxy_pass http://127.0.0.1:${backend.port}; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  /** The same bytes through each proxy: what the client read, without the Date, and what the upstream saw. */
  async function both(request: string, waitFor?: string) {
    const out: Record<string, { client: string; upstream: string[] }> = {};
    for (const p of proxies) {
      const before = backend.seen.length;
      const steps = waitFor
        ? [request.split("\r\n\r\n")[0] + "\r\n\r\n", { until: waitFor }, request.slice(request.indexOf("\r\n\r\n") + 4)]
        : [request];
      const client = await converse(p.port, steps);
      await new Promise((r) => setTimeout(r, 20));
      out[p.name] = {
        client: client.replace(/^Date: .*\r\n/gm, "").replace(/^Server: (nginx\/[\d.]+|edgeproxy)\r\n/gm, "Server: PROXY\r\n"),
        upstream: backend.seen.slice(before).map((s) => s.requestLine),
      };
    }
    return out;
  }

  check("passes the upstream's Server with proxy_pass_header Server", async () => {
    for (const [target, server] of [
      ["/server/a", "upstream/1.0"],
      ["/a", undefined],
    ] as const) {
      const got = await Promise.all(
        proxies.map((p) => rawRequest(p.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)),
      );
      const servers = got.map((res) => header(res, "server"));
      expect(servers[0], target).toBe(server ?? "nginx/1.22.1");
      expect(servers[1], target).toBe(server ?? "edgeproxy");
    }
  });

  check("sends a #fragment in the request target upstream as nginx does", async () => {
    const seen = await both("GET /frag/a?b=1#part HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(seen.edgeproxy).toEqual(seen.nginx);
    for (const target of ["/frag/#only", "/frag/a#x?y=1", "/uri/a?b=1#part", "/vars/a?b=1#c", "/vars/a#c?d"]) {
      const seen = await both(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(seen.edgeproxy, target).toEqual(seen.nginx);
    }
  });

  check("answers Expect: 100-continue with Content-Length: 0 as nginx does", async () => {
    for (const head of ["POST /expect HTTP/1.1\r\nContent-Length: 0", "GET /expect HTTP/1.1", "GET /expect HTTP/1.0"]) {
      const seen = await both(`${head}\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
      expect(seen.edgeproxy, head).toEqual(seen.nginx);
    }
  });

  check("sends what came of a body shorter than its Content-Length, then closes", async () => {
    for (const target of ["/short", "/short-stream/"]) {
      const seen = await both(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(seen.nginx?.client, target).toContain("only this much");
      expect(seen.edgeproxy, target).toEqual(seen.nginx);
    }
  });
});

// `max_conns` under `random` (ngx_http_upstream_get_random_peer()): a peer at its limit is drawn
// again, and past that the request is 502 "no live upstreams", never one connection too many.
describe("random with max_conns", () => {
  let backends: Backend[];
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backends = [await startBackend("r1"), await startBackend("r2")];
    for (const b of backends) b.reply = () => ({ body: "slow\n", delayMs: 600 });
    const [one, two] = backends as [Backend, Backend];
    proxies = await startBoth(
      (port) => `
    upstream rand { random; server 127.0.0.1:${one.port} max_conns=1; server 127.0.0.1:${two.port} max_conns=2; }
    upstream randtwo { random two; server 127.0.0.1:${one.port} max_conns=1; server 127.0.0.1:${two.port} max_conns=2; }
    server {
        listen 127.0.0.1:${port};
        location /rand { proxy_pass http://rand; }
        location /randtwo { proxy_pass http://randtwo; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(backends.map((b) => b.close()));
  });

  for (const path of ["/rand", "/randtwo"])
    check(`never has more than max_conns requests on a peer with ${path.slice(1)}`, async () => {
      const outcome: Record<string, string[]> = {};
      for (const p of proxies) {
        const before = backends.map((b) => b.seen.length);
        const got = await Promise.all(
          Array.from({ length: 6 }, () => rawRequest(p.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)),
        );
        const reached = backends.map((b, i) => b.seen.length - (before[i] as number));
        outcome[p.name] = [`reached ${reached.join(" ")}`, ...got.map((r) => String(r.status)).sort()];
      }
      expect(outcome.nginx).toEqual(["reached 1 2", "200", "200", "200", "502", "502", "502"]);
      expect(outcome.edgeproxy).toEqual(outcome.nginx);
    });
});

/** How a connection ended after a reload: at once, at worker_shutdown_timeout, or not within `limitMs`; with what it read. */
async function endOf(socket: net.Socket, since: number, limitMs: number): Promise<string> {
  let got = "";
  let reset = false;
  socket.on("data", (d: Buffer) => {
    got += d.toString("latin1");
  });
  socket.on("error", () => {
    reset = true;
  });
  const ended = await Promise.race([
    new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now() - since))),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), limitMs)),
  ]);
  socket.destroy();
  const when = ended === null ? "still open" : ended < 500 ? "closed at once" : "closed at worker_shutdown_timeout";
  const status = /^HTTP\/1.1 (\d+)/.exec(got)?.[1] ?? "nothing";
  return `${reset ? `${when} by a reset` : when}, read ${status}`;
}

/** nginx with a master process, which a reload needs, and `main` lines; ready once it accepts. */
async function startNginxMaster(main: string, http: (port: number) => string): Promise<RunningProxy> {
  const port = await freePort();
  const dir = tempDir("nginx");
  const file = join(dir, "nginx.conf");
  writeFileSync(file, `${main}\n${wrapConfig(dir, http(port)).replace("master_process off;", "master_process on;")}`);
  const child = spawn("nginx", ["-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", file], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(s.destroy() === s));
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const stop = async () => {
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  };
  return { name: "nginx", port, dir, pid: child.pid as number, exited, log: () => "", stop };
}

// A reload as nginx's old worker ends its connections: idle ones at once, one that never sent a
// request at worker_shutdown_timeout, one answering a request after its response.
describe("client connections at a reload", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("rl");
    backend.reply = () => ({ body: "slow\n", delayMs: 300 });
    const http = (port: number) => `
    server {
        listen 127.0.0.1:${port};
        location / { return 200 "ok\\n"; }
        location /slow { proxy_pass http://127.0.0.1:${backend.port}; }
    }`;
    const main = "worker_processes 1; worker_shutdown_timeout 1s;";
    proxies = await Promise.all([startNginxMaster(main, http), startEdgeproxyMain(main, http, ADAPTER_COMMANDS[ADAPTER])]);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  check("closes idle client connections at a reload, and the rest as nginx's old worker does", async () => {
    const outcome: Record<string, string[]> = {};
    for (const p of proxies) {
      const connect = () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(p.port, "127.0.0.1", () => resolve(s));
        });
      const idle = await connect();
      idle.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise((resolve) => idle.once("data", resolve));
      const fresh = await connect();
      const answering = await connect();
      answering.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise((r) => setTimeout(r, 100));
      const since = performance.now();
      process.kill(p.pid, "SIGHUP");
      outcome[p.name] = await Promise.all([idle, fresh, answering].map((s) => endOf(s, since, 3000)));
    }
    expect(outcome.nginx).toEqual([
      "closed at once, read nothing",
      "closed at worker_shutdown_timeout, read nothing",
      "closed at once, read 200",
    ]);
    expect(outcome.edgeproxy).toEqual(outcome.nginx);
  });
});
