import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, type Reply, type SeenRequest, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { type Observation, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "401 is the answer, with the auth server's first WWW-Authenticate":
      "fetch hands the Worker the auth server's WWW-Authenticate lines joined into one, so the first line is all of them",
  },
});

/** The auth server answers as the client's `X-Auth-Answer` header (which the subrequest carries) says. */
function authReply(seen: SeenRequest): Reply {
  const answer = seen.headers.find(([n]) => n.toLowerCase() === "x-auth-answer")?.[1] ?? "200";
  if (answer === "reset") return { reset: true };
  const status = Number(answer);
  const headers: [string, string][] = [["X-User", `user-${status}`]];
  if (status === 401) headers.push(["WWW-Authenticate", 'Bearer realm="api"'], ["WWW-Authenticate", 'Basic realm="api"']);
  return { status, headers, body: `auth body ${status}\n` };
}

// ngx_http_auth_request_module (nginx-tests auth_request.t, auth_request_set.t) against the
// live nginx: the subrequest the auth server sees, each answer it can give, auth_request_set,
// satisfy, and a denied request that never reaches the upstream.
describe("auth_request", () => {
  let backend: Backend;
  let auth: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("app");
    auth = await startBackend("auth");
    auth.reply = authReply;
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    upstream auth { server 127.0.0.1:${auth.port}; }
    server {
        listen 127.0.0.1:${port};
        location / {
            auth_request /auth;
            auth_request_set $user $upstream_http_x_user;
            auth_request_set $auth_status $upstream_status;
            proxy_set_header X-User $user;
            add_header X-Auth-Status $auth_status always;
            proxy_pass http://backend;
        }
        location = /auth {
            internal;
            proxy_pass http://auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }
        location /plain { auth_request /auth-plain; proxy_pass http://backend; }
        location = /auth-plain { proxy_pass http://auth; }
        location /returned { auth_request /deny; proxy_pass http://backend; }
        location = /deny { return 403; }
        location /allowed { auth_request /ok; proxy_pass http://backend; }
        location = /ok { return 204; }
        location /nowhere { auth_request /no/such/location; proxy_pass http://backend; }
        location /any { satisfy any; allow 127.0.0.1; deny all; auth_request /auth; proxy_pass http://backend; }
        location /off { auth_request off; proxy_pass http://backend; }
        location /return { auth_request /auth; return 200 "returned\\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([backend.close(), auth.close()]);
  });

  /** What the client, the auth server and the upstream saw, the same through both. */
  async function same(request: string, from?: string): Promise<Observation> {
    const seen = await observeAll(proxies, [auth, backend], request, from ? { localAddress: from } : {});
    const view = (o: Observation | undefined) => ({
      status: o?.status,
      headers: o?.responseHeaders.filter((h) => !h.startsWith("content-length")),
      body: o?.body,
      upstream: o?.upstream,
    });
    expect(view(seen.edgeproxy)).toEqual(view(seen.nginx));
    return seen.nginx as Observation;
  }

  const get = (path: string, answer: string, extra: string[] = []) =>
    `GET ${path} HTTP/1.1\r\nHost: auth.test\r\nX-Auth-Answer: ${answer}\r\n${[...extra, "Connection: close"].join("\r\n")}\r\n\r\n`;

  check("a 2xx from the auth server lets the request in, with auth_request_set's variables", async () => {
    for (const answer of ["200", "204", "299"]) {
      const o = await same(get("/app?q=1", answer));
      expect(o.status).toBe(200);
      expect(o.upstream).toHaveLength(2);
    }
  });

  check("403 is the answer, and the upstream is never reached", async () => {
    const o = await same(get("/app", "403"));
    expect(o.status).toBe(403);
    expect(o.upstream).toHaveLength(1);
  });

  check("401 is the answer, with the auth server's first WWW-Authenticate", async () => {
    const o = await same(get("/app", "401"));
    expect(o.status).toBe(401);
    expect(o.responseHeaders.filter((h) => h.startsWith("www-authenticate"))).toEqual(['www-authenticate: Bearer realm="api"']);
    expect(o.upstream).toHaveLength(1);
    await same(get("/plain/x?y=1", "401"));
  });

  check("any other answer, or an auth server that fails, is a 500", async () => {
    for (const answer of ["302", "404", "500", "503", "reset"]) expect((await same(get("/app", answer))).status).toBe(500);
  });

  check("the subrequest is a GET with the request's headers, and the request's body goes to the upstream only", async () => {
    const body = "a=1&b=2";
    const o = await same(
      `POST /app/form HTTP/1.1\r\nHost: auth.test\r\nX-Auth-Answer: 200\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(o.upstream.map((u) => u.requestLine.replace(/ HTTP.*/, ""))).toEqual(["GET /verify", "POST /app/form"]);
    expect(o.upstream[0]?.body).toBe("");
    expect(o.upstream[1]?.body).toBe(body);
  });

  check("a subrequest answered by return, by a location with an access check of its own, or to the URI as it is", async () => {
    expect((await same(get("/returned", "200"))).status).toBe(403);
    expect((await same(get("/allowed", "403"))).status).toBe(200);
    // The subrequest's own location (here `/`, proxied) answers it, its auth_request unasked.
    const nowhere = await same(get("/nowhere", "403"));
    expect(nowhere.upstream.map((u) => u.requestLine.replace(/ HTTP.*/, ""))).toEqual(["GET /no/such/location", "GET /nowhere"]);
    await same(get("/plain/x?y=1", "200"));
    await same(get("/plain/x?y=1", "403"));
  });

  check("satisfy any: an allowed address needs no subrequest, another is decided by it", async () => {
    expect((await same(get("/any", "403"))).upstream).toHaveLength(1);
    expect((await same(get("/any", "403"), "127.0.0.2")).status).toBe(403);
    expect((await same(get("/any", "200"), "127.0.0.2")).status).toBe(200);
  });

  check("auth_request off, and return before the access phase", async () => {
    expect((await same(get("/off", "403"))).status).toBe(200);
    expect((await same(get("/return", "403"))).status).toBe(200);
  });

  check("logs an unexpected status as nginx", async () => {
    await same(get("/app", "302"));
    await new Promise((r) => setTimeout(r, 200));
    for (const p of proxies) expect(p.log()).toMatch(/auth request unexpected status: 302/);
  });
});
