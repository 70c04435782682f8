/** What every benchmark here shares: the scenarios, the upstream, the proxies' config. */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type RunningProxy, startCommand, startNginx } from "../test/support/proxies.ts";
import { pinToCpu } from "./process-stats.ts";

// Pinning needs two cores: one for the contender, one for the load and the upstream.
export const pinned = availableParallelism() >= 2;
export const PROXY_CPU = 0;
export const LOAD_CPU = 1;

export interface Scenario {
  readonly name: string;
  readonly path: string;
  readonly bodyBytes: number;
  /** The body every contender must answer with, checked once before timing. */
  readonly expected: string;
}

export const SIXTY_FOUR_KIB = "e".repeat(64 * 1024);

/** 64 KiB of text that compresses as text does (about 1:4 at gzip level 1), for the gzip scenario. */
export const TEXT_64_KIB = Array.from(
  { length: 2000 },
  (_, i) =>
    `${i.toString(36)} ${["GET", "POST", "PUT"][i % 3]} /api/v1/items/${(i * 7919) % 10007}?page=${i % 13} ${(i * 104729) % 99991} ms ok\n`,
)
  .join("")
  .slice(0, 64 * 1024);
export const SCENARIOS: Scenario[] = [
  { name: "small GET", path: "/", bodyBytes: 0, expected: "hello world\n" },
  { name: "64 KiB GET", path: "/64k", bodyBytes: 0, expected: SIXTY_FOUR_KIB },
  { name: "POST 256 KiB", path: "/post", bodyBytes: 256 * 1024, expected: `${256 * 1024}\n` },
];

/** nginx and edgeproxy read the same file: the default buffering, upstream keepalive. */
export const proxyConfig = (upstreamPort: number) => (port: number) =>
  `
    client_max_body_size 0;
    upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 300s;
        }
    }`;

/** nginx serves the GETs; POSTs go on, streamed, to a process that reads them to the end first. */
export async function startUpstream(): Promise<RunningProxy[]> {
  const drain = await startCommand("drain", (port) => [process.execPath, "bench/drain-upstream.ts", String(port)]);
  const upstream = await startNginx(
    (port) => `
    upstream drain { server 127.0.0.1:${drain.port}; keepalive 64; }
    server {
        listen 127.0.0.1:${port};
        keepalive_requests 10000000;
        location = / { return 200 "hello world\\n"; }
        location = /64k { root {{dir}}; }
        location = /text { root {{dir}}; }
        location = /post {
            client_max_body_size 0;
            proxy_pass http://drain;
            proxy_request_buffering off;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }`,
  );
  writeFileSync(join(upstream.dir, "64k"), SIXTY_FOUR_KIB);
  writeFileSync(join(upstream.dir, "text"), TEXT_64_KIB);
  if (pinned) for (const p of [drain, upstream]) pinToCpu(p.pid, LOAD_CPU);
  return [upstream, drain];
}

/** One request per scenario: a contender that answers wrongly is not timed. */
export async function checkAnswers(proxy: RunningProxy, name: string): Promise<void> {
  for (const s of SCENARIOS) {
    const response = await fetch(`http://127.0.0.1:${proxy.port}${s.path}`, {
      method: s.bodyBytes ? "POST" : "GET",
      ...(s.bodyBytes ? { body: new Uint8Array(s.bodyBytes) } : {}),
    });
    const body = await response.text();
    if (response.status !== 200 || body !== s.expected) {
      throw new Error(`${name} answered ${s.name} with ${response.status} and ${body.length} bytes:\n${proxy.log()}`);
    }
  }
}

/** How long and how hard a part of the bench runs. */
export interface LoadOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
}

/** A part of the bench run on its own: `[--seconds N] [--rounds N] [--connections N] [--smoke]`. */
export function loadOptionsFromArgs(): { readonly smoke: boolean; readonly load: LoadOptions } {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "50" },
      smoke: { type: "boolean", default: false },
    },
  });
  const load = { seconds: Number(values.seconds), rounds: Number(values.rounds), connections: Number(values.connections) };
  return { smoke: values.smoke, load };
}
