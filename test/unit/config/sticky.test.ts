import { describe, expect, test } from "vitest";
import { compile, compileError as refusal } from "./_compile.ts";

const upstream = (line: string, servers = "server 127.0.0.1:1; server 127.0.0.1:2;") =>
  `events {}\nhttp {\nupstream u { ${servers}\n${line} }\nserver { location / { proxy_pass http://u; } }\n}\n`;

async function stickyOf(line: string, servers?: string) {
  return (await compile(upstream(line, servers))).upstreams[0]?.sticky;
}

// nginx Plus's ngx_http_upstream_sticky_module: no oracle here (nginx 1.22 is open source), so the
// syntax and defaults are its documentation's.
describe("sticky (nginx Plus)", () => {
  test("reads sticky cookie with every attribute", async () => {
    expect(await stickyOf("sticky cookie srv_id expires=1h domain=.example.com path=/ httponly secure samesite=lax;")).toEqual({
      kind: "cookie",
      name: "srv_id",
      expires: 3600,
      domain: ".example.com",
      path: "/",
      isHttpOnly: true,
      isSecure: true,
      sameSite: "Lax",
    });
  });

  test("a bare sticky cookie is a session cookie without attributes; expires=max is nginx's far date", async () => {
    expect(await stickyOf("sticky cookie s;")).toMatchObject({ kind: "cookie", expires: null, domain: null, path: null, sameSite: null });
    expect(await stickyOf("sticky cookie s expires=max;")).toMatchObject({ expires: "max" });
  });

  test("reads route= on servers and sticky route's variables", async () => {
    const config = await compile(
      upstream("sticky route $cookie_route $arg_route;", "server 127.0.0.1:1 route=a; server 127.0.0.1:2 route=b;"),
    );
    const u = config.upstreams[0];
    expect(u?.servers.map((s) => s.route)).toEqual(["a", "b"]);
    expect(u?.sticky).toMatchObject({ kind: "route" });
    expect(u?.sticky?.kind === "route" && u.sticky.routes.length).toBe(2);
  });

  test("reads sticky learn: response cookies and headers, lookup variables, the zone's size and timeout", async () => {
    const sticky = await stickyOf(
      "sticky learn create=$upstream_cookie_examplecookie create=$upstream_http_x_session lookup=$cookie_examplecookie zone=client_sessions:1m timeout=1h;",
    );
    expect(sticky).toMatchObject({
      kind: "learn",
      create: [
        { from: "cookie", name: "examplecookie" },
        { from: "header", name: "x-session" },
      ],
      capacity: 8000,
      timeoutMs: 3_600_000,
    });
  });

  test("refuses an unknown method, a bad parameter, learn without its parameters, a bad route=, each at its line", async () => {
    const cases: [string, string][] = [
      ["sticky sessions;", `invalid sticky method "sessions"`],
      ["sticky cookie s expires=soon;", `invalid parameter "expires=soon"`],
      ["sticky cookie s samesite=sometimes;", `invalid parameter "samesite=sometimes"`],
      ["sticky cookie;", `invalid number of arguments in "sticky" directive`],
      ["sticky route;", `invalid number of arguments in "sticky" directive`],
      ["sticky route arg;", `invalid variable name "arg"`],
      ["sticky learn lookup=$cookie_a zone=z:1m;", `"sticky learn" needs "create=", "lookup=" and "zone=" parameters`],
      ["sticky learn create=$upstream_cookie_a lookup=$cookie_a zone=z:1m sync;", `"sync" of "sticky learn" needs nginx Plus's zone_sync`],
    ];
    for (const [line, message] of cases) {
      const e = await refusal(upstream(line));
      expect(e.message, line).toContain(message);
      expect(e.location?.line, line).toBe(4);
    }
    const route = await refusal(upstream("", "server 127.0.0.1:1 route=a/b;"));
    expect(route.message).toContain(`invalid parameter "route=a/b"`);
  });

  test("a second sticky in one upstream is a duplicate", async () => {
    const e = await refusal(upstream("sticky cookie a; sticky cookie b;"));
    expect(e.message).toContain(`"sticky" directive is duplicate`);
  });
});
