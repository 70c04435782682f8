import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkBoth, httpPaths, ROOT } from "../support/proxies.ts";

/** A complete config: nginx's process lines, then `http` contents (or a whole `main` override). */
const withHttp =
  (http: string, main = "") =>
  (dir: string) =>
    `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
${main}
events { worker_connections 64; }
http {
${httpPaths(dir)}
${http}
}`;

const server = (body: string) => `server { listen 127.0.0.1:18999; ${body} }`;
const up = (body: string) => `upstream u { ${body} } ${server("location / { proxy_pass http://u; }")}`;

// nginx-semantics 1: the same file is accepted or refused by `nginx -t` and `edgeproxy -t`.
describe("config accept/reject agrees with nginx -t", () => {
  const cases: [string, (dir: string) => string][] = [
    ["a minimal proxy", withHttp(server("location / { proxy_pass http://127.0.0.1:9; }"))],
    ["process directives", withHttp(server(""), "worker_processes auto; worker_rlimit_nofile 1024; pcre_jit on; env TZ;")],
    ["no events block", (dir) => `pid ${dir}/p; error_log ${dir}/e; http { }`],
    ["unknown directive", withHttp(server("foo bar;"))],
    ["case-sensitive names", withHttp(server("location / { Proxy_pass http://127.0.0.1:9; }"))],
    ["proxy_pass at server level", withHttp(server("proxy_pass http://127.0.0.1:9;"))],
    ["worker_processes inside http", withHttp("worker_processes 2;")],
    ["duplicate proxy_pass", withHttp(server("location / { proxy_pass http://127.0.0.1:9; proxy_pass http://127.0.0.1:9; }"))],
    ["duplicate proxy_read_timeout", withHttp("proxy_read_timeout 5s; proxy_read_timeout 6s;")],
    ["repeated proxy_next_upstream values merge", withHttp("proxy_next_upstream error; proxy_next_upstream error timeout;")],
    ["flag in upper case", withHttp("proxy_buffering ON;")],
    ["flag with a bad value", withHttp("proxy_buffering yes;")],
    ["size with g", withHttp("client_body_buffer_size 1g;")],
    ["size with kb", withHttp("client_body_buffer_size 1kb;")],
    ["offset with g", withHttp("client_max_body_size 1g;")],
    ["compound time", withHttp('proxy_read_timeout "1h 30m";')],
    ["time units out of order", withHttp("proxy_read_timeout 30m1h;")],
    ["fractional time", withHttp("proxy_read_timeout 1.5s;")],
    ["time with y", withHttp("proxy_read_timeout 1y;")],
    ["missing semicolon", withHttp("proxy_read_timeout 5s")],
    ["stray closing brace", withHttp("}")],
    ["unclosed block", (dir) => `pid ${dir}/p; events {} http { server {`],
    ["quoted word glued to text", withHttp(server('location "/a"b { }'))],
    ["hash and brace inside bare words", withHttp(server("location /a#b { proxy_pass http://127.0.0.1:9; } location /a} { }"))],
    ["too many arguments", withHttp("proxy_read_timeout 1s 2s;")],
    ["block form for a simple directive", withHttp("proxy_read_timeout 1s { }")],
    ["upstream without servers", withHttp("upstream u { }")],
    ["upstream with only a backup", withHttp(up("server 127.0.0.1:9 backup;"))],
    ["weight=0", withHttp(up("server 127.0.0.1:9 weight=0;"))],
    ["weight=abc", withHttp(up("server 127.0.0.1:9 weight=abc;"))],
    [
      "all server parameters",
      withHttp(
        up("server 127.0.0.1:9 weight=5 max_fails=3 fail_timeout=30s max_conns=10; server 127.0.0.1:10 down; server 127.0.0.1:11 backup;"),
      ),
    ],
    ["fail_timeout in ms", withHttp(up("server 127.0.0.1:9 fail_timeout=500ms;"))],
    ["fail_timeout in months", withHttp(up("server 127.0.0.1:9 fail_timeout=1M;"))],
    ["slow_start (NGINX Plus)", withHttp(up("server 127.0.0.1:9 slow_start=10s;"))],
    ["ip_hash before a backup", withHttp(up("ip_hash; server 127.0.0.1:9; server 127.0.0.1:10 backup;"))],
    ["backup before ip_hash", withHttp(up("server 127.0.0.1:9; server 127.0.0.1:10 backup; ip_hash;"))],
    ["balancer redefined", withHttp(up("least_conn; ip_hash; server 127.0.0.1:9;"))],
    ["hash consistent", withHttp(up("hash $request_uri consistent; server 127.0.0.1:9;"))],
    ["hash with a bad flag", withHttp(up("hash $request_uri sometimes; server 127.0.0.1:9;"))],
    ["random two least_conn", withHttp(up("random two least_conn; server 127.0.0.1:9;"))],
    ["keepalive", withHttp(up("server 127.0.0.1:9; keepalive 16; keepalive_requests 100; keepalive_timeout 30s;"))],
    ["keepalive 0", withHttp(up("server 127.0.0.1:9; keepalive 0;"))],
    ["duplicate upstream, other case", withHttp("upstream u { server 127.0.0.1:9; } upstream U { server 127.0.0.1:9; }")],
    [
      "upstream with a port in proxy_pass",
      withHttp(`upstream u { server 127.0.0.1:9; } ${server("location / { proxy_pass http://u:8080; }")}`),
    ],
    ["bad URL prefix", withHttp(server("location / { proxy_pass ftp://127.0.0.1:9; }"))],
    ["URI part in a regex location", withHttp(server("location ~ ^/a { proxy_pass http://127.0.0.1:9/x; }"))],
    ["duplicate location", withHttp(server("location /a { } location ^~ /a { }"))],
    ["exact and prefix with one name", withHttp(server("location = /a { } location /a { }"))],
    ["nested location outside its parent", withHttp(server("location /a { location /b { } }"))],
    ["location inside an exact location", withHttp(server("location = /a { location /a/b { } }"))],
    ["invalid location modifier", withHttp(server("location ~~ /a { }"))],
    ["unix socket upstream with a URI", withHttp(server("location / { proxy_pass http://unix:/tmp/x.sock:/u/; }"))],
    ["proxy_http_version 2", withHttp("proxy_http_version 2;")],
    ["unknown variable", withHttp(server('location / { proxy_set_header X-A "$no_such_variable"; proxy_pass http://127.0.0.1:9; }'))],
    [
      "proxy_set_header inside location",
      withHttp(server('location / { proxy_set_header X-A "$remote_addr:$http_x_y"; proxy_pass http://127.0.0.1:9; }')),
    ],
    ["return with text", withHttp(server('location /h { return 200 "ok"; }'))],
    ["return with a bad code", withHttp(server("location /h { return abc; }"))],
    [
      "two default servers",
      withHttp(`${server("listen 127.0.0.1:18998 default_server;")} ${server("listen 127.0.0.1:18998 default_server;")}`),
    ],
    ["server names of every kind", withHttp(server('server_name a.example *.example.com .example.org www.example.* ~^x\\d+$ "";'))],
    [
      "proxy_redirect off with a rule",
      withHttp(server("location / { proxy_redirect off; proxy_redirect / /x/; proxy_pass http://127.0.0.1:9; }")),
    ],
    ["Debian's mime.types included", withHttp("include /etc/nginx/mime.types; default_type application/octet-stream;")],
    ["the example config npm start runs", () => readFileSync(join(ROOT, "examples/edgeproxy.conf"), "utf8")],
    [
      "a stock Debian http block",
      withHttp(
        "sendfile on; tcp_nopush on; types_hash_max_size 2048; default_type application/octet-stream; ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on; gzip on; types { text/html html; }",
      ),
    ],
  ];

  test.each(cases)("%s", (_name, config) => {
    const result = checkBoth(config);
    expect({ accepted: result.edgeproxy, out: result.edgeOut }).toMatchObject({ accepted: result.nginx });
  });
});
