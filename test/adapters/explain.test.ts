import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { get, rawRequest } from "../support/client.ts";
import { ADAPTER_COMMANDS, ROOT, type RunningProxy, startEdgeproxy } from "../support/proxies.ts";
import { startRedis } from "../support/redis.ts";
import { serveLoopback } from "../support/tcp-server.ts";
import { waitFor } from "../support/wait.ts";

const run = promisify(execFile);

// `edgeproxy explain` against the real thing: the conformance files' configs (routing,
// proxy_pass request-targets, rewrite, hash balancers) are served by a running edgeproxy, and
// for each of their requests explain's verdict (the upstream request line and headers, the peer,
// or edgeproxy's own answer) is compared with what the client and the backends really saw.
// Absolute-form request lines and refused Hosts are the read phase's and not in explain's input.

interface Scenario {
  readonly name: string;
  readonly config: (backends: Backend[], port: number) => string;
  /**
   * Requests: the target, the header lines the client sends (Host first), and whether its peer
   * is round robin's, which depends on the requests before it (explain picks as a fresh process).
   */
  readonly requests: readonly (readonly [string, readonly string[], "round-robin"?])[];
}

const loc = (name: string) => `proxy_pass http://r; proxy_set_header X-Loc "${name}";`;

const ROUTING: Scenario = {
  name: "routing (test/conformance/routing.test.ts)",
  config: ([b], port) => `
    upstream r { server 127.0.0.1:${b?.port}; }
    server {
        listen 127.0.0.1:${port};
        server_name first;
        location = /x { ${loc("= /x")} }
        location /x { ${loc("/x")} }
        location ^~ /x/static { ${loc("^~ /x/static")} }
        location ~ \\.php$ { ${loc("~ php")} }
        location ~* \\.PNG$ { ${loc("~* png")} }
        location /x/deep { ${loc("/x/deep")} location ~ \\.php$ { ${loc("deep php")} } }
        location /ab { ${loc("/ab")} }
        location /a { ${loc("/a")} }
        location /second {
            location ^~ /second/y { ${loc("^~ /second/y")} }
            location ~ \\.html$ { ${loc("/second html")} }
            ${loc("/second")}
        }
        location ~ \\.html$ { ${loc("~ html")} }
        location ^~ /z { ${loc("^~ /z")} location ~ \\.php$ { ${loc("/z php")} } }
        location /health { return 200 "healthy\\n"; }
        location /gone { return 410; }
        location /moved { return 301 /elsewhere; }
        location /away { return https://example.org/; }
        location /dir/ { ${loc("/dir/")} }
    }
    server {
        listen 127.0.0.1:${port} default_server;
        server_name dflt;
        location / { ${loc("default server")} }
    }
    server {
        listen 127.0.0.1:${port};
        server_name *.example.com .example.org www.example.* ~^(?<sub>[a-z]+)\\.regex\\.test$;
        location / { ${loc("wildcards")} }
    }
    server {
        listen 127.0.0.1:${port};
        server_name "" nohost;
        location / { ${loc("empty name")} }
    }`,
  requests: [
    ..."/x /x/ /x/a.php /x/static/a.php /x/deep/a.php /x/deep/c.PHP /y.PNG /y.png /abc /ab/../a /x/%2e%2e/a.php /X /second/y/a.php /second/y/a.html /second/a.html /z/a.php /z /health /gone /moved?q=1 /away /nothing-here /dir"
      .split(" ")
      .map((t) => [t, ["Host: first"]] as const),
    ..."FIRST. first:8080 dflt unknown.host a.b.example.com example.com example.org www.example.org www.example.net abc.regex.test 1.regex.test nohost"
      .split(" ")
      .map((h) => ["/x", [`Host: ${h}`]] as const),
  ],
};

