import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, replyFromHeader as replyWanted, type SeenRequest, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "logs the cycle and a missing named location as nginx does": BECAUSE.consoleLog,
    "answers an error_page to a URL with 302 as nginx does": BECAUSE.edgePort,
    "sends a POST's body again, as GET, to an error page's upstream":
      "fetch takes no body with GET: the error page's request goes without it",
  },
});

/** Replies chosen by the request's `X-Reply` header: `STATUS[|Name=value...]`; 200 by default. */
const replyFromHeader = (req: SeenRequest): Reply =>
  replyWanted(req, {
    separator: "=",
    // The request line without its version, which fetch (Workers) writes as HTTP/1.1.
    fallback: (r) => ({ body: `page ${r.requestLine.replace(/ HTTP\/1\.[01]$/, "")}\n` }),
    body: (status) => `status ${status}\n`,
  });

/** The error-log lines at `level`, without nginx's context suffix. */
function logged(proxy: RunningProxy, level: string): string[] {
  return readFileSync(join(proxy.dir, "pages.log"), { encoding: "latin1", flag: "a+" })
    .split("\n")
    .filter((l) => l.includes(`[${level}]`))
    .map((l) => l.replace(/^.*?\[\w+\] \d+#\d+: (\*\d+ )?/, "").replace(/, client: .*$/, ""));
}

// error_page, named locations, internal, recursive_error_pages, proxy_intercept_errors and
// proxy_next_upstream (nginx-tests http_error_page.t, proxy_intercept_errors.t,
// error_page_named.t), request by request.
describe("error pages", () => {
  let a: Backend;
  let b: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    a = await startBackend("a");
    b = await startBackend("b");
    a.reply = replyFromHeader;
    b.reply = replyFromHeader;
    proxies = await startBoth(
      (port) => `
    upstream one { server 127.0.0.1:${a.port}; }
    upstream two { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; }
    upstream down { server 127.0.0.1:1; }
    server {
        listen 127.0.0.1:${port};
        error_log {{dir}}/pages.log error;
        error_page 404 /server-404;

        location /server-404 { internal; proxy_pass http://one/notfound; }
        location /pages/ { internal; proxy_set_header X-Reply ""; proxy_pass http://one; }
        location @fallback { proxy_set_header X-Reply ""; proxy_pass http://two; }
        location @rewriting { rewrite ^ /pages/from-named break; proxy_set_header X-Reply ""; proxy_pass http://one; }

        location /plain/ { proxy_pass http://one; }
        location /intercept/ {
            proxy_intercept_errors on;
            error_page 404 /pages/404;
            error_page 500 502 =503 /pages/50x;
            error_page 401 = @fallback;
            error_page 403 =200 @rewriting;
            error_page 410 http://elsewhere.test/gone?from=410;
            error_page 418 =301 http://elsewhere.test/teapot;
            proxy_pass http://one;
        }
        location /no-intercept/ { error_page 404 /pages/404; proxy_pass http://one; }
        location /intercept-no-page/ { proxy_intercept_errors on; error_page 404 /pages/404; proxy_pass http://one; }
        location /own/ {
            error_page 404 /pages/own-404;
            error_page 502 504 /pages/down;
            location /own/return { return 404; }
            location /own/text { return 404 "text of a 404\\n"; }
            location /own/down { proxy_pass http://down; }
            location /own/none { }
        }
        location /retry/ {
            proxy_next_upstream error http_500;
            proxy_intercept_errors on;
            error_page 500 /pages/after-retries;
            proxy_pass http://two;
        }
        location /retry-down/ { proxy_next_upstream error; error_page 502 /pages/all-down; proxy_pass http://down; }
        location /recursive/ { recursive_error_pages on; error_page 404 /recursive/again; return 404; }
        location /single/ { error_page 404 /single/again; return 404; }
        location /cycle/ { recursive_error_pages on; error_page 404 /cycle/x; return 404; }
        location /missing/ { error_page 404 @nowhere; return 404; }
        location /args/ { error_page 404 /pages/args?fixed=1; return 404; }
        location /var/ { error_page 404 $arg_to; return 404; }
        location /url/ { error_page 404 http://elsewhere.test/$uri; return 404; }
        location /head/ { error_page 404 /pages/head; return 404; }
        location /equals/ { error_page 404 = /pages/equals; return 404; }
        location /internal-direct { internal; return 200 "internal\\n"; }
        location /if/ { if ($arg_page) { error_page 404 /pages/from-if; } return 404; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([a.close(), b.close()]);
  });

  const cases: [string, string, string[]?][] = [
    ["the server's error_page for a location without one", "/plain/x", ["Host: a", "X-Reply: 404"]],
    ["an upstream 404 intercepted to an internal location, status kept", "/intercept/x?q=1", ["Host: a", "X-Reply: 404"]],
    ["an upstream 500 intercepted with =503", "/intercept/x", ["Host: a", "X-Reply: 500"]],
    ["an upstream 401 intercepted to a named location with =", "/intercept/x?q=1", ["Host: a", "X-Reply: 401|WWW-Authenticate=Basic"]],
    ["an upstream 403 intercepted to a named location that rewrites, with =200", "/intercept/x", ["Host: a", "X-Reply: 403"]],
    ["an upstream 410 intercepted to a URL", "/intercept/x", ["Host: a", "X-Reply: 410"]],
    ["an upstream 418 intercepted to a URL with =301", "/intercept/x", ["Host: a", "X-Reply: 418"]],
    ["an upstream status without an error_page, intercepted or not", "/intercept/x", ["Host: a", "X-Reply: 409"]],
    ["an upstream 200 with interception on", "/intercept/x", ["Host: a"]],
    ["an upstream 404 relayed without proxy_intercept_errors", "/no-intercept/x", ["Host: a", "X-Reply: 404"]],
    ["an upstream 500 with no error_page for it", "/intercept-no-page/x", ["Host: a", "X-Reply: 500"]],
    ["return 404 to an error_page", "/own/return"],
    ["return 404 with text, not an error page", "/own/text"],
    ["a 502 from a refused upstream to an error_page", "/own/down"],
    ["a 404 with no handler to an error_page", "/own/none"],
    ["an upstream 500 retried on the next peer, then intercepted", "/retry/x", ["Host: a", "X-Reply: 500"]],
    ["no live upstreams to an error_page", "/retry-down/x"],
    ["recursive_error_pages on", "/recursive/x"],
    ["recursive_error_pages off", "/single/x"],
    ["an error page cycle", "/cycle/x"],
    ["a named location that does not exist", "/missing/x"],
    ["an error_page URI with its own arguments", "/args/x?client=1"],
    ["an error_page URI from a variable, its ? splitting the arguments", "/var/x?to=/pages/var%3Fk%3Dv%26z"],
    ["an error_page URI from a variable with a literal ?", "/var/x?to=/pages/var?k=v"],
    ["an error_page URL with variables", "/url/x"],
    ["error_page with = taking the page's own status", "/equals/x"],
    ["an internal location asked for directly", "/internal-direct"],
    ["an error_page inside an if that holds", "/if/?page=1"],
    ["an error_page inside an if that does not hold", "/if/"],
  ];
  for (const [what, target, headers] of cases)
    check(`answers ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [a, b], getRequest(target, headers));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });

  check("answers an error_page to a URL with 302 as nginx does", async () => {
    const seen = await observeAll(proxies, [a, b], getRequest("/url/x"));
    expect(seen.nginx?.status).toBe(302);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("sends a POST's body again, as GET, to an error page's upstream", async () => {
    const post = "POST /intercept/x?q=1 HTTP/1.1\r\nHost: a\r\nX-Reply: 404\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    const seen = await observeAll(proxies, [a, b], post);
    expect(seen.nginx?.upstream.map((u) => u.requestLine.slice(0, -9))).toEqual(["POST /intercept/x?q=1", "GET /pages/404"]);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("keeps HEAD as HEAD for an error page", async () => {
    const seen = await observeAll(proxies, [a, b], "HEAD /head/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  check("logs the cycle and a missing named location as nginx does", async () => {
    const lines: Record<string, string[]> = {};
    for (const p of proxies) {
      for (const target of ["/cycle/x", "/missing/x"]) await observeAll([p], [a, b], getRequest(target));
      await new Promise((r) => setTimeout(r, 200));
      lines[p.name] = logged(p, "error").filter((l) => /cycle|named location/.test(l));
    }
    expect(lines.nginx).toContain('could not find named location "@nowhere"');
    expect(lines.edgeproxy).toEqual(lines.nginx);
  });
});
