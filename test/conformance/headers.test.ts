import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// nginx-semantics 5.4-5.7, 6.2, 6.8, 6.9: headers both ways, proxy_method, proxy_redirect.
describe("request and response headers", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("h");
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    proxy_set_header X-From-Http http-level;
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://backend; }
        location /set/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Host $host;
            proxy_set_header X-Vars "$scheme|$request_uri|$uri|$args|$proxy_host|$proxy_port|$server_port|$server_name|$http_user_agent|$arg_a";
            proxy_set_header X-Empty "";
            proxy_pass http://backend/;
        }
        location /httphost/ { proxy_set_header Host $http_host; proxy_pass http://backend; }
        location /nohost/ { proxy_set_header Host ""; proxy_pass http://backend; }
        location /method/ {
            proxy_method POST;
            location /method/inner/ { proxy_pass http://backend; }
            proxy_pass http://backend;
        }
        location /nohdrs/ { proxy_pass_request_headers off; proxy_pass http://backend; }
        location /v11/ { proxy_http_version 1.1; proxy_pass http://backend; }
        location /redir/ { proxy_pass http://backend/x/; }
        location /redir-off/ { proxy_redirect off; proxy_pass http://backend/x/; }
        location /redir-rule/ { proxy_redirect http://elsewhere/ /moved/; proxy_pass http://backend; }
        location /hide/ { proxy_hide_header X-Secret; proxy_pass_header Server; proxy_pass http://backend; }
        location /port/ { proxy_pass http://127.0.0.1:${backend.port}; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const clientHeaders = [
    "Host: Example.COM:8080",
    "User-Agent: conformance/1",
    "Accept: */*",
    "X-Forwarded-For: 1.1.1.1",
    "x-forwarded-for: 2.2.2.2, 3.3.3.3",
    "Connection: close, X-Hop",
    "X-Hop: named-in-connection",
    "Keep-Alive: timeout=5",
    "TE: trailers",
    "Upgrade: websocket",
    "Proxy-Connection: keep-alive",
    "X_Under: dropped",
    "X.Dot: dropped",
    "X-Empty: client",
    "X-Dup: one",
    "X-Dup: two",
    "Via: 1.1 somewhere",
  ];

  for (const target of [
    "/plain?a=1",
    "/set/path?a=b&c=d",
    "/httphost/x",
    "/nohost/x",
    "/method/x",
    "/method/inner/x",
    "/nohdrs/x",
    "/v11/x",
    "/port/x",
  ])
    check(`sends nginx's header block for ${target}`, async () => {
      // Connection: close is part of clientHeaders, so the helper's own line is left out.
      const request = `GET ${target} HTTP/1.1\r\n${clientHeaders.join("\r\n")}\r\n\r\n`;
      const seen = await observeAll(proxies, [backend], request);
      expect(seen.nginx?.upstream).toHaveLength(1);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  for (const [target, location] of [
    ["/redir/a", "http://backend/x/y"],
    ["/redir/a", "http://backend/other"],
    ["/redir-off/a", "http://backend/x/y"],
    ["/redir-rule/a", "http://elsewhere/p?q=1"],
    ["/plain", "http://backend/z"],
    ["/plain", "/relative"],
  ] as [string, string][])
    check(`rewrites Location for ${target} when the upstream sends ${location}`, async () => {
      backend.reply = () => ({
        status: 302,
        headers: [
          ["Location", location],
          ["Refresh", `5; url=${location}`],
        ],
      });
      try {
        const seen = await observeAll(proxies, [backend], getRequest(target, ["Host: Example.COM:9999"]));
        expect(seen.edgeproxy).toEqual(seen.nginx);
      } finally {
        backend.reply = () => ({ body: "h\n" });
      }
    });

  check("hides Date, Server, X-Pad, X-Accel-* and proxy_hide_header, passes proxy_pass_header", async () => {
    backend.reply = () => ({
      headers: [
        ["Server", "upstream/1"],
        ["Date", "Mon, 01 Jan 2001 00:00:00 GMT"],
        ["X-Pad", "p"],
        ["X-Accel-Buffering", "no"],
        ["X-Secret", "s"],
        ["X-Kept", "k"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
      ],
      body: "hidden\n",
    });
    try {
      for (const target of ["/plain", "/hide/x"]) {
        const seen = await observeAll(proxies, [backend], getRequest(target));
        expect(seen.edgeproxy).toEqual(seen.nginx);
      }
    } finally {
      backend.reply = () => ({ body: "h\n" });
    }
  });

  check("passes bytes above 0x7F in header values both ways, as they came", async () => {
    // obs-text: one byte per char, which neither UTF-8 nor windows-1252 (TextDecoder's "latin1") keeps.
    const odd = "caf\u00e9 \u0080\u009f\u00ff";
    backend.reply = () => ({ headers: [["X-Odd", odd]], body: "h\n" });
    try {
      const request = Buffer.from(`GET /plain HTTP/1.1\r\nHost: a\r\nX-Odd: ${odd}\r\nConnection: close\r\n\r\n`, "latin1");
      const seen = await observeAll(proxies, [backend], request);
      expect(seen.nginx?.responseHeaders).toContain(`x-odd: ${odd}`);
      expect(seen.nginx?.upstream[0]?.headers.some(([n, v]) => n.toLowerCase() === "x-odd" && v === odd)).toBe(true);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    } finally {
      backend.reply = () => ({ body: "h\n" });
    }
  });

  check("relays a HEAD request as HEAD and the upstream's status line", async () => {
    backend.reply = () => ({ raw: "HTTP/1.1 203 Custom Reason\r\nContent-Length: 5\r\n\r\n" });
    try {
      const seen = await observeAll(proxies, [backend], "HEAD /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(seen.edgeproxy).toEqual(seen.nginx);
    } finally {
      backend.reply = () => ({ body: "h\n" });
    }
  });
});
