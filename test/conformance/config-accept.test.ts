import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkBoth, httpPaths, ROOT } from "../support/proxies.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";

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
    ["header buffers", withHttp(server(""), "client_header_buffer_size 64; large_client_header_buffers 3 512;")],
    ["a large header buffer under connection_pool_size", withHttp(server(""), "large_client_header_buffers 3 128;")],
    ["no large header buffers", withHttp(server(""), "large_client_header_buffers 0 8k;")],
    ["a bad header buffer size", withHttp(server(""), "client_header_buffer_size 1x;")],
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

/** The reason and line of an `[emerg]` in `nginx -t`'s or `edgeproxy -t`'s output. */
function emergency(out: string): { reason: string; line: string | null } | null {
  const m = /\[emerg\] (?:\S+:(\d+): )?(.*?)(?: in \S+:(\d+))?$/m.exec(out);
  return m ? { reason: m[2] as string, line: m[1] ?? m[3] ?? null } : null;
}

/**
 * A reason without what only one side can word: PCRE and V8 each describe a broken pattern in
 * their own words, and libc and Node an errno.
 */
function comparable(reason: string): string {
  return reason.replace(/^pcre2?_compile\(\) failed: .*/, "pcre_compile() failed").replace(/^(open\(\) "[^"]*" failed) \(.*\)$/, "$1");
}

// ngx_http_map_module and ngx_http_variables_init_vars(): what loads, and nginx's words for what does not.
describe("map and variables: accept/reject and messages agree with nginx -t", () => {
  const map = (body: string, extra = "") => withHttp(`map $http_x $v { ${body} } ${extra} ${server('location / { return 200 "$v"; }')}`);
  const cases: [string, (dir: string) => string][] = [
    ["the websocket idiom", withHttp("map $http_upgrade $connection_upgrade { default upgrade; '' close; }")],
    ["a map used above its definition", withHttp(`${server('location / { return 200 "$late"; }')} map $uri $late { }`)],
    ["map inside server", withHttp(server("map $uri $v { }"))],
    ["map with one argument", withHttp("map $uri { }")],
    ["map with three arguments", withHttp("map $uri $a $b { }")],
    ["map without a block", withHttp("map $uri $v;")],
    ["a variable name without $", withHttp("map $uri v { }")],
    ["an empty variable name", withHttp("map $uri $ { }")],
    ["a map of a fixed variable", withHttp("map $uri $host { }")],
    ["a map of a changeable variable", withHttp("map $uri $args { }")],
    ["two maps of one variable", withHttp("map $uri $v { } map $args $v { }")],
    ["a duplicate default", map("default 1; default 2;")],
    ["three words", map("a b c;")],
    ["one word", map("a;")],
    ["hostnames with a value is a key", map("hostnames 1;")],
    ["parameters twice", map("volatile; volatile; hostnames; hostnames;")],
    ["keys that differ in case", map("a 1; A 2;")],
    ["escaped keys", map(String.raw`\default 1; \~x 2; \\y 3; default 0;`)],
    ["a block inside map", map("x { }")],
    ["*.name beside .name", map("hostnames; *.a.com 1; .A.com 2;")],
    [".name beside name", map("hostnames; a.com 1; .a.com 2;")],
    ["name.* twice", map("hostnames; www.* 1; www.* 2;")],
    ["two stars", map("hostnames; *.a.* 1;")],
    ["a star inside", map("hostnames; a.*.b 1;")],
    ["a star glued to a label", map("hostnames; *a.b 1;")],
    ["a lone star", map("hostnames; * 1;")],
    ["a lone dot", map("hostnames; . 1;")],
    ["a wildcard without hostnames", map("*.a.com 1;")],
    ["a broken regex", map("~( 1;")],
    ["named captures", map("~^(?<word>.+)$ $word; ~*(?P<other>x) $other;", "log_format f '$word $other';")],
    ["map_hash sizes", withHttp("map_hash_max_size 10; map_hash_bucket_size 128; map $uri $v { a 1; }")],
    ["map_hash_max_size abc", withHttp("map_hash_max_size abc;")],
    ["map_hash_max_size twice", withHttp("map_hash_max_size 10; map_hash_max_size 11;")],
    ["a missing include", map("include /nonexistent/keys.map;")],
    ["an unknown variable in a map value", map("default $nope;")],
    ["an unknown variable in a map source", withHttp("map $nope $v { }")],
    ["$1 in proxy_set_header", withHttp(server("location / { proxy_set_header X $1$9$10; proxy_pass http://127.0.0.1:9; }"))],
    ["$0", withHttp(server("location / { proxy_set_header X $0; proxy_pass http://127.0.0.1:9; }"))],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    ["${1}", withHttp(server('location / { return 200 "${1}"; }'))],
    ["$1 in log_format", withHttp("log_format f '$1';")],
    ["$ at the end", withHttp(server('location / { return 200 "a$"; }'))],
    ["$ before a dash", withHttp(server('location / { return 200 "a$-b"; }'))],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    ["an unclosed ${", withHttp(server('location / { return 200 "a${x"; }'))],
    ["names in any case", withHttp(`map $uri $Mixed { } ${server('location / { return 200 "$MIXED$Remote_Addr"; }')}`)],
  ];

  test.each(cases)("%s", (_name, config) => {
    const result = checkBoth(config);
    expect({ accepted: result.edgeproxy, out: result.edgeOut }).toMatchObject({ accepted: result.nginx });
    const nginx = emergency(result.nginxOut);
    const edge = emergency(result.edgeOut);
    if (!nginx || !edge) return;
    expect(comparable(edge.reason)).toBe(comparable(nginx.reason));
    if (nginx.line !== null) expect(edge.line).toBe(nginx.line);
  });
});

/** Accept/reject, and for a refusal nginx's reason and line, as `nginx -t` gives them. */
function agreesWithNginx(config: (dir: string) => string): void {
  const result = checkBoth(config);
  expect({ accepted: result.edgeproxy, out: result.edgeOut }).toMatchObject({ accepted: result.nginx });
  const nginx = emergency(result.nginxOut);
  const edge = emergency(result.edgeOut);
  if (!nginx || !edge) return;
  expect(comparable(edge.reason)).toBe(comparable(nginx.reason));
  if (nginx.line !== null) expect(edge.line).toBe(nginx.line);
}

// ngx_http_rewrite_module: where its directives stand, how `if` reads its condition, and nginx's words.
describe("rewrite module: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    ["rewrite with every flag", loc("rewrite ^/a /b last; rewrite ^/c /d break; rewrite ^/e /f redirect; rewrite ^/g /h permanent;")],
    ["rewrite at server level", withHttp(server("rewrite ^/a /b last;"))],
    ["rewrite at http level", withHttp("rewrite ^/a /b;")],
    ["rewrite with an empty replacement", loc('rewrite ^ "";')],
    ["rewrite with a bad flag", loc("rewrite ^ /x stop;")],
    ["rewrite with a broken regex", loc("rewrite ( /x;")],
    ["rewrite with one argument", loc("rewrite ^;")],
    ["return twice", loc("return 200 a; return 201 b;")],
    ["return 1000", loc("return 1000;")],
    ["break with an argument", loc("break now;")],
    ["set", loc('set $a 1; set $b "$a$uri"; return 200 $b;')],
    ["set without $", loc("set a 1;")],
    ["set of a fixed variable", loc("set $uri /x;")],
    ["set $args", loc('set $args "a=1";')],
    ["set of a map's variable", withHttp(`map $uri $m { default 1; } ${server("location / { set $m 2; }")}`)],
    ["set with an empty name", loc("set $ 1;")],
    ["if with a variable", loc("if ($arg_a) { return 200; }")],
    ["if with spaces inside the parentheses", loc("if ( $arg_a ) { return 200; }")],
    ["if with a quoted value before )", loc('if ($arg_a = "b") { return 200; }')],
    ["if with every operator", loc("if ($a = b) { } if ($a != b) { } if ($a ~ b) { } if ($a ~* b) { } if ($a !~ b) { } if ($a !~* b) { }")],
    [
      "if with every file test",
      loc("if (-f /a) { } if (!-f /a) { } if (-d /a) { } if (!-d /a) { } if (-e /a) { } if (!-e /a) { } if (-x /a) { } if (!-x /a) { }"),
    ],
    ["if without parentheses", loc("if $arg_a { }")],
    ["if without the closing parenthesis", loc("if ($arg_a { }")],
    ["if with ==", loc("if ($arg_a == b) { }")],
    ["if with too many words", loc("if ($arg_a = b c) { }")],
    ["if with an unknown file test", loc("if (-q /a) { }")],
    ["if with a file test and no path", loc("if (-f) { }")],
    ["if with a word", loc("if (a) { }")],
    ["if with an unknown variable", loc("if ($no_such_variable) { }")],
    ["if with a broken regex", loc('if ($uri ~ "(") { }')],
    ["if with named captures", loc("if ($uri ~ ^/(?<first>[a-z]+)/(?P<second>\\d+)) { return 200 $first$second; }")],
    ["if without a block", loc("if ($arg_a);")],
    ["if inside if", loc("if ($a) { if ($b) { } }")],
    ["if at http level", withHttp("if ($a) { }")],
    ["if at server level", withHttp(server("if ($http_x) { return 403; set $y 1; rewrite ^ /z; break; }"))],
    ["proxy_pass in a server-level if", withHttp(server("if ($http_x) { proxy_pass http://127.0.0.1:9; }"))],
    ["proxy_pass in a location-level if", loc("if ($http_x) { proxy_pass http://127.0.0.1:9; }")],
    ["proxy_pass with a URI part in an if", loc("if ($http_x) { proxy_pass http://127.0.0.1:9/x; }")],
    ["proxy_set_header in an if", loc("if ($http_x) { proxy_set_header X 1; }")],
    ["location inside an if", loc("if ($http_x) { location /a { } }")],
    [
      "rewrite_log and uninitialized_variable_warn everywhere",
      withHttp(
        `rewrite_log on; uninitialized_variable_warn off; ${server("rewrite_log off; location / { rewrite_log on; if ($a) { rewrite_log off; uninitialized_variable_warn on; } }")}`,
      ),
    ],
    ["rewrite_log twice", loc("rewrite_log on; rewrite_log off;")],
    ["rewrite_log with a bad value", loc("rewrite_log yes;")],
    ["internal", withHttp(server("location /a { internal; return 200; }"))],
    ["internal twice", withHttp(server("location /a { internal; internal; }"))],
    ["internal at server level", withHttp(server("internal;"))],
    ["internal with an argument", withHttp(server("location /a { internal on; }"))],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// ngx_http_headers_filter_module: add_header, add_trailer, expires.
describe("headers module: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    [
      "add_header everywhere",
      withHttp(`add_header A 1; ${server("add_header B 2; location / { add_header C 3 always; if ($a) { add_header D 4; } }")}`),
    ],
    ["add_header with a bad flag", loc("add_header A 1 sometimes;")],
    ["add_header with one argument", loc("add_header A;")],
    ["add_header with variables", loc('add_header A "$uri $status";')],
    ["add_header in a server-level if", withHttp(server("if ($a) { add_header A 1; }"))],
    ["add_trailer", loc("add_trailer A 1; add_trailer B 2 always;")],
    ["add_trailer with a bad flag", loc("add_trailer A 1 never;")],
    [
      "expires forms",
      withHttp(
        server(
          "location /a { expires 1h; } location /b { expires epoch; } location /c { expires max; } location /d { expires off; } location /e { expires modified +1d; } location /f { expires @15h30m; } location /g { expires -1; } location /h { expires 0; } location /i { expires $arg_e; } location /j { expires modified $arg_e; }",
        ),
      ),
    ],
    ["expires twice", loc("expires 1h; expires 2h;")],
    ["expires with a bad time", loc("expires 1x;")],
    ["expires in milliseconds", loc("expires 500ms;")],
    ["expires with a first word other than modified", loc("expires access 1h;")],
    ["expires modified @time", loc("expires modified @1h;")],
    ["expires modified epoch", loc("expires modified epoch;")],
    ["expires @ over a day", loc("expires @25h;")],
    ["expires in an if", loc("if ($a) { expires 1h; }")],
    ["expires with three arguments", loc("expires modified 1h 2h;")],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// ngx_http_ssl_module, ngx_http_v2_module, ngx_http_proxy_module's proxy_ssl_*: what loads, and
// nginx's words for what does not, certificate files included (read at load, as nginx reads them).
describe("TLS and HTTP/2: accept/reject and messages agree with nginx -t", () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
    writeFileSync(certs.path("garbage.pem"), "garbage\n");
    writeFileSync(certs.path("pw.txt"), "wrong\nsecret\n");
    writeFileSync(certs.path("pw-bad.txt"), "wrong\n");
    writeFileSync(certs.path("ticket47.key"), Buffer.alloc(47, 1));
    execFileSync("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-aes128",
      "-pass",
      "pass:secret",
      "-out",
      certs.path("enc.key"),
    ]);
    execFileSync("openssl", [
      "req",
      "-x509",
      "-new",
      "-key",
      certs.path("enc.key"),
      "-passin",
      "pass:secret",
      "-subj",
      "/CN=enc",
      "-days",
      "2",
      "-out",
      certs.path("enc.crt"),
    ]);
  });
  afterAll(() => certs.remove());

  const c = (name: string) => certs.path(name);
  const tls = (extra: string, cert = "a") =>
    withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c(`${cert}.crt`)}; ssl_certificate_key ${c(`${cert}.key`)}; ${extra}`));
  const cases: [string, () => (dir: string) => string][] = [
    ["listen ssl with a certificate", () => tls("")],
    [
      "listen ssl http2",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl http2; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("a.key")};`)),
    ],
    ["listen http2 without ssl (h2c)", () => withHttp(server("listen 127.0.0.1:18996 http2;"))],
    ["listen ssl without a certificate", () => withHttp(server("listen 127.0.0.1:18997 ssl;"))],
    ["a certificate without a key", () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("a.crt")};`))],
    [
      "a missing certificate file",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("nope.crt")}; ssl_certificate_key ${c("a.key")};`)),
    ],
    [
      "a missing key file",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("nope.key")};`)),
    ],
    [
      "a key of another certificate of its type",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("default.key")};`)),
    ],
    [
      "a key file without a key",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("garbage.pem")};`)),
    ],
    [
      "a certificate file without a certificate",
      () => withHttp(server(`listen 127.0.0.1:18997 ssl; ssl_certificate ${c("garbage.pem")}; ssl_certificate_key ${c("a.key")};`)),
    ],
    [
      "RSA and ECDSA certificates",
      () => tls(`ssl_certificate ${c("default-ec.crt")}; ssl_certificate_key ${c("default-ec.key")};`, "default"),
    ],
    [
      "a relative certificate path, from the main file's directory",
      () => withHttp(server("listen 127.0.0.1:18997 ssl; ssl_certificate rel/missing.crt; ssl_certificate_key rel/missing.key;")),
    ],
    ["an encrypted key with ssl_password_file", () => tls(`ssl_password_file ${c("pw.txt")};`, "enc")],
    ["an encrypted key with a wrong password", () => tls(`ssl_password_file ${c("pw-bad.txt")};`, "enc")],
    ["a missing ssl_password_file", () => tls(`ssl_password_file ${c("nope.txt")};`)],
    [
      "ssl on (deprecated) with a certificate",
      () => withHttp(server(`ssl on; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("a.key")};`)),
    ],
    ["ssl on without a certificate", () => withHttp(server("ssl on;"))],
    ["ssl_protocols with an unknown version", () => tls("ssl_protocols TLSv1.2 TLSv1.4;")],
    ["ssl_ciphers that match nothing", () => tls("ssl_ciphers NOPE;")],
    ["ssl_ecdh_curve that does not exist", () => tls("ssl_ecdh_curve nope;")],
    ["ssl_dhparam without parameters", () => tls(`ssl_dhparam ${c("garbage.pem")};`)],
    ["ssl_verify_client without a CA", () => tls("ssl_verify_client on;")],
    ["ssl_verify_client with a missing CA file", () => tls(`ssl_verify_client on; ssl_client_certificate ${c("nope.crt")};`)],
    ["ssl_verify_client optional_no_ca without a CA", () => tls("ssl_verify_client optional_no_ca;")],
    ["ssl_verify_client maybe", () => tls(`ssl_verify_client maybe; ssl_client_certificate ${c("ca.crt")};`)],
    ["ssl_verify_depth abc", () => tls("ssl_verify_depth abc;")],
    [
      "the session settings of real configs",
      () =>
        tls(
          "ssl_session_cache shared:SSL:10m; ssl_session_timeout 1d; ssl_session_tickets off; ssl_prefer_server_ciphers on; ssl_stapling on; ssl_stapling_verify on; ssl_early_data on; ssl_buffer_size 4k;",
        ),
    ],
    ["ssl_session_cache bogus", () => tls("ssl_session_cache bogus;")],
    ["a shared session cache too small", () => tls("ssl_session_cache shared:SSL:1k;")],
    ["a ticket key of 47 bytes", () => tls(`ssl_session_ticket_key ${c("ticket47.key")};`)],
    [
      "obsolete http2 directives",
      () =>
        withHttp(
          `http2_idle_timeout 3m; http2_max_requests 10; http2_max_field_size 4k; ${server("http2_max_concurrent_streams 10; http2_body_preread_size 1k; http2_chunk_size 8k;")}`,
        ),
    ],
    ["proxy_ssl_verify without trusted CAs", () => withHttp(server("location / { proxy_ssl_verify on; proxy_pass https://127.0.0.1:9; }"))],
    ["proxy_ssl_verify off a TLS location", () => withHttp(server("location / { proxy_ssl_verify on; proxy_pass http://127.0.0.1:9; }"))],
    [
      "proxy_ssl_certificate without a key",
      () => withHttp(server(`location / { proxy_ssl_certificate ${c("client.crt")}; proxy_pass https://127.0.0.1:9; }`)),
    ],
    [
      "a missing proxy_ssl_certificate file",
      () =>
        withHttp(
          server(
            `location / { proxy_ssl_certificate ${c("nope.crt")}; proxy_ssl_certificate_key ${c("client.key")}; proxy_pass https://127.0.0.1:9; }`,
          ),
        ),
    ],
    ["proxy_ssl_protocols TLSv1.5", () => withHttp("proxy_ssl_protocols TLSv1.5;")],
    [
      "proxy_ssl_ciphers that match nothing",
      () => withHttp(server("location / { proxy_ssl_ciphers NOPE; proxy_pass https://127.0.0.1:9; }")),
    ],
    [
      "the whole proxy_ssl set",
      () =>
        withHttp(
          server(
            `location / { proxy_ssl_verify on; proxy_ssl_trusted_certificate ${c("ca.crt")}; proxy_ssl_verify_depth 2; proxy_ssl_certificate ${c("client.crt")}; proxy_ssl_certificate_key ${c("client.key")}; proxy_ssl_protocols TLSv1.2 TLSv1.3; proxy_ssl_ciphers HIGH; proxy_ssl_session_reuse off; proxy_ssl_server_name on; proxy_pass https://127.0.0.1:9; }`,
          ),
        ),
    ],
  ];

  /** OpenSSL's queue for a wrong password, and the line nginx names for a ticket key it reads at the end of http, are nginx's own. */
  const tlsComparable = (reason: string) =>
    comparable(reason).replace(/(PEM_read_bio_PrivateKey\(\) failed) \(SSL: .*bad decrypt.*\)$/, "$1");
  const lineFree = new Set(["a ticket key of 47 bytes"]);

  test.each(cases)("%s", (name, config) => {
    const result = checkBoth(config());
    expect({ accepted: result.edgeproxy, out: result.edgeOut }).toMatchObject({ accepted: result.nginx });
    const nginx = emergency(result.nginxOut);
    const edge = emergency(result.edgeOut);
    if (!nginx || !edge) return;
    expect(tlsComparable(edge.reason)).toBe(tlsComparable(nginx.reason));
    if (nginx.line !== null && !lineFree.has(name)) expect(edge.line).toBe(nginx.line);
  });

  test("http2 on, from nginx 1.25.1, loads (nginx 1.22 does not know it)", () => {
    const result = checkBoth(
      withHttp(server(`listen 127.0.0.1:18997 ssl; http2 on; ssl_certificate ${c("a.crt")}; ssl_certificate_key ${c("a.key")};`)),
    );
    expect(result.nginxOut).toContain('unknown directive "http2"');
    expect(result.edgeproxy).toBe(true);
  });
});

