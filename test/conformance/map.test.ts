import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type SeenRequest, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

/** The lines a proxy's `NAME.log` holds so far. */
function logLines(proxy: RunningProxy, name: string): string[] {
  return readFileSync(join(proxy.dir, `${name}.log`), { encoding: "latin1", flag: "a+" })
    .split("\n")
    .filter(Boolean);
}

/** A request header's value as a backend saw it. */
const seenHeader = (seen: SeenRequest | undefined, name: string) => seen?.headers.find(([n]) => n.toLowerCase() === name)?.[1];

// ngx_http_map_module: every form of key and value, and map variables wherever variables go.
describe("map", () => {
  let a: Backend;
  let b: Backend;
  let proxies: RunningProxy[];
  let keysDir: string;

  beforeAll(async () => {
    a = await startBackend("a");
    b = await startBackend("b");
    keysDir = mkdtempSync(join(tmpdir(), "edgeproxy-map-"));
    writeFileSync(join(keysDir, "keys.map"), "/included/one  first;\n/included/two  second;\n");
    proxies = await startBoth(
      (port) => String.raw`
    upstream backend { server 127.0.0.1:${a.port}; }
    upstream hashed { hash $hash_key; server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; }

    # Used above the map that defines it.
    log_format maps '$uri exact=$exact regex=$regex word=$word loggable=$loggable';

    map $http_x_in $only_default { default fallback; }
    map $http_x_in $no_default { known yes; }
    map $http_x_in $exact {
        default   dflt;
        Alpha     a;
        beta      b;
        ''        empty;
        \~tilde   escaped;
        \default  word-default;
    }
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
    map $http_x_host $plain_host { example.com exact; default d; }
    map $exact $outer { a from-alpha; default "other($exact)"; }
    map $uri $included { include ${keysDir}/keys.map; default none; }
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    map $http_x_in $loggable { skip 0; default 1; }
    map $http_x_in $hash_key { default "$http_x_in"; }
    map $http_x_in $redirect_to { default /moved/; other /elsewhere/; }

    # Cached for the request, or evaluated again by each template that reads it.
    map $http_x_cap $cap { ~^(.*)$ $1; }
    map $1 $one_fresh { volatile; default "fresh[$1]"; }
    map $1 $one_kept { default "kept[$1]"; }
    map $request_time $time_kept { default $request_time; }
    map $request_time $time_fresh { volatile; default $request_time; }
    log_format flush 'fresh=$one_fresh kept=$one_kept cap=$cap';
    log_format times '$time_kept $time_fresh';

    server {
        listen 127.0.0.1:${port};
        access_log {{dir}}/maps.log maps if=$loggable;
        location /show {
            return 200 "only_default=$only_default no_default=[$no_default] exact=$exact regex=$regex word=$word outer=$outer host=$host_kind plain=$plain_host domain=$domain included=$included 1=$1\n";
        }
        location /included/ { return 200 "included=$included\n"; }
        location /proxy {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Exact $exact;
            proxy_set_header X-Regex "$regex $word";
            proxy_pass http://backend;
        }
        location /hash { proxy_pass http://hashed; }
        location /redirect { proxy_redirect http://backend/ $redirect_to; proxy_pass http://backend; }
        location ~ ^/captured/(\w+)$ { return 200 "location 1=$1\n"; }
        location ~ ^/captured-redirect/(\w+)$ {
            proxy_set_header X-Cap $cap;
            proxy_redirect http://backend/ /$1/;
            proxy_pass http://backend;
        }
        location /flush {
            access_log {{dir}}/flush.log flush;
            proxy_set_header X-1 $one_fresh;
            proxy_set_header X-2 $cap;
            proxy_set_header X-3 $one_fresh;
            proxy_set_header X-4 $one_kept;
            proxy_pass http://backend;
        }
        location /flush-return { return 200 "$one_fresh $cap $one_fresh $one_kept\n"; }
        location /times { access_log {{dir}}/times.log times; proxy_set_header X-Kept $time_kept; proxy_set_header X-Fresh $time_fresh; proxy_pass http://backend; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([a.close(), b.close()]);
    rmSync(keysDir, { recursive: true, force: true });
  });

  const inputs: [string, string | null][] = [
    ["no header", null],
    ["an empty value", ""],
    ["an exact key", "beta"],
    ["an exact key in another case", "ALPHA"],
    ["a key escaped from ~", "~tilde"],
    ["a key escaped from default", "default"],
    ["a regex with named and positional captures", "abc-42"],
    ["a caseless regex", "upWARD"],
    ["the first of two regexes that match", "ab"],
    ["a later regex", "xa"],
    ["nothing", "zzz"],
    ["the exact map's answer", "known"],
  ];
  for (const [what, value] of inputs)
    check(`answers ${what} as nginx does`, async () => {
      const headers = ["Host: example.com", ...(value === null ? [] : [`X-In: ${value}`])];
      const seen = await observeAll(proxies, [a, b], getRequest("/show", headers));
      expect(seen.nginx?.status).toBe(200);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  const hosts = [
    "example.com",
    "EXAMPLE.com.",
    "a.example.com",
    "a.b.example.com",
    "deep.example.com",
    "x.deep.example.com",
    "example.org",
    "x.example.org",
    "www.example.com",
    "www.example.net",
    "www.example.co.uk",
    "www.other.net",
    "www.example",
    "mail.example.net",
    "other.net",
    "xexample.com",
    "example.com..",
  ];
  for (const host of hosts)
    check(`matches hostnames keys for ${host} as nginx does`, async () => {
      const seen = await observeAll(proxies, [a, b], getRequest("/show", ["Host: example.com", `X-Host: ${host}`]));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("reads keys from an included file", async () => {
    for (const target of ["/included/one", "/included/two", "/included/three"]) {
      const seen = await observeAll(proxies, [a, b], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    }
  });

  for (const upgrade of [null, "websocket"])
    check(
      `sends the websocket idiom's headers upstream ${upgrade ? "for an upgrade" : "without one"}, with maps in proxy_set_header`,
      async () => {
        const headers = ["Host: example.com", "X-In: abc-7", ...(upgrade ? [`Upgrade: ${upgrade}`] : [])];
        const seen = await observeAll(proxies, [a, b], getRequest("/proxy", headers));
        expect(seen.nginx?.upstream).toHaveLength(1);
        expect(seen.edgeproxy).toEqual(seen.nginx);
      },
    );

  check("balances on a hash key that is a map", async () => {
    for (const key of ["k1", "k2", "k3", "k4", "k5", "k6"]) {
      const seen = await observeAll(proxies, [a, b], getRequest("/hash", ["Host: example.com", `X-In: ${key}`]));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    }
  });

  check("rewrites Location with a map in proxy_redirect", async () => {
    a.reply = () => ({ status: 302, headers: [["Location", "http://backend/x/y"]] });
    try {
      for (const key of ["any", "other"]) {
        const seen = await observeAll(proxies, [a, b], getRequest("/redirect", ["Host: example.com", `X-In: ${key}`]));
        expect(seen.edgeproxy).toEqual(seen.nginx);
      }
    } finally {
      a.reply = () => ({ body: "a\n" });
    }
  });

  check("gives $1 the regex location's group until a map's regex matches", async () => {
    const seen = await observeAll(proxies, [a, b], getRequest("/captured/loc"));
    expect(seen.nginx?.body).toBe("location 1=loc\n");
    expect(seen.edgeproxy).toEqual(seen.nginx);
    a.reply = () => ({ status: 302, headers: [["Location", "http://backend/x"]] });
    try {
      for (const cap of [[], ["X-Cap: from-map"]]) {
        const redirected = await observeAll(proxies, [a, b], getRequest("/captured-redirect/loc", ["Host: example.com", ...cap]));
        expect(redirected.edgeproxy).toEqual(redirected.nginx);
      }
    } finally {
      a.reply = () => ({ body: "a\n" });
    }
  });

  // A volatile map over $1 changes when another map's regex runs; a cached one does not.
  check("evaluates a volatile map once for all proxy_set_header lines, and again for the log", async () => {
    const seen = await observeAll(proxies, [a, b], getRequest("/flush", ["Host: example.com", "X-Cap: hello"]));
    expect(seen.edgeproxy).toEqual(seen.nginx);
    const lines = Object.fromEntries(proxies.map((p) => [p.name, logLines(p, "flush")]));
    expect(lines.nginx).toEqual(["fresh=fresh[hello] kept=kept[hello] cap=hello"]);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });

  check("evaluates a volatile map once within one return text", async () => {
    const seen = await observeAll(proxies, [a, b], getRequest("/flush-return", ["Host: example.com", "X-Cap: hello"]));
    expect(seen.nginx?.body).toBe("fresh[] hello fresh[] kept[hello]\n");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("keeps a map of $request_time for the request, unless it is volatile", async () => {
    a.reply = () => ({ body: "slow\n", delayMs: 150 });
    const relation: Record<string, unknown> = {};
    try {
      for (const p of proxies) {
        const before = a.seen.length;
        await rawRequest(p.port, getRequest("/times"));
        await new Promise((r) => setTimeout(r, 300));
        const upstream = a.seen[before];
        const [keptInLog, freshInLog] = (logLines(p, "times")[0] ?? "").split(" ");
        const sent = Number(seenHeader(upstream, "x-kept"));
        relation[p.name] = {
          sentBeforeTheAnswer: sent >= 0 && sent < 0.1,
          keptIsTheHeadersValue: keptInLog === seenHeader(upstream, "x-kept"),
          freshIsLater: Number(freshInLog) >= Number(seenHeader(upstream, "x-fresh")) + 0.1,
        };
      }
    } finally {
      a.reply = () => ({ body: "a\n" });
    }
    expect(relation.nginx).toEqual({ sentBeforeTheAnswer: true, keptIsTheHeadersValue: true, freshIsLater: true });
    expect(relation.edgeproxy).toEqual(relation.nginx);
  });

  check("writes maps in log lines and in access_log if=", async () => {
    const requests = ["abc-1", "skip", "ALPHA", ""].map((v) => getRequest("/show", ["Host: example.com", `X-In: ${v}`]));
    for (const p of proxies) for (const r of requests) await rawRequest(p.port, r);
    await new Promise((r) => setTimeout(r, 300));
    const lines = Object.fromEntries(proxies.map((p) => [p.name, logLines(p, "maps").filter((l) => l.startsWith("/show"))]));
    expect(lines.nginx?.length).toBeGreaterThan(0);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});
