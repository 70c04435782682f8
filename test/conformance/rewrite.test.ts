import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "answers if (-f), (-d), (-e), (-x) and their negations as nginx does":
      "no file system on Workers: the config is refused at load with its line (test/adapters/workers.test.ts)",
    "answers a server-level redirect as nginx does": BECAUSE.edgePort,
    "answers rewrite ... redirect as nginx does": BECAUSE.edgePort,
    "answers rewrite ... permanent as nginx does": BECAUSE.edgePort,
    "answers arguments in a redirect as nginx does": BECAUSE.edgePort,
    "answers return of a relative redirect as nginx does": BECAUSE.edgePort,
    "logs rewrite_log lines, the cycle, the empty URI and uninitialized variables as nginx does": BECAUSE.consoleLog,
  },
});

/** The messages of a proxy's `NAME.log` at `level`, without nginx's context suffix. */
function logged(proxy: RunningProxy, name: string, level: string): string[] {
  return readFileSync(join(proxy.dir, `${name}.log`), { encoding: "latin1", flag: "a+" })
    .split("\n")
    .filter((l) => l.includes(`[${level}]`))
    .map((l) => l.replace(/^.*?\[\w+\] \d+#\d+: (\*\d+ )?/, "").replace(/, client: .*$/, ""));
}

// ngx_http_rewrite_module (nginx-tests rewrite.t, rewrite_if.t, rewrite_set.t, rewrite_unescape.t),
// request by request: what the client got and what the upstream saw.
describe("rewrite module", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("rw");
    const loop = Array.from({ length: 12 }, (_, i) => `location = /step/${i} { rewrite ^ /step/${i + 1} last; }`).join("\n");
    proxies = await startBoth(
      (port) => String.raw`
    upstream backend { server 127.0.0.1:${backend.port}; }
    map $arg_slow $slow { default 0; yes 1; }
    server {
        listen 127.0.0.1:${port};
        error_log {{dir}}/rewrite.log notice;

        # The server-rewrite phase, before any location.
        rewrite ^/srv-break(/.*)$ /proxied$1 break;
        rewrite ^/srv-last(/.*)$ /proxied$1 last;
        rewrite ^/srv-redirect/(.*)$ /proxied/$1 redirect;
        if ($http_x_deny) { return 403; }
        if ($http_x_deny_text) { return 403 "denied $http_x_deny_text\n"; }
        set $from_server "server";

        location /proxied/ { proxy_pass http://backend/up/; }
        location /whole { proxy_pass http://backend; }
        location /show { return 200 "uri=$uri args=$args is_args=$is_args 1=[$1] server=$from_server\n"; }

        location /flags/ {
            rewrite ^/flags/last/(.*)$ /proxied/$1 last;
            rewrite ^/flags/break/(.*)$ /proxied/$1 break;
            rewrite ^/flags/redirect/(.*)$ /proxied/$1 redirect;
            rewrite ^/flags/permanent/(.*)$ /proxied/$1 permanent;
            rewrite ^/flags/scheme/(.*)$ http://elsewhere.test/$1;
            rewrite ^/flags/scheme-var/(.*)$ $scheme://$host/to/$1;
            rewrite ^/flags/scheme-last/(.*)$ https://elsewhere.test/$1 last;
            rewrite ^/flags/none/(.*)$ /show/$1;
            rewrite ^/flags/empty/ "$arg_nothing" last;
            proxy_pass http://backend/kept/;
        }
        location /chain/ { rewrite ^/chain/(.*)$ /chain2/$1; rewrite ^/chain2/(.*)$ /show/$1; }
        location /stays/ { rewrite ^/stays/(.*)$ /moved/$1; break; proxy_pass http://backend/notused/; }
        location /stays-flag/ { rewrite ^/stays-flag/(.*)$ /moved/$1 break; proxy_pass http://backend/notused/; }

        location /args/ {
            rewrite ^/args/add/(.*)$ /show/$1?new=$1 last;
            rewrite ^/args/drop/(.*)$ /show/$1? last;
            rewrite ^/args/replace/(.*)$ /show/$1?only=1? last;
            rewrite ^/args/redirect/(.*)$ /show/$1?r=$1 redirect;
            rewrite ^/args/redirect-plain/(.*)$ http://elsewhere.test/$1 redirect;
            rewrite ^/args/redirect-drop/(.*)$ http://elsewhere.test/$1? redirect;
            rewrite ^/args/var/ $arg_to last;
        }
        location /setargs { set $args "a=1&$args"; proxy_pass http://backend; }

        location ~ ^/quote/(.*)$ { set $before $1; rewrite ^/quote/(.*)$ /show/$1; set $after $1; return 200 "before=$before after=$after uri=$uri\n"; }
        location /named/ {
            rewrite ^/named/(?<word>[a-z]+)/(\d+)$ /show/$word-$2 last;
            if ($uri ~ ^/named/(?<part>\w+)$) { return 200 "part=$part 1=$1\n"; }
            if ($uri ~ nomatch) { }
            return 200 "after a failed test 1=[$1] part=[$part]\n";
        }

        location /if/ {
            if ($arg_v) { return 200 "variable holds: [$arg_v]\n"; }
            if ($slow) { return 200 "map holds\n"; }
            if ($arg_eq = yes) { return 200 "equal\n"; }
            if ($arg_ne != "no") { return 200 "not equal: [$arg_ne]\n"; }
            if ($http_cookie ~* "id=([^;]+)(?:;|$)") { set $id $1; return 200 "cookie id=$id\n"; }
            if ($arg_re ~ ^(a+)(b*)$) { return 200 "regex 1=$1 2=$2\n"; }
            if ($arg_nre !~ ^x) { return 200 "no regex: [$arg_nre]\n"; }
            if ($arg_ci ~* ^ABC$) { return 200 "caseless\n"; }
            if ($arg_nci !~* ^ABC$) { return 200 "caseless no [$arg_nci]\n"; }
            if ($request_method = POST) { return 405; }
            return 200 "no condition held\n";
        }
        location /if-spaces/ { if ( $arg_a ) { return 200 "spaced\n"; } return 200 "not\n"; }

        # "if is evil": the last if that holds is the configuration the request runs in.
        location /evil/two {
            set $true 1;
            if ($true) { proxy_pass http://backend; }
            if ($arg_second) { proxy_pass http://127.0.0.1:${backend.port}; }
        }
        location /evil/inherit { proxy_pass http://backend/replacement/; set $true 1; if ($true) { } }
        location /evil/crash { set $true 1; if ($true) { proxy_pass http://backend; } if ($true) { } }
        location /evil/last { if ($arg_go) { rewrite ^ /show/from-if last; } proxy_pass http://backend; }
        location /evil/break { if ($arg_go) { rewrite ^/evil/break/(.*)$ /moved/$1 break; } proxy_pass http://backend/outer/; }

        ${loop}
        location = /step/12 { return 200 "after 12\n"; }
        location = /step/0-10 { rewrite ^ /step/2 last; }
        location ~ ^/strip/x(x*)$ { rewrite ^/strip/x(x*)$ /strip/$1 last; }
        location = /strip/ { return 200 "stripped\n"; }
        location /loop { rewrite ^ /loop2 last; }
        location /loop2 { rewrite ^ /loop last; }

        location /hidden { internal; return 200 "internal reached, uri=$uri\n"; }
        location /to-hidden { rewrite ^ /hidden last; }

        location /returns/ {
            location /returns/text { return 201 "created $uri\n"; }
            location /returns/rel { return 301 /show/rel; }
            location /returns/url { return https://elsewhere.test$request_uri; }
            location /returns/code { return 404; }
            location /returns/first { return 200 "first\n"; return 200 "second\n"; }
            location /returns/bare { return 204; }
        }

        location /setvars/ {
            set $a "A";
            set $b "$a-$uri";
            set $b "$b!";
            set $empty "";
            return 200 "a=$a b=$b empty=[$empty] never=[$never]\n";
        }
        location /never { set $never "x"; return 200 never; }
        location /log {
            rewrite_log on;
            rewrite ^/log/miss$ /x;
            rewrite ^/log/(.*)$ /show/$1?q=1;
            if ($arg_k ~ ^(v+)$) { }
            return 200 "logged\n";
        }
        location /no-warn { uninitialized_variable_warn off; return 200 "[$never]\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  const cases: [string, string, string[]?][] = [
    ["a server-level rewrite ... break", "/srv-break/a?q=1"],
    ["a server-level rewrite ... last", "/srv-last/a?q=1"],
    ["a server-level redirect", "/srv-redirect/a?q=1"],
    ["a server-level if with return", "/show", ["Host: example.com", "X-Deny: 1"]],
    ["a server-level if with return text", "/show", ["Host: example.com", "X-Deny-Text: why"]],
    ["a server-level set read in a location", "/show/x"],
    ["rewrite ... last", "/flags/last/a%20b?q=1"],
    ["rewrite ... break", "/flags/break/a%20b?q=1"],
    ["rewrite ... redirect", "/flags/redirect/a?q=1"],
    ["rewrite ... permanent", "/flags/permanent/a?q=1"],
    ["a replacement that starts with http://", "/flags/scheme/a%20b?q=1"],
    ["a replacement that starts with $scheme", "/flags/scheme-var/a?q=1"],
    ["a scheme replacement with last", "/flags/scheme-last/a"],
    ["a rewrite without a flag, then the end of the script", "/flags/none/a?q=1"],
    ["a rewrite to an empty URI", "/flags/empty/"],
    ["no rewrite matching", "/flags/other?q=1"],
    ["rewrites without flags in a chain", "/chain/a"],
    ["a rewrite without a flag, then break", "/stays/a%20b?q=1"],
    ["rewrite ... break with a proxy_pass URI part", "/stays-flag/a?q=1"],
    ["arguments added before the request's", "/args/add/x?old=1"],
    ["arguments dropped by a trailing ?", "/args/drop/x?old=1"],
    ["arguments replaced", "/args/replace/x?old=1"],
    ["captures escaped in arguments of an escaped URI", "/args/add/a%20b+c?old=1"],
    ["captures escaped in arguments of a URI with +", "/args/add/a+b?old=1"],
    ["arguments in a redirect", "/args/redirect/x?old=1"],
    ["arguments after a redirect", "/args/redirect-plain/a%20b?old=1"],
    ["arguments dropped from a redirect", "/args/redirect-drop/x?old=1"],
    ["a ? that a variable brings", "/args/var/?to=/show/y%3Fz"],
    ["set $args", "/setargs?z=2"],
    ["captures escaped in set before the first rewrite, not after", "/quote/a%20b+c"],
    ["captures unescaped without % or + in the path", "/quote/abc"],
    ["named and numbered captures of a rewrite", "/named/hello/42"],
    ["named captures of an if", "/named/word"],
    ["captures reset by a failed test", "/named/a-b"],
    ["if ($var) with a value", "/if/?v=yes"],
    ["if ($var) with 0", "/if/?v=0"],
    ["if ($var) with nothing", "/if/?v="],
    ["if ($map)", "/if/?slow=yes"],
    ["if (=)", "/if/?eq=yes"],
    ["if (!=) that holds", "/if/?ne=maybe"],
    ["if (!=) that does not", "/if/?ne=no&eq=x"],
    ["if (~*) with captures in set", "/if/?ne=no", ["Host: example.com", "Cookie: a=b; ID=42; c=d"]],
    ["if (~) with captures", "/if/?ne=no&re=aab"],
    ["if (!~)", "/if/?ne=no&nre=y"],
    ["if (~*)", "/if/?ne=no&nre=x&ci=abc"],
    ["if (!~*)", "/if/?ne=no&nre=x&ci=x&nci=abd"],
    ["if on the method", "/if/?ne=no&nre=x&nci=abc"],
    ["parentheses apart from the condition", "/if-spaces/?a=1"],
    ["the last if that holds is the one the request runs in", "/evil/two/x?second=1"],
    ["an if that holds alone", "/evil/two/x"],
    ["an if without a handler keeps the location's proxy_pass and its URI part", "/evil/inherit/x?if=1"],
    ["an if without proxy_pass after one that had it", "/evil/crash"],
    ["rewrite ... last inside an if", "/evil/last?go=1"],
    ["rewrite ... break inside an if", "/evil/break/a?go=1"],
    ["rewrite ... break inside an if that does not hold", "/evil/break/a"],
    ["ten location changes", "/step/2"],
    ["eleven location changes", "/step/1"],
    ["ten rewrites to one location", "/strip/xxxxxxxxxx"],
    ["eleven rewrites to one location", "/strip/xxxxxxxxxxx"],
    ["a rewrite cycle", "/loop"],
    ["an internal location asked for directly", "/hidden"],
    ["an internal location reached by rewrite", "/to-hidden"],
    ["return with text and variables", "/returns/text"],
    ["return of a relative redirect", "/returns/rel"],
    ["return of a URL with variables", "/returns/url?a=1"],
    ["return of an error code", "/returns/code"],
    ["the first of two returns", "/returns/first"],
    ["return 204", "/returns/bare"],
    ["set from constants, variables and itself", "/setvars/x"],
    ["a set variable that was never set", "/show/never?x"],
  ];
  for (const [what, target, headers] of cases)
    check(`answers ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [backend], getRequest(target, headers));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("answers POST 405 from an if, and GET otherwise", async () => {
    const post = "POST /if/?ne=no&nre=x&nci=abc HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
    const seen = await observeAll(proxies, [backend], post);
    expect(seen.nginx?.status).toBe(405);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("logs rewrite_log lines, the cycle, the empty URI and uninitialized variables as nginx does", async () => {
    const lines: Record<string, string[]> = {};
    for (const p of proxies) {
      for (const target of ["/log/a%20b?k=vv", "/log/miss?k=x", "/loop", "/flags/empty/", "/setvars/x", "/no-warn"]) {
        await observeAll([p], [backend], getRequest(target));
      }
      await new Promise((r) => setTimeout(r, 200));
      lines[p.name] = ["notice", "warn", "error"].flatMap((level) => logged(p, "rewrite", level).map((l) => `${level}: ${l}`));
    }
    expect(lines.nginx).toContain('notice: "^/log/(.*)$" matches "/log/a b"');
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});

// if (-f), (-d), (-e), (-x): nginx's file tests, on paths the test makes.
describe("rewrite module: file tests", () => {
  let files: string;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), "edgeproxy-files-"));
    writeFileSync(join(files, "plain"), "x");
    mkdirSync(join(files, "dir"));
    writeFileSync(join(files, "exec"), "#!/bin/sh\n");
    chmodSync(join(files, "exec"), 0o755);
    const test = (op: string) =>
      `location = /${op} { if (${op} ${files}/$arg_n) { return 200 "${op} holds\\n"; } return 200 "${op} does not\\n"; }`;
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        ${["-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"].map(test).join("\n        ")}
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    rmSync(files, { recursive: true, force: true });
  });

  check("answers if (-f), (-d), (-e), (-x) and their negations as nginx does", async () => {
    for (const op of ["-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"]) {
      for (const name of ["plain", "dir", "exec", "missing", "plain/below"]) {
        const seen = await observeAll(proxies, [], getRequest(`/${op}?n=${name}`));
        expect(seen.edgeproxy, `${op} ${name}`).toEqual(seen.nginx);
      }
    }
  });
});
