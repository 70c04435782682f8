import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

/** Sends `requests` to each proxy in turn, then reads each of its `files` (NAME.log) by line. */
async function logLinesAfter(
  proxies: RunningProxy[],
  requests: string[],
  files: string[],
  normalise: (line: string, proxy: RunningProxy) => string = (line) => line,
): Promise<Record<string, Record<string, string[]>>> {
  const lines: Record<string, Record<string, string[]>> = {};
  for (const p of proxies) {
    for (const r of requests) await rawRequest(p.port, r);
    await new Promise((r) => setTimeout(r, 300));
    const mine: Record<string, string[]> = {};
    for (const f of files) {
      const text = readFileSync(join(p.dir, `${f}.log`), { encoding: "latin1", flag: "a+" });
      mine[f] = text
        .split("\n")
        .filter(Boolean)
        .map((l) => normalise(l, p));
    }
    lines[p.name] = mine;
  }
  return lines;
}

// ngx_http_log_module: the combined format, log_format with escaping, if=, and upstream variables.
describe("access_log", () => {
  let a: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    a = await startBackend("a");
    proxies = await startBoth(
      (port) => `
    log_format detail '$remote_addr "$request" $status $body_bytes_sent "$http_user_agent" '
                      'up=$upstream_addr/$upstream_status host=$host uri=$uri args=$args x=$http_x_odd';
    log_format json escape=json '{"ua":"$http_user_agent","status":$status}';
    upstream ab { server 127.0.0.1:${a.port}; server 127.0.0.1:1 down; }
    server {
        listen 127.0.0.1:${port};
        access_log {{dir}}/combined.log;
        access_log {{dir}}/detail.log detail;
        access_log {{dir}}/json.log json if=$arg_log;
        location / { proxy_pass http://ab; }
        location /health { return 200 "ok"; }
        location /quiet { access_log off; return 204; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await a.close();
  });

  const requests = [
    'GET /a?log=1 HTTP/1.1\r\nHost: Example.com\r\nUser-Agent: test/1 "quoted"\r\nX-Odd: caf\xe9\\x\r\nConnection: close\r\n\r\n',
    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    "GET /health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /quiet HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /missing%20file?x=1 HTTP/1.0\r\n\r\n",
  ];

  check("writes the lines nginx writes, for every format and condition", async () => {
    // Times and the proxy's own port differ between the two runs.
    const lines = await logLinesAfter(proxies, requests, ["combined", "detail", "json"], (l, p) =>
      l.replace(/\[[^\]]+\]/, "[TIME]").replaceAll(String(p.port), "PORT"),
    );
    expect(lines.nginx?.combined).toHaveLength(4);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});

describe("access_log for refused requests", () => {
  let proxies: RunningProxy[];

  beforeAll(async () => {
    proxies = await startBoth(
      (port) => `
    log_format detail '$remote_addr "$request" $status host=$host uri=$uri';
    server {
        listen 127.0.0.1:${port};
        server_name first.test;
        access_log {{dir}}/first.log detail;
        location / { return 200 "first"; }
    }
    server {
        listen 127.0.0.1:${port};
        server_name second.test;
        access_log {{dir}}/second.log detail;
        location / { return 200 "second"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  // Refused by edgeproxy's core (bad Host, two Hosts, TRACE) and by Node's own parser (a header
  // line without a colon, Content-Length beside Transfer-Encoding); the last one is served.
  const requests = [
    "GET /a HTTP/1.1\r\nHost: bad/host\r\nConnection: close\r\n\r\n",
    "GET /b HTTP/1.1\r\nHost: second.test\r\nHost: first.test\r\nConnection: close\r\n\r\n",
    "TRACE /c HTTP/1.1\r\nHost: second.test\r\nConnection: close\r\n\r\n",
    "GET /d HTTP/1.1\r\nHost: second.test\r\nNo colon here\r\n\r\n",
    "POST /e HTTP/1.1\r\nHost: second.test\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET /f HTTP/1.1\r\nHost: second.test\r\nConnection: close\r\n\r\n",
  ];

  check("logs refused requests where nginx does: in the server their Host names, else the default one", async () => {
    // (nginx's own pages are 3 bytes longer, signed nginx/1.22.1: $body_bytes_sent is left out.)
    const lines = await logLinesAfter(proxies, requests, ["first", "second"]);
    expect(lines.nginx?.second).toHaveLength(5);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});
