import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, replyFromHeader as replyWanted, type SeenRequest, startBackend } from "../support/backend.ts";
import { type DnsServer, startDnsServer } from "../support/dns-server.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "asks the resolver as nginx does and keeps its answers for their TTL":
      "fetch resolves names with Cloudflare's resolver: the resolver's address is not asked",
    "logs unresolvable names as nginx does": BECAUSE.consoleLog,
    "answers a name from the resolver as nginx does":
      "fetch resolves names with Cloudflare's resolver, which does not know the test's names",
    "answers a name from the resolver with ipv6=off as nginx does":
      "fetch resolves names with Cloudflare's resolver, which does not know the test's names",
    "answers a name the resolver does not know as nginx does":
      "fetch resolves names with Cloudflare's resolver, which does not know the test's names",
    "answers $request_uri as the URI part as nginx does": BECAUSE.parsedUrl,
    "answers proxy_method from a variable as nginx does": "fetch writes Content-Length: 0 for a PATCH or PUT without a body",
    "answers proxy_method PUT in a nested location as nginx does": "fetch writes Content-Length: 0 for a PATCH or PUT without a body",
    "answers proxy_set_body with variables on a GET as nginx does": "fetch takes no body with GET",
    "answers proxy_set_body with proxy_pass_request_body off as nginx does": "fetch takes no body with GET",
    "rewrites Location with a regex with named and numbered captures: the whole value replaced as nginx does": BECAUSE.edgePort,
    "rewrites Location with a FROM with variables as nginx does": BECAUSE.edgePort,
    "rewrites Location with proxy_redirect default after other rules as nginx does": BECAUSE.edgePort,
    "rewrites Location with an unanchored regex, dropping the rest, as nginx does": BECAUSE.edgePort,
  },
});

/** The upstream's replies chosen by the request's `X-Reply`: `STATUS|Name=value|...`. */
const replyFromHeader = (req: SeenRequest): Reply => replyWanted(req, { separator: "=", fallback: () => ({ body: "v\n" }) });

