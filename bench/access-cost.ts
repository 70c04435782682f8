/**
 * What the access and rate checks cost a request, without sockets: the phases from find-config
 * through access (realip, limit_req, limit_conn, allow/deny) for a location with no checks and
 * for one with `allow`, `deny` and a `limit_req` zone whose rate is never reached, on this
 * runtime, a million times each. The end-to-end A/B is bench/guarded.ts; this isolates the
 * checks from the kernel's and the event loop's noise.
 *
 *   node bench/access-cost.ts        bun bench/access-cost.ts
 */
import { compileConfigSync } from "../core/config/compile.ts";
import { parseConfigText } from "../core/config/parse.ts";
import type { RequestHead } from "../core/exchange.ts";
import { MemoryFailureState } from "../core/index.ts";
import { access } from "../core/phases/access.ts";
import { findConfig } from "../core/phases/find-config.ts";
import { limitConn, limitReq } from "../core/phases/limits.ts";
import { planProxy } from "../core/phases/plan.ts";
import { newRequest } from "../core/phases/read.ts";
import { realip } from "../core/phases/realip.ts";
import { parseTarget } from "../core/route/uri.ts";

const config = compileConfigSync(
  parseConfigText(`events {} http {
    limit_req_zone $binary_remote_addr zone=bench:10m rate=1000000r/s;
    server {
        listen 127.0.0.1:8080;
        location / { return 200; }
        location = /guarded { allow 127.0.0.0/8; deny all; limit_req zone=bench burst=1000 nodelay; return 200; }
    }
  }`),
);
const quiet = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };
const clock = { now: () => Date.now() };
const plan = planProxy(config, {
  transport: { request: () => Promise.reject(new Error("no upstream here")) },
  failures: new MemoryFailureState(),
  spool: null,
  clock,
  log: quiet,
});
const connection = {
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  listenKey: "127.0.0.1:8080",
  localAddress: "127.0.0.1",
  localPort: 8080,
  isTls: false,
};
const server = config.servers[0];
if (!server) throw new Error("the config has a server");
const body = (async function* () {})();

const results: Record<string, number> = {};
for (const path of ["/", "/guarded"]) {
  const head: RequestHead = { method: "GET", target: path, httpVersion: "1.1", headers: [["Host", "a"]], framing: { kind: "none" } };
  const target = parseTarget(path, true);
  if (!target) throw new Error(path);
  const run = () => {
    const r = newRequest(head, connection, server, target, "a", plan, quiet);
    findConfig(plan, r);
    realip(r, r.server.settings);
    realip(r, (r.location ?? r.server).settings);
    limitReq(plan, r, body);
    limitConn(plan, r);
    access(plan, r);
  };
  for (let i = 0; i < 200_000; i++) run();
  const n = 1_000_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) run();
  results[path] = ((performance.now() - start) * 1000) / n;
}
const bun = (globalThis as { Bun?: { version: string } }).Bun;
const runtime = bun ? `bun ${bun.version}` : `node ${process.version}`;
console.log(
  `${runtime}: no checks ${results["/"]?.toFixed(2)} µs, allow/deny + limit_req ${results["/guarded"]?.toFixed(2)} µs per request`,
);
