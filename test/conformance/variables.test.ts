import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, replyFromHeader as replyWanted, type SeenRequest, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "logs the request, connection, response and upstream variables as nginx does": BECAUSE.consoleLog,
  },
});

/** Replies chosen by the request's `X-Reply`: `STATUS|Name:value|...` (a `:` keeps `=` in values). */
const replyFromHeader = (req: SeenRequest): Reply =>
  replyWanted(req, { separator: ":", fallback: () => ({ body: "v\n" }), body: () => "reply\n" });

/**
 * What differs between two processes by nature (ids, times, counters, ports) as its shape, and
 * the length of an error page, which names its server ("nginx/1.22.1", "edgeproxy").
 */
function shaped(line: string): string {
  const out = line
    .replace(/rid=[0-9a-f]{32}/, "rid=HEX32")
    .replace(/conn=\d+/, "conn=N")
    .replace(/\d+\.\d{3}/g, "S.MS")
    .replace(/:\d{4,5}(?=[ ,\]/]|$)/g, ":PORT");
  return out.includes("sct=[text/html]") ? out.replace(/scl=\[\d+\]/, "scl=[PAGE]").replace(/bbs=\d+/, "bbs=PAGE") : out;
}

// The variables real configs and logs use (ngx_http_variables.c, ngx_http_upstream.c):
// nginx's and edgeproxy's access-log lines for the same requests.
describe("variables", () => {
  let a: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    a = await startBackend("a");
    a.reply = replyFromHeader;
    proxies = await startBoth(
      (port) => `
    upstream two { server 127.0.0.1:1; server 127.0.0.1:${a.port}; }
    log_format vars 'rid=$request_id host=$hostname conn=$connection req=$connection_requests pipe=$pipe len=$request_length '
                    'bin=$binary_remote_addr body=[$request_body] cl=[$content_length] ct=[$content_type] du=$document_uri '
                    'sn=[$server_name] sp=$server_protocol '
                    'sct=[$sent_http_content_type] scl=[$sent_http_content_length] sx=[$sent_http_x_multi] sloc=[$sent_http_location] '
                    'uh=[$upstream_http_x_backend] um=[$upstream_http_x_multi] uc=[$upstream_cookie_sid] ucm=[$upstream_cookie_missing] '
                    'url=[$upstream_response_length] uct=[$upstream_connect_time] uht=[$upstream_header_time] urt=[$upstream_response_time] '
                    'ua=[$upstream_addr] us=[$upstream_status] st=$status bbs=$body_bytes_sent';
    server {
        listen 127.0.0.1:${port};
        server_name vars.test;
        access_log {{dir}}/vars.log vars;
        location / { proxy_pass http://two; }
        location /ret { return 302 /x; }
        location /page { proxy_intercept_errors on; error_page 404 /; proxy_pass http://two/nf; }
        location /times { return 200 "$time_iso8601|$time_local|$msec|$request_time\\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await a.close();
  });

  check("logs the request, connection, response and upstream variables as nginx does", async () => {
    const requests = [
      "GET /?x=1 HTTP/1.1\r\nHost: vars.test\r\nX-Reply: 200|X-Multi:1|X-Multi:2|Set-Cookie:sid=abc; Path=/|Set-Cookie:o=1\r\nConnection: close\r\n\r\n",
      "GET /ret HTTP/1.1\r\nHost: vars.test\r\nConnection: close\r\n\r\n",
      "GET /page HTTP/1.1\r\nHost: vars.test\r\nX-Reply: 404\r\nConnection: close\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: vars.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
      // Pipelined: both requests in one write, on one connection.
      "GET / HTTP/1.1\r\nHost: vars.test\r\n\r\nGET /ret HTTP/1.0\r\nHost: vars.test\r\n\r\n",
    ];
    const lines: Record<string, string[]> = {};
    for (const p of proxies) {
      for (const request of requests) await rawRequest(p.port, request);
      await new Promise((r) => setTimeout(r, 300));
      lines[p.name] = readFileSync(join(p.dir, "vars.log"), "latin1").split("\n").filter(Boolean).map(shaped);
    }
    expect(lines.nginx).toHaveLength(6);
    expect(lines.nginx?.[0]).toContain(`host=${hostname()}`);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });

  check("reads the time variables outside the log as nginx does", async () => {
    const seen: string[] = [];
    for (const p of proxies) {
      const res = await rawRequest(p.port, "GET /times HTTP/1.1\r\nHost: vars.test\r\nConnection: close\r\n\r\n");
      seen.push(
        res.body
          .toString("latin1")
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d/, "ISO")
          .replace(/\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}/, "LOCAL")
          .replace(/\d+\.\d{3}/g, "S.MS"),
      );
    }
    expect(seen[0]).toBe("ISO|LOCAL|S.MS|S.MS\n");
    expect(seen[1]).toBe(seen[0]);
  });
});