const PROXY_PASS_URI: Scenario = {
  name: "proxy_pass request-targets (test/conformance/proxy-pass-uri.test.ts)",
  config: ([b], port) => `
    upstream b { server 127.0.0.1:${b?.port}; }
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://b; }
        location /with/ { proxy_pass http://b/x/; }
        location /noslash { proxy_pass http://b/y; }
        location = /exact { proxy_pass http://b/e; }
        location ~ ^/re/ { proxy_pass http://b; }
        location /implicit/ { proxy_pass http://127.0.0.1:${b?.port}/imp/; }
        location /bare/ { proxy_pass http://127.0.0.1:${b?.port}; }
    }`,
  requests: [
    "/a%20b/../c?q=1%202",
    "//x//y",
    "/plain/path?x=1&y=2",
    "/with/a%20b/./c?x=%41",
    "/with/a%2Fb",
    "/with/%7E/~",
    "/with/a%3Fb",
    "/with/%C3%A9",
    "/with/sp%20ace/",
    "/with/q?",
    "/with",
    "/with?a=1",
    "/noslash",
    "/noslashes",
    "/noslash/deeper?k=v",
    "/exact",
    "/exact?z=9",
    "/re/a%2Fb?x=1",
    "/implicit/a/b?c=d",
    "/bare/a%2F..%2Fb",
    "/x/%2e%2e/y",
  ].map((t) => [t, ["Host: example.com"]] as const),
};

const VARIABLES: Scenario = {
  name: "proxy_pass and proxy_method with variables (test/conformance/proxy-variables.test.ts)",
  config: ([a, b], port) => `
    upstream named { server 127.0.0.1:${a?.port}; }
    server {
        listen 127.0.0.1:${port};
        location /to/ { proxy_pass http://$arg_up; }
        location /addr/ { proxy_pass http://127.0.0.1:${b?.port}/v$uri; }
        location /method/ { proxy_method $arg_m; proxy_pass http://named; }
    }`,
  requests: ["/to/x?up=named", "/to/y?up=nowhere.test", "/to/z?up=ftp://x", "/addr/p?q=1", "/method/a?m=PURGE"].map(
    (t) => [t, ["Host: example.com"]] as const,
  ),
};

const REWRITE: Scenario = {
  name: "rewrite (test/conformance/rewrite.test.ts)",
  config: ([b], port) => String.raw`
    upstream backend { server 127.0.0.1:${b?.port}; }
    server {
        listen 127.0.0.1:${port};
        rewrite ^/srv-break(/.*)$ /proxied$1 break;
        rewrite ^/srv-last(/.*)$ /proxied$1 last;
        rewrite ^/srv-redirect/(.*)$ /proxied/$1 redirect;
        if ($http_x_deny) { return 403; }
        set $from_server "server";
        location /proxied/ { proxy_pass http://backend/up/; }
        location /show { return 200 "uri=$uri args=$args is_args=$is_args 1=[$1] server=$from_server\n"; }
        location /flags/ {
            rewrite ^/flags/last/(.*)$ /proxied/$1 last;
            rewrite ^/flags/break/(.*)$ /proxied/$1 break;
            rewrite ^/flags/redirect/(.*)$ /proxied/$1 redirect;
            rewrite ^/flags/none/(.*)$ /show/$1;
            proxy_pass http://backend/kept/;
        }
        location /chain/ { rewrite ^/chain/(.*)$ /chain2/$1; rewrite ^/chain2/(.*)$ /show/$1; }
        location /args/ {
            rewrite ^/args/add/(.*)$ /show/$1?new=$1 last;
            rewrite ^/args/drop/(.*)$ /show/$1? last;
        }
        location /setargs { set $args "a=1&$args"; proxy_pass http://backend; }
        location /if/ {
            if ($arg_v) { return 200 "variable holds: [$arg_v]\n"; }
            if ($arg_eq = yes) { return 200 "equal\n"; }
            return 200 "no condition held\n";
        }
        location /evil/two {
            set $true 1;
            if ($true) { proxy_pass http://backend; }
            if ($arg_second) { proxy_pass http://127.0.0.1:${b?.port}; }
        }
        location /evil/inherit { proxy_pass http://backend/replacement/; set $true 1; if ($true) { } }
        location /evil/last { if ($arg_go) { rewrite ^ /show/from-if last; } proxy_pass http://backend; }
        location = /step/0 { rewrite ^ /step/1 last; }
        location = /step/1 { rewrite ^ /step/0 last; }
    }`,
  requests: [
    ..."/srv-break/a /srv-last/b?x=1 /srv-redirect/c /show/x?y=1 /flags/last/a /flags/break/b /flags/redirect/c /flags/none/d /flags/other /chain/q /args/add/z?old=1 /args/drop/z?old=1 /setargs?b=2 /if/?v=1 /if/?eq=yes /if/ /evil/two /evil/two?second=1 /evil/inherit/x /evil/last?go=1 /evil/last /step/0"
      .split(" ")
      .map((t) => [t, ["Host: example.com"]] as const),
    ["/show/denied", ["Host: example.com", "X-Deny: 1"]],
  ],
};