// ngx_http_proxy_module's response buffers: each size, and nginx's checks once the blocks merge
// (named at the http block's closing brace).
describe("response buffering: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} proxy_pass http://127.0.0.1:9; }`));
  const cases: [string, (dir: string) => string][] = [
    ["every size", loc("proxy_buffers 16 8k; proxy_busy_buffers_size 16k; proxy_temp_file_write_size 32k; proxy_max_temp_file_size 10m;")],
    ["no temp files", loc("proxy_max_temp_file_size 0;")],
    ["a temp path with levels", loc("proxy_temp_path /tmp/edgeproxy-accept-temp 1 2;")],
    ["a temp path with four levels", loc("proxy_temp_path /tmp/edgeproxy-accept-temp 1 2 1 2;")],
    ["one buffer", loc("proxy_buffers 1 4k;")],
    ["a buffer of no size", loc("proxy_buffers 8 x;")],
    ["busy buffers too large", loc("proxy_busy_buffers_size 64k;")],
    ["busy buffers too small", loc("proxy_busy_buffers_size 2k;")],
    ["a large proxy_buffer_size makes the busy default too large", loc("proxy_buffer_size 64k;")],
    ["a temp-file write size too small", loc("proxy_temp_file_write_size 1k;")],
    ["a temp-file cap too small", loc("proxy_max_temp_file_size 1k;")],
    ["a temp-file cap in gigabytes", loc("proxy_max_temp_file_size 1g;")],
    [
      "a bad http-level size that every server overrides",
      withHttp(`proxy_busy_buffers_size 64k; ${server("proxy_busy_buffers_size 8k;")}`),
    ],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// ngx_http_stub_status_module: where stub_status may stand, and its argument.
describe("stub_status: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    ["stub_status in a location and a server", withHttp(server("stub_status; location /s { stub_status; }"))],
    ["stub_status with an argument", loc("stub_status on;")],
    ["stub_status with two arguments", loc("stub_status on off;")],
    ["stub_status twice", loc("stub_status; stub_status;")],
    ["stub_status at http level", withHttp("stub_status;")],
    ["stub_status in an if", loc("if ($a) { stub_status; }")],
    ["stub_status beside proxy_pass", loc("proxy_pass http://127.0.0.1:9; stub_status;")],
    ["$connections_ variables", loc('return 200 "$connections_active $connections_reading $connections_writing $connections_waiting";')],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// realip, access, auth, limits and gzip: where their directives stand and nginx's words.
describe("realip, access, auth, limits, gzip: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    [
      "realip everywhere",
      withHttp(
        `set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For; ${server("set_real_ip_from ::1; set_real_ip_from 2001:db8::/32; location / { set_real_ip_from unix:; real_ip_recursive on; real_ip_header X-Client; }")}`,
      ),
    ],
    ["set_real_ip_from with a bad mask", loc("set_real_ip_from 10.0.0.0/33;")],
    ["set_real_ip_from with low bits", loc("set_real_ip_from 10.0.0.1/8;")],
    ["set_real_ip_from with garbage", loc("set_real_ip_from 10.0.0.0/x;")],
    ["real_ip_header twice", loc("real_ip_header X-Real-IP; real_ip_header X-Forwarded-For;")],
    ["real_ip_recursive with a bad value", loc("real_ip_recursive yes;")],
    ["set_real_ip_from in an if", loc("if ($a) { set_real_ip_from 10.0.0.1; }")],
    [
      "allow and deny everywhere",
      withHttp(`allow 10.0.0.0/8; deny all; ${server("allow ::1; location / { allow unix:; deny 192.0.2.1; }")}`),
    ],
    ["allow with a bad address", loc("allow 10.0.0.256;")],
    ["allow with three octets", loc("allow 10.0.0;")],
    ["deny with low bits", loc("deny 10.1.2.3/16;")],
    ["deny with an IPv6 mask too long", loc("deny ::1/129;")],
    ["deny in an if", loc("if ($a) { deny all; }")],
    ["allow with two arguments", loc("allow 10.0.0.1 10.0.0.2;")],
    ["satisfy any", loc("satisfy any;")],
    ["satisfy in upper case", loc("satisfy ANY;")],
    ["satisfy with a bad value", loc("satisfy some;")],
    ["satisfy twice", loc("satisfy any; satisfy all;")],
    ["limit_except", loc("limit_except GET POST { allow 10.0.0.1; deny all; }")],
    ["limit_except with a bad method", loc("limit_except GET FETCH { deny all; }")],
    ["limit_except in lower case", loc("limit_except get { deny all; }")],
    ["limit_except twice", loc("limit_except GET { deny all; } limit_except POST { deny all; }")],
    ["limit_except at server level", withHttp(server("limit_except GET { deny all; }"))],
    ["limit_except with proxy_pass", loc("limit_except GET { proxy_pass http://127.0.0.1:9; }")],
    ["limit_except with a proxy_pass URI", loc("limit_except GET { proxy_pass http://127.0.0.1:9/x; }")],
    ["limit_except with a rewrite directive", loc("limit_except GET { return 403; }")],
    ["limit_except with a location inside", loc("limit_except GET { location /a { } }")],
    ["limit_except without a block", loc("limit_except GET;")],
    [
      "limit_req everywhere",
      withHttp(
        `limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s; limit_req zone=one; ${server("limit_req zone=one burst=5; location / { limit_req zone=one burst=5 nodelay; } location /d { limit_req zone=one burst=5 delay=2; }")}`,
      ),
    ],
    [
      "limit_req before its zone",
      withHttp(`${server("location / { limit_req zone=later; }")} limit_req_zone $uri zone=later:1m rate=10r/m;`),
    ],
    ["limit_req with no zone line", loc("limit_req zone=none;")],
    ["limit_req burst=0", withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { limit_req zone=one burst=0; }")}`)],
    ["limit_req delay=0", withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { limit_req zone=one delay=0; }")}`)],
    [
      "limit_req twice on one zone",
      withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { limit_req zone=one; limit_req zone=one burst=2; }")}`),
    ],
    ["limit_req without zone=", loc("limit_req burst=2;")],
    [
      "limit_req with a bad parameter",
      withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { limit_req zone=one fast; }")}`),
    ],
    [
      "limit_req in an if",
      withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { if ($a) { limit_req zone=one; } }")}`),
    ],
    ["limit_req_zone too small", withHttp("limit_req_zone $uri zone=one:31k rate=1r/s;")],
    ["limit_req_zone at 32k", withHttp("limit_req_zone $uri zone=one:32k rate=1r/s;")],
    ["limit_req_zone with a bad size", withHttp("limit_req_zone $uri zone=one:1x rate=1r/s;")],
    ["limit_req_zone without a size", withHttp("limit_req_zone $uri zone=one rate=1r/s;")],
    ["limit_req_zone with r/h", withHttp("limit_req_zone $uri zone=one:1m rate=1r/h;")],
    ["limit_req_zone with a bare rate", withHttp("limit_req_zone $uri zone=one:1m rate=5;")],
    ["limit_req_zone with a fractional rate", withHttp("limit_req_zone $uri zone=one:1m rate=0.5r/s;")],
    ["limit_req_zone twice", withHttp("limit_req_zone $uri zone=one:1m rate=1r/s; limit_req_zone $uri zone=one:1m rate=2r/s;")],
    ["limit_req_zone sizes in conflict", withHttp("limit_req_zone $uri zone=one:1m rate=1r/s; limit_req_zone $uri zone=one:2m rate=2r/s;")],
    ["limit_req_zone without a rate", withHttp("limit_req_zone $uri zone=one:1m;")],
    ["limit_req_zone with an empty name", withHttp("limit_req_zone $uri zone=:1m rate=1r/s;")],
    ["limit_req_zone in a server", withHttp(server("limit_req_zone $uri zone=one:1m rate=1r/s;"))],
    ["limit_req_zone with an unknown variable", withHttp("limit_req_zone $nope zone=one:1m rate=1r/s;")],
    [
      "a limit_req zone used by limit_conn",
      withHttp(`limit_req_zone $uri zone=one:1m rate=1r/s; ${server("location / { limit_conn one 1; }")}`),
    ],
    ["limit_req_status, log level and dry run", loc("limit_req_status 429; limit_req_log_level notice; limit_req_dry_run on;")],
    ["limit_req_status out of range", loc("limit_req_status 399;")],
    ["limit_req_status not a number", loc("limit_req_status abc;")],
    ["limit_req_log_level debug", loc("limit_req_log_level debug;")],
    [
      "limit_conn everywhere",
      withHttp(
        `limit_conn_zone $binary_remote_addr zone=addr:10m; limit_conn addr 10; ${server("location / { limit_conn addr 1; limit_conn_status 429; limit_conn_log_level info; limit_conn_dry_run off; }")}`,
      ),
    ],
    ["limit_conn 0", withHttp(`limit_conn_zone $uri zone=addr:1m; ${server("location / { limit_conn addr 0; }")}`)],
    ["limit_conn 65536", withHttp(`limit_conn_zone $uri zone=addr:1m; ${server("location / { limit_conn addr 65536; }")}`)],
    [
      "limit_conn twice on one zone",
      withHttp(`limit_conn_zone $uri zone=addr:1m; ${server("location / { limit_conn addr 1; limit_conn addr 2; }")}`),
    ],
    ["limit_conn with no zone line", loc("limit_conn none 1;")],
    ["limit_conn_zone with a bad parameter", withHttp("limit_conn_zone $uri size=1m;")],
    ["limit_conn_zone too small", withHttp("limit_conn_zone $uri zone=addr:8k;")],
    [
      "auth_basic everywhere",
      withHttp(
        `auth_basic "a"; auth_basic_user_file /etc/htpasswd; ${server('auth_basic off; location / { auth_basic "b $host"; auth_basic_user_file conf/$host; limit_except GET { auth_basic "c"; auth_basic_user_file x; } }')}`,
      ),
    ],
    ["auth_basic twice", loc('auth_basic "a"; auth_basic "b";')],
    ["auth_basic_user_file twice", loc("auth_basic_user_file a; auth_basic_user_file b;")],
    ["auth_basic in an if", loc('if ($a) { auth_basic "a"; }')],
    ["auth_basic with an unknown variable", loc('auth_basic "$nope";')],
    ["auth_basic without an argument", loc("auth_basic;")],
    [
      "gzip everywhere",
      withHttp(
        `gzip on; gzip_types text/plain application/json; gzip_min_length 1k; gzip_comp_level 6; gzip_proxied expired no-cache auth; gzip_vary on; gzip_disable msie6 "curl"; gzip_http_version 1.0; gzip_buffers 16 8k; gzip_window 8k; gzip_hash 4k; ${server("gzip off; location / { gzip on; if ($a) { gzip off; } }")}`,
      ),
    ],
    ["gzip_types twice", loc("gzip_types text/plain; gzip_types text/css;")],
    ["gzip_types * then more", loc("gzip_types *; gzip_types text/css;")],
    ["gzip_comp_level 0", loc("gzip_comp_level 0;")],
    ["gzip_comp_level 10", loc("gzip_comp_level 10;")],
    ["gzip_proxied with a bad value", loc("gzip_proxied sometimes;")],
    ["gzip_proxied with a repeated value", loc("gzip_proxied any any;")],
    ["gzip_proxied twice", loc("gzip_proxied any; gzip_proxied off;")],
    ["gzip_http_version 2.0", loc("gzip_http_version 2.0;")],
    ["gzip_disable with a bad regex", loc('gzip_disable "a(";')],
    ["gzip_window 3k", loc("gzip_window 3k;")],
    ["gzip_hash 256k", loc("gzip_hash 256k;")],
    ["gzip_buffers with one argument", loc("gzip_buffers 16;")],
    ["gzip_buffers 0 8k", loc("gzip_buffers 0 8k;")],
    ["gzip_min_length with a bad size", loc("gzip_min_length 1x;")],
    ["gzip_vary in an if", loc("if ($a) { gzip_vary on; }")],
    [
      "auth_request everywhere",
      withHttp(
        `auth_request /a; auth_request_set $x $upstream_status; ${server("auth_request off; location / { auth_request /b; auth_request_set $user $upstream_http_x_user; proxy_set_header X-User $user; }")}`,
      ),
    ],
    ["auth_request twice", loc("auth_request /a; auth_request /b;")],
    ["auth_request in an if", loc("if ($a) { auth_request /a; }")],
    ["auth_request in limit_except", loc("limit_except GET { auth_request /a; }")],
    ["auth_request_set without a $", loc("auth_request_set x $uri;")],
    ["auth_request_set on a built-in variable", loc("auth_request_set $uri x;")],
    ["auth_request_set with an unknown variable", loc("auth_request_set $x $nope;")],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// error_page, recursive_error_pages, proxy_intercept_errors.
describe("error pages: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    [
      "error_page in every form",
      withHttp(
        `error_page 404 /404.html; ${server("error_page 500 502 503 504 /50x.html; location / { error_page 404 =200 /x; error_page 403 = @n; error_page 410 http://e.test/; error_page 418 =301 http://e.test/$uri; error_page 401 /x?a=1; } location @n { }")}`,
      ),
    ],
    ["error_page 200", loc("error_page 200 /x;")],
    ["error_page 600", loc("error_page 600 /x;")],
    ["error_page 499", loc("error_page 499 /x;")],
    ["error_page abc", loc("error_page abc /x;")],
    ["error_page with only =200", loc("error_page =200 /x;")],
    ["error_page =abc", loc("error_page 404 =abc /x;")],
    ["error_page with one argument", loc("error_page 404;")],
    ["error_page to a missing named location", loc("error_page 404 @nowhere;")],
    ["error_page in an if", loc("if ($a) { error_page 404 /x; }")],
    ["error_page in a server-level if", withHttp(server("if ($a) { error_page 404 /x; }"))],
    ["recursive_error_pages", loc("recursive_error_pages on;")],
    ["recursive_error_pages twice", loc("recursive_error_pages on; recursive_error_pages off;")],
    ["proxy_intercept_errors", loc("proxy_intercept_errors on; proxy_pass http://127.0.0.1:9;")],
    ["proxy_intercept_errors with a bad value", loc("proxy_intercept_errors always;")],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// proxy_pass with variables, resolver, proxy_method, proxy_set_body, proxy_redirect, proxy_cookie_*.
describe("proxy module variables: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    ["proxy_pass with variables", loc("proxy_pass http://$host$request_uri;")],
    ["proxy_pass with only a variable", loc("proxy_pass $arg_url;")],
    ["proxy_pass with a variable URI part in a regex location", withHttp(server("location ~ ^/x { proxy_pass http://127.0.0.1:9/$uri; }"))],
    ["proxy_pass with variables in an if", loc("if ($a) { proxy_pass http://$host; }")],
    ["proxy_redirect default before proxy_pass", loc("proxy_redirect default; proxy_pass http://127.0.0.1:9;")],
    ["proxy_redirect default at server level", withHttp(server("proxy_redirect default;"))],
    ["proxy_redirect default with variables", loc("proxy_pass http://$host; proxy_redirect default;")],
    ["proxy_redirect default after rules", loc("proxy_pass http://127.0.0.1:9/x/; proxy_redirect ~^/a /b; proxy_redirect default;")],
    [
      "proxy_redirect with variables and a regex",
      loc("proxy_redirect http://$host/ /; proxy_redirect ~*^http://(?<h>[^/]+)/ /$h/; proxy_pass http://127.0.0.1:9;"),
    ],
    ["proxy_redirect off after a rule", loc("proxy_redirect /a /b; proxy_redirect off;")],
    ["proxy_redirect with a bad word", loc("proxy_redirect nonsense;")],
    ["proxy_redirect with a broken regex", loc("proxy_redirect ~( /b;")],
    [
      "proxy_cookie_domain and path",
      loc("proxy_cookie_domain .a.test b.test; proxy_cookie_domain ~^(.*)$ $1; proxy_cookie_path /a/ /; proxy_cookie_path ~*^/b /c;"),
    ],
    ["proxy_cookie_domain off twice", loc("proxy_cookie_domain off; proxy_cookie_domain off;")],
    ["proxy_cookie_domain off after a rule", loc("proxy_cookie_domain a b; proxy_cookie_domain off;")],
    ["proxy_cookie_path a rule after off", loc("proxy_cookie_path off; proxy_cookie_path /a /b;")],
    ["proxy_cookie_path with one word", loc("proxy_cookie_path /a;")],
    ["proxy_cookie_flags", loc("proxy_cookie_flags one secure httponly samesite=strict; proxy_cookie_flags ~^t nosecure $arg_f;")],
    ["proxy_cookie_flags off", loc("proxy_cookie_flags off;")],
    ["proxy_cookie_flags with a bogus flag", loc("proxy_cookie_flags one bogus;")],
    ["proxy_cookie_flags off after a line", loc("proxy_cookie_flags one secure; proxy_cookie_flags off;")],
    ["proxy_method with a variable", loc("proxy_method $arg_m; proxy_pass http://127.0.0.1:9;")],
    ["proxy_set_body", loc('proxy_set_body "a=$arg_a"; proxy_pass http://127.0.0.1:9;')],
    ["proxy_set_body twice", loc("proxy_set_body a; proxy_set_body b;")],
    [
      "resolver forms",
      withHttp(`resolver 127.0.0.1 [::1]:5353 127.0.0.2:53 valid=30s ipv6=off; resolver_timeout 5s; ${server("resolver 127.0.0.1;")}`),
    ],
    ["resolver with ipv4= (not in nginx 1.22)", withHttp("resolver 127.0.0.1 ipv4=off;")],
    ["resolver with a bad valid", withHttp("resolver 127.0.0.1 valid=1x;")],
    ["resolver twice", withHttp("resolver 127.0.0.1; resolver 127.0.0.2;")],
    ["resolver by name", withHttp("resolver localhost;")],
    ["resolver with a name that does not resolve", withHttp("resolver no-such-host.invalid;")],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// PCRE as nginx compiles it (config/pcre.ts): what PCRE refuses is refused in its words and line; what
// PCRE accepts and JS cannot match says so with its line, where nginx loads it.
describe("regular expressions: nginx's PCRE errors, and what edgeproxy cannot match", () => {
  const loc = (pattern: string) => withHttp(server(`\nlocation ~ "${pattern}" { }`));
  /** The line the location is on. */
  const lineOf = (pattern: string) => {
    const lines = loc(pattern)("/d").split("\n");
    return String(lines.findIndex((l) => l.startsWith("location ~")) + 1);
  };
  const errors: [string, string][] = [
    ["an unknown inline option", "(?z)a"],
    ["an unclosed group", "(a"],
    ["an unmatched parenthesis", "a)"],
    ["a quantifier out of order", "x{2,1}"],
    ["an unclosed class", "[a"],
    ["\\k without a name", "\\\\ka"],
  ];
  test.each(errors)("%s", (_name, pattern) => {
    const result = checkBoth(loc(pattern));
    expect(result.nginx).toBe(false);
    // PCRE also says where in the pattern: ` at "z)a"`.
    const nginx = emergency(result.nginxOut)?.reason.replace(/ at "[^"]*"$/, "");
    const edge = emergency(result.edgeOut);
    expect(edge).toEqual({ reason: nginx, line: lineOf(pattern) });
    expect(emergency(result.nginxOut)?.line).toBe(lineOf(pattern));
  });

  const unsupported: [string, string, string][] = [
    ["an atomic group", "(?>a)", 'the atomic group "(?>" in "(?>a)"'],
    ["a possessive quantifier", "a++", 'the possessive quantifier "++" in "a++"'],
    ["a Unicode property", "\\\\p{L}", '"\\p" in "\\p{L}"'],
  ];
  test.each(unsupported)("%s", (_name, pattern, what) => {
    const result = checkBoth(loc(pattern));
    expect(result.nginx).toBe(true);
    expect(emergency(result.edgeOut)).toEqual({ reason: `${what} is not supported by edgeproxy`, line: lineOf(pattern) });
  });
});

// The client-connection directives at every level nginx has them, the redirect directives, listen
// port ranges, and the tuning knobs edgeproxy accepts: checked as nginx checks them.
describe("core module directives: accept/reject and messages agree with nginx -t", () => {
  const loc = (body: string) => withHttp(server(`location / { ${body} }`));
  const cases: [string, (dir: string) => string][] = [
    [
      "client directives at server level",
      withHttp(
        server(
          "underscores_in_headers on; ignore_invalid_headers off; merge_slashes off; client_header_timeout 5s; client_header_buffer_size 2k; large_client_header_buffers 2 4k; keepalive_requests 5; keepalive_timeout 10s 5; keepalive_time 1m; send_timeout 3s;",
        ),
      ),
    ],
    [
      "client directives at location level",
      loc("keepalive_requests 5; keepalive_timeout 0; keepalive_time 1m; send_timeout 3s; keepalive_disable msie6 safari;"),
    ],
    ["underscores_in_headers in a location", loc("underscores_in_headers on;")],
    ["merge_slashes in a location", loc("merge_slashes off;")],
    ["client_header_timeout in a location", loc("client_header_timeout 5s;")],
    ["keepalive_timeout with a bad header value", loc("keepalive_timeout 10s abc;")],
    ["keepalive_requests abc", loc("keepalive_requests abc;")],
    ["keepalive_disable with a bad browser", loc("keepalive_disable opera;")],
    ["keepalive_requests twice", withHttp(server("keepalive_requests 5; keepalive_requests 6;"))],
    ["chunked_transfer_encoding", loc("chunked_transfer_encoding off;")],
    ["chunked_transfer_encoding maybe", loc("chunked_transfer_encoding maybe;")],
    ["the redirect directives", loc("absolute_redirect off; port_in_redirect off; server_name_in_redirect on;")],
    ["absolute_redirect yes", loc("absolute_redirect yes;")],
    ["server_tokens every value", withHttp(`server_tokens off; ${server("server_tokens build; location / { server_tokens on; }")}`)],
    ["server_tokens maybe", loc("server_tokens maybe;")],
    ["a listen port range", withHttp("server { listen 127.0.0.1:18990-18992; }")],
    ["a listen port range backwards", withHttp("server { listen 127.0.0.1:18992-18990; }")],
    ["a listen port range past 65535", withHttp("server { listen 127.0.0.1:65530-65536; }")],
    [
      "tuning knobs",
      withHttp(
        `lingering_close on; lingering_time 30s; lingering_timeout 5s; reset_timedout_connection on; log_not_found off; etag off; connection_pool_size 512; open_log_file_cache max=10 inactive=20s; ssl_session_tickets off; ssl_buffer_size 4k; gzip_hash 4k; ${server("location / { if_modified_since before; open_file_cache max=10 inactive=5s; }")}`,
      ),
    ],
    ["lingering_close maybe", loc("lingering_close maybe;")],
    ["lingering_time abc", loc("lingering_time abc;")],
    ["etag yes", loc("etag yes;")],
    ["gzip_hash 3k", loc("gzip_hash 3k;")],
    ["open_file_cache with a bad parameter", loc("open_file_cache maxi=10;")],
    ["ssl_session_cache with a bad value", withHttp("ssl_session_cache bogus;")],
    ["connection_pool_size in a location", loc("connection_pool_size 512;")],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

// nginx directives edgeproxy does not implement: nginx loads them; edgeproxy names them, with their line.
describe("directives edgeproxy does not implement are named, not unknown", () => {
  const cases: [string, string][] = [
    ["root", "location / { root /srv; }"],
    ["try_files", "location / { try_files $uri =404; }"],
    ["fastcgi_pass", "location / { fastcgi_pass 127.0.0.1:9000; }"],
    ["proxy_cache", "location / { proxy_cache off; }"],
    ["sub_filter", "location / { sub_filter a b; }"],
    ["gzip_static", "gzip_static on;"],
    ["limit_rate", "location / { limit_rate 10k; }"],
  ];
  test.each(cases)("%s", (name, body) => {
    const config = withHttp(server(`\n${body}`));
    const result = checkBoth(config);
    expect(result.nginx, result.nginxOut).toBe(true);
    const line = String(
      config("/d")
        .split("\n")
        .findIndex((l) => l.startsWith(body)) + 1,
    );
    expect(emergency(result.edgeOut)).toEqual({ reason: `"${name}" directive is not supported by edgeproxy`, line });
  });
});

/** The `[warn]` lines of `nginx -t` or `edgeproxy -t`, each as its message and line. */
function warnings(out: string): { reason: string; line: string | null }[] {
  return [...out.matchAll(/\[warn\] (?:\S+:(\d+): )?(.*?)(?: in \S+:(\d+))?$/gm)].map((m) => ({
    reason: m[2] as string,
    line: m[1] ?? m[3] ?? null,
  }));
}

// What nginx only warns about is a warning here too, in its words.
// The examples of nginx's own documentation for the headers, rewrite and proxy modules and
// error_page (nginx.org/en/docs/http/ngx_http_*_module.html), as an operator copies them.
describe("nginx's documentation examples load as in nginx", () => {
  const cases: [string, (dir: string) => string][] = [
    [
      "ngx_http_headers_module",
      withHttp(
        `map $sent_http_content_type $expires { default off; application/pdf 42d; ~image/ max; } ${server(
          "expires $expires; location /a { expires 24h; add_header Cache-Control private; } location /b { expires modified +24h; } location /c { expires @24h; } location /d { expires 0; } location /e { expires -1; } location /f { expires epoch; add_trailer X-Time $request_time always; }",
        )}`,
      ),
    ],
    [
      "ngx_http_rewrite_module",
      withHttp(
        server(
          'rewrite ^(/download/.*)/media/(.*)\\..*$ $1/mp3/$2.mp3 last; rewrite ^(/download/.*)/audio/(.*)\\..*$ $1/mp3/$2.ra last; location /r { if ($http_user_agent ~ MSIE) { rewrite ^(.*)$ /msie/$1 break; } if ($http_cookie ~* "id=([^;]+)(?:;|$)") { set $id $1; } if ($request_method = POST) { return 405; } rewrite ^/users/(.*)$ /show?user=$1? last; } location /download/ { rewrite ^(/download/.*)/media/(.*)\\..*$ $1/mp3/$2.mp3 break; rewrite ^(/download/.*)/audio/(.*)\\..*$ $1/mp3/$2.ra break; return 403; }',
        ),
      ),
    ],
    [
      "ngx_http_proxy_module and error_page",
      withHttp(
        `upstream backend { server 127.0.0.1:9; } ${server(
          "error_page 404 /404.html; error_page 500 502 503 504 /50x.html; location / { proxy_pass http://localhost:8000; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr; proxy_redirect http://localhost:8000/two/ http://frontend/one/; proxy_redirect default; proxy_cookie_domain localhost example.org; proxy_cookie_path /two/ /; error_page 404 = @fallback; proxy_intercept_errors on; } location /e1 { error_page 404 =200 /empty.gif; } location /e2 { error_page 403 http://example.com/forbidden.html; error_page 404 =301 http://example.com/notfound.html; } location @fallback { proxy_pass http://backend; } location ~ ^/v/(?<name>[a-z]+)$ { resolver 127.0.0.1; proxy_pass http://$name.example.com; }",
        )}`,
      ),
    ],
  ];

  test.each(cases)("%s", (_name, config) => agreesWithNginx(config));
});

describe("warnings agree with nginx -t", () => {
  const cases: [string, (dir: string) => string][] = [
    ["an extension given twice in types", withHttp("types { text/html html htm; text/plain HTML txt; }")],
    ["a server name two servers claim", withHttp(`${server("server_name a.test .b.test;")} ${server("server_name a.test b.test;")}`)],
    [
      "a server name claimed on another address",
      withHttp(`${server("server_name a.test;")} server { listen 127.0.0.1:18998; server_name a.test; }`),
    ],
  ];
  test.each(cases)("%s", (_name, config) => {
    const result = checkBoth(config);
    expect(result.edgeproxy, result.edgeOut).toBe(result.nginx);
    expect(warnings(result.edgeOut)).toEqual(warnings(result.nginxOut));
  });
});