// Variables where nginx allows them in the proxy module (nginx-tests proxy.t, proxy_variables.t,
// proxy_method.t, proxy_set_body.t, proxy_redirect.t, proxy_cookie_*.t): what the client and
// the upstream saw.
describe("proxy module with variables", () => {
  let a: Backend;
  let b: Backend;
  const dns: DnsServer[] = [];
  const dnsOf = new Map<number, DnsServer>();
  let proxies: RunningProxy[];

  beforeAll(async () => {
    a = await startBackend("a");
    b = await startBackend("b");
    a.reply = replyFromHeader;
    b.reply = replyFromHeader;
    for (let i = 0; i < 2; i++)
      dns.push(await startDnsServer({ "app.test": ["127.0.0.1"], "cached.test": ["127.0.0.1", "127.0.0.2"], "v4.test": ["127.0.0.1"] }));
    proxies = await startBoth((port) => {
      // Each proxy asks its own DNS server, so the questions of each can be counted.
      const mine = dns[dnsOf.size] as DnsServer;
      dnsOf.set(port, mine);
      return `
    upstream backend { server 127.0.0.1:${a.port}; }
    map $arg_flag $flag { default ""; s secure; h httponly; n nosecure; x samesite=lax; }
    server {
        listen 127.0.0.1:${port};
        error_log {{dir}}/vars.log error;
        resolver 127.0.0.1:${mine.port} valid=30s;
        resolver_timeout 2s;

        location /static { proxy_pass http://127.0.0.1:${b.port}; }
        location /var/ { proxy_pass http://$arg_u; }
        location /var-uri/ { proxy_pass http://$arg_u/fixed/path; }
        location /var-query/ { proxy_pass http://$arg_u?only=1; }
        location /var-request-uri/ { proxy_pass http://backend$request_uri; }
        location /var-host/ { proxy_set_header X-Host "$proxy_host|$proxy_port"; proxy_pass http://$arg_u; }
        location /var-url/ { proxy_pass $arg_url; }
        location /var-ipv4/ { resolver 127.0.0.1:${mine.port} ipv6=off; proxy_pass http://$arg_u; }
        location /unresolved/ { resolver_timeout 1s; proxy_pass http://$arg_u; }
        location /method/ {
            proxy_method $arg_m;
            location /method/fixed/ { proxy_method PUT; proxy_pass http://backend; }
            proxy_pass http://backend;
        }
        location /set-body/ { proxy_set_body "x=$arg_x&uri=$uri"; proxy_pass http://backend; }
        location /set-body-off/ { proxy_set_body "fixed"; proxy_pass_request_body off; proxy_pass http://backend; }
        location /redirect/ {
            proxy_pass http://backend/inner/;
            proxy_redirect ~^http://[^/]+/(?<section>\\w+)/(\\d+) /$section/item-$2;
            proxy_redirect http://$host/ /from-host/;
            proxy_redirect default;
        }
        location /redirect-tail/ { proxy_redirect ~http://x/ /y/; proxy_pass http://backend; }
        location /cookies/ {
            proxy_cookie_domain .upstream.test example.com;
            proxy_cookie_domain ~(\\w+)\\.upstream\\.org $1.example.org;
            proxy_cookie_path /inner/ /;
            proxy_cookie_path ~*^/CASE/(.*)$ /case/$1;
            proxy_cookie_flags one secure httponly samesite=strict;
            proxy_cookie_flags ~^t secure $flag;
            proxy_cookie_flags three nosecure nohttponly nosamesite;
            proxy_pass http://backend;
        }
    }`;
    });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([a.close(), b.close(), ...dns.map((d) => d.close())]);
  });

  const withReply = (target: string, reply: string) => getRequest(target, ["Host: example.com", `X-Reply: ${reply}`]);

  const cases: [string, string | (() => string)][] = [
    ["an upstream block named by the variable", "/var/x?u=backend"],
    ["an upstream block named with a port: a name to resolve", "/var/x?u=backend:80"],
    ["an implicit upstream named by host and port", () => `/var/x?u=127.0.0.1:${b.port}`],
    ["an address that no upstream names", () => `/var/x?u=127.0.0.2:${a.port}`],
    ["a URI part: sent whole, without the arguments", "/var-uri/x?u=backend&z=1"],
    ["a URI part that starts with ?", "/var-query/x?u=backend"],
    ["$request_uri as the URI part", "/var-request-uri/a%20b/../c?z=1"],
    ["$proxy_host and $proxy_port of an evaluated URL", () => `/var-host/x?u=127.0.0.1:${a.port}`],
    ["$proxy_host of an upstream block", "/var-host/x?u=backend"],
    ["a URL without http:// or https://", "/var-url/x?url=ftp://backend/"],
    ["an empty URL", "/var-url/x"],
    ["a name from the resolver", () => `/var/x?u=app.test:${a.port}`],
    ["a name from the resolver with ipv6=off", () => `/var-ipv4/x?u=app.test:${a.port}`],
    ["a name the resolver does not know", () => `/unresolved/x?u=nowhere.test:${a.port}`],
    ["proxy_method from a variable", "/method/x?m=PATCH"],
    ["proxy_method PUT in a nested location", "/method/fixed/x?m=PATCH"],
    ["proxy_set_body with variables on a GET", "/set-body/a?x=1"],
    ["proxy_set_body with proxy_pass_request_body off", "/set-body-off/a"],
  ];
  for (const [what, target] of cases)
    check(`answers ${what} as nginx does`, async () => {
      const path = typeof target === "string" ? target : target();
      const seen = await observeAll(proxies, [a, b], getRequest(path));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("sends proxy_set_body in place of a POST's body", async () => {
    const post = "POST /set-body/a?x=2 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 7\r\nConnection: close\r\n\r\nignored";
    const seen = await observeAll(proxies, [a, b], post);
    expect(seen.nginx?.upstream[0]?.body).toBe("x=2&uri=/set-body/a");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  const redirects: [string, string][] = [
    ["a regex with named and numbered captures: the whole value replaced", "http://up/news/42/rest"],
    ["a FROM with variables", "http://example.com/page"],
    ["proxy_redirect default after other rules", `http://backend/inner/deep`],
    ["no rule matching", "http://elsewhere/x"],
  ];
  for (const [what, location] of redirects)
    check(`rewrites Location with ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [a, b], withReply("/redirect/x", `302|Location=${location}|Refresh=3; url=${location}`));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("rewrites Location with an unanchored regex, dropping the rest, as nginx does", async () => {
    const seen = await observeAll(proxies, [a, b], withReply("/redirect-tail/x", "302|Location=http://pre/http://x/abc/def"));
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  const cookies: [string, string, string?][] = [
    ["a domain", "a=1; Domain=.upstream.test; Path=/inner/x"],
    ["a domain in another case", "a=1; domain=UPSTREAM.test"],
    ["a domain by regex", "a=1; Domain=shop.upstream.org; path=/CASE/y"],
    ["a path prefix and spaces to tidy", "a=1 ;  Path =/inner/deep ; Secure"],
    ["nothing to change", "a=1; Path=/other; Domain=other.test"],
    ["no value", "justname; Domain=upstream.test"],
    ["flags added", "one=1; Path=/"],
    ["flags already there", "one=1; secure; HttpOnly; SameSite=Lax"],
    ["flags by regex, one from a variable", "two=2; SameSite=None", "/cookies/x?flag=x"],
    ["flags removed", "three=3; Secure; HttpOnly; SameSite=Strict; Path=/inner/"],
    ["a flag from a variable that is empty", "t=1", "/cookies/x"],
  ];
  for (const [what, cookie, target] of cookies)
    check(`rewrites Set-Cookie with ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [a, b], withReply(target ?? "/cookies/x", `200|Set-Cookie=${cookie}`));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("asks the resolver as nginx does and keeps its answers for their TTL", async () => {
    const asked: Record<string, string[]> = {};
    for (const p of proxies) {
      const server = dnsOf.get(p.port) as DnsServer;
      server.asked.length = 0;
      for (let i = 0; i < 3; i++) await observeAll([p], [a, b], getRequest(`/var/x?u=cached.test:${a.port}`));
      await observeAll([p], [a, b], getRequest(`/var-ipv4/x?u=v4.test:${a.port}`));
      asked[p.name] = [...server.asked].sort();
    }
    expect(asked.nginx).toEqual(["cached.test A", "cached.test AAAA", "v4.test A"]);
    expect(asked.edgeproxy).toEqual(asked.nginx);
  });

  check("logs unresolvable names as nginx does", async () => {
    const lines: Record<string, string[]> = {};
    for (const p of proxies) {
      await observeAll([p], [a, b], getRequest(`/unresolved/x?u=nowhere.test:${a.port}`));
      await observeAll([p], [a, b], getRequest("/var-url/x?url=ftp://x/"));
      await new Promise((r) => setTimeout(r, 200));
      lines[p.name] = readFileSync(join(p.dir, "vars.log"), "latin1")
        .split("\n")
        .filter((l) => /could not be resolved|invalid URL prefix|no resolver/.test(l))
        .map((l) => l.replace(/^.*?\[\w+\] \d+#\d+: (\*\d+ )?/, "").replace(/, client: .*$/, ""));
    }
    expect(lines.nginx?.length).toBeGreaterThan(0);
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});

// Without `resolver`, nginx resolves no name at request time: 502 and its error line.
describe("proxy_pass with variables and no resolver", () => {
  let a: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    a = await startBackend("a");
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://$arg_u; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await a.close();
  });

  check("answers 502 for a name, and proxies to an address, as nginx does", async () => {
    for (const target of [`/x?u=localhost:${a.port}`, `/x?u=127.0.0.1:${a.port}`]) {
      const seen = await observeAll(proxies, [a], getRequest(target));
      expect(seen.edgeproxy, target).toEqual(seen.nginx);
    }
    if (ADAPTER !== "workers") expect(proxies[1]?.log()).toContain("no resolver defined to resolve localhost");
  });
});