const HASH: Scenario = {
  name: "hash balancers (test/conformance/hash-balancers.test.ts)",
  config: (bs, port) => {
    const s = (i: number, extra = "") => `server 127.0.0.1:${bs[i]?.port} ${extra};`;
    return `
    upstream urihash { hash $request_uri; ${s(0)} ${s(1, "weight=2")} ${s(2)} }
    upstream ring { hash $request_uri consistent; ${s(0)} ${s(1)} ${s(2)} ${s(3)} }
    upstream argring { hash $arg_user consistent; ${s(0)} ${s(1)} ${s(2)} }
    upstream iphash { ip_hash; ${s(0)} ${s(1)} ${s(2)} }
    server {
        listen 127.0.0.1:${port};
        location /uri/ { proxy_pass http://urihash; }
        location /ring/ { proxy_pass http://ring; }
        location /arg { proxy_pass http://argring; }
        location /iphash { proxy_pass http://iphash; }
    }`;
  },
  requests: [
    ...Array.from({ length: 8 }, (_, i) => [`/uri/${i}`, ["Host: example.com"]] as const),
    ...Array.from({ length: 8 }, (_, i) => [`/ring/k${i}`, ["Host: example.com"]] as const),
    ...["ann", "bob", "cy", "dee"].map((u) => [`/arg?user=${u}`, ["Host: example.com"]] as const),
    ["/iphash", ["Host: example.com"]],
  ],
};

const HEADERS: Scenario = {
  name: "request headers (test/conformance/headers.test.ts)",
  config: ([b], port) => `
    upstream backend { server 127.0.0.1:${b?.port}; }
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
        location /port/ { proxy_pass http://127.0.0.1:${b?.port}; }
    }`,
  requests: "/plain?a=1 /set/path?a=b&c=d /httphost/x /nohost/x /method/x /method/inner/x /nohdrs/x /v11/x /port/x"
    .split(" ")
    .map(
      (t) =>
        [
          t,
          [
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
          ],
        ] as const,
    ),
};

const MAP: Scenario = {
  name: "map (test/conformance/map.test.ts)",
  config: ([a, b], port) => String.raw`
    upstream backend { server 127.0.0.1:${a?.port}; }
    upstream hashed { hash $hash_key; server 127.0.0.1:${a?.port}; server 127.0.0.1:${b?.port}; }
    map $http_x_in $only_default { default fallback; }
    map $http_x_in $no_default { known yes; }
    map $http_x_in $exact { default dflt; Alpha a; beta b; '' empty; \~tilde escaped; \default word-default; }
    map $http_x_in $regex {
        ~^(?<word>[a-z]+)-(\d+)$  "$word/$2";
        ~*^UP(\w*)$               "up:$1";
        ~b                        first-b;
        ~a                        first-a;
        default                   none;
    }
    map $http_x_host $host_kind {
        hostnames;
        example.com           exact;
        *.example.com         star;
        .example.org          dot;
        *.deep.example.com    deeper;
        www.example.*         tail;
        www.*                 www;
        ~^mail\.(?<domain>.+) "mail at $domain";
        default               d;
    }
    map $exact $outer { a from-alpha; default "other($exact)"; }
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    map $http_x_in $hash_key { default "$http_x_in"; }
    server {
        listen 127.0.0.1:${port};
        location /show {
            return 200 "only_default=$only_default no_default=[$no_default] exact=$exact regex=$regex word=$word outer=$outer host=$host_kind domain=$domain 1=$1
";
        }
        location /proxy {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Exact $exact;
            proxy_set_header X-Regex "$regex $word";
            proxy_pass http://backend;
        }
        location /hash { proxy_pass http://hashed; }
        location ~ ^/captured/(\w+)$ { return 200 "location 1=$1
"; }
    }`,
  requests: [
    ...[null, "", "beta", "ALPHA", "~tilde", "default", "abc-42", "upWARD", "ab", "xa", "zzz", "known"].flatMap((v) =>
      ["/show", "/proxy", "/hash"].map((t) => {
        const headers = ["Host: example.com", ...(v === null ? [] : [`X-In: ${v}`])];
        // An empty hash key is round robin (nginx-semantics 4.2).
        return t === "/hash" && !v ? ([t, headers, "round-robin"] as const) : ([t, headers] as const);
      }),
    ),
    ..."example.com EXAMPLE.com. a.b.example.com x.deep.example.com x.example.org www.example.co.uk www.other.net mail.example.net other.net"
      .split(" ")
      .map((h) => ["/show", ["Host: example.com", `X-Host: ${h}`]] as const),
    ["/captured/word", ["Host: example.com"]],
  ],
};

