import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get, header } from "../support/client.ts";
import { ADAPTER_COMMANDS, ROOT, type RunningProxy, startEdgeproxy, tempDir, wrapConfig } from "../support/proxies.ts";

// nginx Plus's sticky has no oracle here (nginx 1.22 is open source): the semantics are its
// documentation's (ngx_http_upstream_module, "sticky"), checked against real backends. The same
// config runs on Node, Bun and Workers at once, and a cookie one runtime set binds the client on
// the others: the cookie carries the peer, so they share nothing else. `sticky learn` keeps its
// sessions in one process's memory: Workers (isolates share none) and Node with several threads
// refuse it at load.
const RUNTIMES = ["node", "bun", "workers"] as const;
const LEARNING = ["node", "bun"] as const;
const TAGS = ["a", "b", "c"];

let backends: Backend[];
const proxies = new Map<string, RunningProxy>();

const config = (runtime: string) => (port: number) => {
  const [a, b, c] = backends.map((x) => `127.0.0.1:${x.port}`);
  return `
    upstream cookie { server ${a}; server ${b}; server ${c};
        sticky cookie srv_id expires=1h domain=.example.com path=/ httponly secure samesite=lax; }
    upstream route { server ${a} route=a; server ${b} route=b; server ${c} route=c;
        sticky route $cookie_route $arg_route; }
    server {
        listen 127.0.0.1:${port};
        location /cookie/ { proxy_pass http://cookie; }
        location /route/ { proxy_pass http://route; }
        ${runtime === "workers" ? "" : "location /learn/ { proxy_pass http://learn; }"}
    }
    ${runtime === "workers" ? "" : `upstream learn { server ${a}; server ${b}; server ${c}; ${LEARN_LINE} }`}`;
};

const LEARN_LINE = "sticky learn create=$upstream_cookie_sid lookup=$cookie_sid zone=sessions:1m;";

beforeAll(async () => {
  backends = await Promise.all(TAGS.map((t) => startBackend(t)));
  const started = await Promise.all(RUNTIMES.map((r) => startEdgeproxy(config(r), ADAPTER_COMMANDS[r])));
  for (const [i, r] of RUNTIMES.entries()) proxies.set(r, started[i] as RunningProxy);
}, 120_000);
afterAll(async () => {
  await Promise.all([...proxies.values()].map((p) => p.stop()));
  await Promise.all(backends.map((b) => b.close()));
});

const port = (runtime: string) => (proxies.get(runtime) as RunningProxy).port;
const body = (res: { body: Buffer }) => res.body.toString().trim();
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

describe("sticky cookie on node, bun and workers", () => {
  test.each(RUNTIMES)("%s sets the cookie naming the peer that answered, with its attributes", async (runtime) => {
    const res = await get(port(runtime), "/cookie/first");
    expect(res.status).toBe(200);
    const backend = backends[TAGS.indexOf(body(res))] as Backend;
    expect(header(res, "set-cookie")).toMatch(
      new RegExp(
        `^srv_id=${md5(`127.0.0.1:${backend.port}`)}; expires=\\w{3}, \\d\\d-\\w{3}-\\d\\d \\d\\d:\\d\\d:\\d\\d GMT; max-age=3600; domain=.example.com; path=/; secure; httponly; samesite=Lax$`,
      ),
    );
  });

  test("a cookie one runtime set holds the client to its peer on every runtime, and no new cookie is set", async () => {
    const first = await get(port("node"), "/cookie/bind");
    const peer = body(first);
    const cookie = (header(first, "set-cookie") as string).split(";")[0] as string;
    for (const runtime of RUNTIMES) {
      for (let i = 0; i < 4; i++) {
        const res = await get(port(runtime), `/cookie/again${i}`, ["Host: example.com", `Cookie: ${cookie}`]);
        expect(`${runtime}: ${body(res)}`).toBe(`${runtime}: ${peer}`);
        expect(header(res, "set-cookie")).toBeUndefined();
      }
    }
  });

  test("a client whose peer is gone is balanced to another and given that peer's cookie", async () => {
    const c = backends[2] as Backend;
    const cookie = `srv_id=${md5(`127.0.0.1:${c.port}`)}`;
    c.reply = () => ({ reset: true });
    try {
      for (const runtime of RUNTIMES) {
        const res = await get(port(runtime), "/cookie/moved", ["Host: example.com", `Cookie: ${cookie}`]);
        expect(`${runtime}: ${res.status} ${body(res) === "c"}`).toBe(`${runtime}: 200 false`);
        expect(header(res, "set-cookie")).toMatch(/^srv_id=[0-9a-f]{32};/);
        expect(header(res, "set-cookie")).not.toContain(cookie);
      }
    } finally {
      c.reply = () => ({ body: "c\n" });
    }
  });
});

describe("sticky route on node, bun and workers", () => {
  test.each(RUNTIMES)("%s sends a request to the server its route names, the cookie before the argument", async (runtime) => {
    for (let i = 0; i < 3; i++) expect(body(await get(port(runtime), `/route/x?route=b`))).toBe("b");
    expect(body(await get(port(runtime), "/route/x?route=b", ["Host: example.com", "Cookie: route=c"]))).toBe("c");
  });
});

describe("sticky learn on node and bun", () => {
  test.each(LEARNING)("%s learns the session the upstream created and sends the session's requests to it", async (runtime) => {
    const session = `s-${runtime}`;
    // Every peer creates sessions; the first request's peer is whichever the balancer picks.
    for (const [i, x] of backends.entries()) {
      x.reply = () => ({ headers: [["Set-Cookie", `sid=${session}-${i}; Path=/`]], body: `${TAGS[i]}\n` });
    }
    let first: string;
    try {
      first = body(await get(port(runtime), "/learn/login"));
    } finally {
      for (const [i, x] of backends.entries()) x.reply = () => ({ body: `${TAGS[i]}\n` });
    }
    const sid = `${session}-${TAGS.indexOf(first)}`;
    for (let i = 0; i < 4; i++) {
      expect(body(await get(port(runtime), `/learn/page${i}`, ["Host: example.com", `Cookie: sid=${sid}`]))).toBe(first);
    }
  });
});

describe("sticky learn where processes share no memory", () => {
  const refusal = (command: string[], main = "") => {
    const dir = tempDir("sticky");
    const file = join(dir, "edge.conf");
    const http = `upstream learn { server 127.0.0.1:1; ${LEARN_LINE} }\nserver { listen 127.0.0.1:1; location / { proxy_pass http://learn; } }`;
    const text = `${main}\n${wrapConfig(dir, http)}`;
    writeFileSync(file, text);
    const r = spawnSync(command[0] as string, [...command.slice(1), "-c", file], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
    const line = text.split("\n").findIndex((l) => l.includes("sticky learn")) + 1;
    return { status: r.status, output: r.stderr + r.stdout, line: `${file}:${line}` };
  };

  test("is refused on Workers with its line: isolates share no sessions", () => {
    const r = refusal(ADAPTER_COMMANDS.workers);
    expect(r.status).toBe(1);
    expect(r.output).toContain(`${r.line}: "sticky learn" keeps its sessions in memory, which Cloudflare Workers isolates do not share`);
  });

  test.each([
    ["Node", ADAPTER_COMMANDS.node],
    ["Bun", ADAPTER_COMMANDS.bun],
  ])("is refused on %s with worker_processes 2: threads share no sessions", (_runtime, command) => {
    const r = refusal(command, "worker_processes 2;");
    expect(r.status).toBe(1);
    expect(r.output).toContain(`${r.line}: "sticky learn" keeps its sessions in each thread, and "worker_processes 2" runs 2`);
  });
});