interface Explained {
  answer:
    | { kind: "proxy"; pick: string | null; request: { method: string; target: string; httpVersion: string; headers: [string, string][] } }
    | { kind: "status"; status: number; location?: string; body?: string };
}

/** The client's header lines: the scenario's, with `Connection: close` unless it sends its own. */
const withClose = (headers: readonly string[]) =>
  headers.some((h) => h.toLowerCase().startsWith("connection:")) ? [...headers] : [...headers, "Connection: close"];

async function explain(proxy: RunningProxy, target: string, headers: readonly string[]): Promise<Explained> {
  const args = ["adapters/node", "explain", "-c", join(proxy.dir, "edgeproxy.conf"), `GET http://127.0.0.1:${proxy.port}${target}`];
  for (const h of withClose(headers)) args.push("-H", h);
  const { stdout } = await run(process.execPath, [...args, "--json"], { cwd: ROOT });
  return JSON.parse(stdout) as Explained;
}

for (const scenario of [ROUTING, PROXY_PASS_URI, VARIABLES, REWRITE, HASH, HEADERS, MAP]) {
  describe(`explain agrees with the proxy: ${scenario.name}`, () => {
    let backends: Backend[];
    let proxy: RunningProxy;
    beforeAll(async () => {
      backends = await Promise.all(["a", "b", "c", "d"].map((t) => startBackend(t)));
      proxy = await startEdgeproxy((port) => scenario.config(backends, port));
    });
    afterAll(async () => {
      await proxy.stop();
      await Promise.all(backends.map((b) => b.close()));
    });

    test(`for each of its ${scenario.requests.length} requests`, async () => {
      for (const [target, headers, picker] of scenario.requests) {
        const predicted = (await explain(proxy, target, headers)).answer;
        const before = backends.map((b) => b.seen.length);
        const res = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\n${withClose(headers).join("\r\n")}\r\n\r\n`);
        const reached = backends.findIndex((b, i) => b.seen.length > (before[i] as number));
        const label = `${target} ${headers.join(", ")}`;
        if (predicted.kind === "status") {
          expect({ label, reached: reached >= 0, status: res.status }).toEqual({ label, reached: false, status: predicted.status });
          if (predicted.body !== undefined) expect(res.body.toString("latin1"), label).toBe(predicted.body);
          if (predicted.location?.startsWith("http"))
            expect(res.headers.find(([n]) => n === "Location")?.[1], label).toBe(predicted.location);
          continue;
        }
        const seen = (backends[reached] as Backend).seen.at(-1);
        const p = predicted.request;
        expect({ label, peer: `127.0.0.1:${backends[reached]?.port}`, requestLine: seen?.requestLine, headers: seen?.headers }).toEqual({
          label,
          peer: picker === "round-robin" ? `127.0.0.1:${backends[reached]?.port}` : predicted.pick,
          requestLine: `${p.method} ${p.target} HTTP/${p.httpVersion}`,
          // A value's surrounding spaces are not part of it (RFC 9110 5.5): the backend drops them.
          headers: p.headers.map(([n, v]) => [n, v.trim()]),
        });
      }
    }, 120_000);
  });
}

describe("edgeproxy explain", () => {
  test("prints the server, location, directives with their blocks, the upstream request and peers as text, on Node and Bun", async () => {
    const backend = await startBackend("a");
    const proxy = await startEdgeproxy(
      (port) => `
      proxy_set_header X-Outer outer;
      upstream u { server 127.0.0.1:${backend.port}; server 127.0.0.1:1 down; }
      server {
          listen 127.0.0.1:${port};
          server_name api.test;
          location /api/ { proxy_pass http://u/v1/; }
      }`,
    );
    try {
      const file = join(proxy.dir, "edgeproxy.conf");
      const { stdout } = await run(
        process.execPath,
        ["adapters/node", "explain", "-c", file, `GET http://api.test:${proxy.port}/api/users?id=7`],
        {
          cwd: ROOT,
        },
      );
      expect(stdout).toContain(`server_name api.test\n           exact server_name "api.test"`);
      expect(stdout).toContain("location /api/, the longest matching prefix, no regex location matched");
      expect(stdout).toMatch(/proxy_pass http:\/\/u\/v1\/\s+\S+edgeproxy\.conf:\d+ {2}location \/api\/\n/);
      expect(stdout).toMatch(/proxy_set_header X-Outer outer\s+\S+edgeproxy\.conf:\d+ {2}http \(inherited\)/);
      expect(stdout).toContain(
        `pick       127.0.0.1:${backend.port}\n    127.0.0.1:${backend.port} up weight=1\n    127.0.0.1:1 down weight=1\n`,
      );
      expect(stdout).toContain(
        "upstream request\n    GET /v1/users?id=7 HTTP/1.0\n    X-Outer: outer\n    Host: u\n    Connection: close\n",
      );
      expect(backend.seen).toHaveLength(0);
      // Bun runs the same command line: the same explanation.
      const [bun, ...bunArgs] = ADAPTER_COMMANDS.bun as [string, ...string[]];
      const onBun = await run(bun, [...bunArgs, "explain", "-c", file, `GET http://api.test:${proxy.port}/api/users?id=7`], { cwd: ROOT });
      expect(onBun.stdout).toBe(stdout);
      const bad = await run(process.execPath, ["adapters/node", "explain", "-c", file, "GET http://api.test:1/"], { cwd: ROOT }).catch(
        (e) => e,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("no server listens on port 1");
    } finally {
      await proxy.stop();
      await backend.close();
    }
  });
});

describe("edgeproxy explain with edgeproxy_state", () => {
  test("shows the peer states the servers share through Redis, and picks as they would", async () => {
    const redis = await startRedis();
    const healthy = await startBackend("ok");
    const dead = await serveLoopback((socket) => socket.resetAndDestroy());
    const proxy = await startEdgeproxy(
      (port) => `
      edgeproxy_state ${redis.url} prefix=explain:;
      upstream u { server 127.0.0.1:${dead.port} max_fails=1 fail_timeout=60s; server 127.0.0.1:${healthy.port}; }
      server { listen 127.0.0.1:${port}; location / { proxy_pass http://u; } }`,
    );
    try {
      const file = join(proxy.dir, "edgeproxy.conf");
      const explainJson = async () =>
        JSON.parse(
          (
            await run(process.execPath, ["adapters/node", "explain", "-c", file, `http://127.0.0.1:${proxy.port}/`, "--json"], {
              cwd: ROOT,
            })
          ).stdout,
        );
      // Before any failure round robin starts with the first peer.
      expect((await explainJson()).answer.pick).toBe(`127.0.0.1:${dead.port}`);
      // The server meets the dead peer once and writes the failure to Redis.
      expect((await get(proxy.port, "/")).status).toBe(200);
      await waitFor(async () => (await explainJson()).answer.peers[0].state === "failed", 5000);
      const { answer } = await explainJson();
      expect(answer.pick).toBe(`127.0.0.1:${healthy.port}`);
      expect(answer.peers.map((p: { state: string }) => p.state)).toEqual(["failed", "up"]);
    } finally {
      await proxy.stop();
      await healthy.close();
      dead.close();
      await redis.stop();
    }
  });
});
