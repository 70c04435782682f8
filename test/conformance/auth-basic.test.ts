import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { getRequest, type Observation, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth, tempDir } from "../support/proxies.ts";

const BUNDLED =
  "a Worker's user files are bundled when it is built (no file system): they cannot be named by variables, found beside a config written later, or changed while it runs";

const check = conformance({
  workers: {
    "a relative user file is read from the config's directory, a missing one is 403, and one named by a variable works": BUNDLED,
    "reads the user file on each request: a changed file applies at once": BUNDLED,
  },
});

const openssl = (...args: string[]) => execFileSync("openssl", ["passwd", ...args], { encoding: "utf8" }).trim();
const sha1 = (text: string, salt = "") =>
  Buffer.concat([
    execFileSync("openssl", ["sha1", "-binary"], { input: Buffer.concat([Buffer.from(text), Buffer.from(salt)]) }),
    Buffer.from(salt),
  ]).toString("base64");

/** One user per scheme nginx verifies, each with the password `pw-NAME`. */
const USERS: Record<string, string> = {
  apr1: openssl("-apr1", "-salt", "Xy7.ab/9", "pw-apr1"),
  md5: openssl("-1", "-salt", "saltsalt", "pw-md5"),
  sha256: openssl("-5", "-salt", "someSalt", "pw-sha256"),
  sha512: openssl("-6", "-salt", "otherSaltOtherSalt", "pw-sha512"),
  sha512rounds: openssl("-6", "-salt", "rounds=1500$abc", "pw-sha512rounds"),
  sha: `{SHA}${sha1("pw-sha")}`,
  ssha: `{SSHA}${sha1("pw-ssha", "NaCl4u")}`,
  plain: "{PLAIN}pw-plain",
  bcrypt: bcrypt.hashSync("pw-bcrypt", 5).replace(/^\$2b\$/, "$2y$"),
  bcryptb: bcrypt.hashSync("pw-bcryptb", 4),
};

const FILE = [
  "# users of every scheme",
  ...Object.entries(USERS).map(([user, hash]) => `${user}:${hash}`),
  "\r# a line starting with CR is skipped too",
  "extra:{PLAIN}pw-extra:with:more:fields",
  "",
  "#commented:{PLAIN}pw-commented",
  "  spaced:{PLAIN}pw-spaced",
  "last:{PLAIN}pw-last",
].join("\n");

const basic = (credentials: string) => `Authorization: Basic ${Buffer.from(credentials, "latin1").toString("base64")}`;

// ngx_http_auth_basic_module (nginx-tests auth_basic.t) against the live nginx: every password
// scheme, malformed and huge credentials, satisfy, $remote_user, and the user file read per request.
describe("auth_basic", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  /** The user files, in place before the proxies start (a Worker bundles them then). */
  const files = tempDir("htpasswd");

  beforeAll(async () => {
    backend = await startBackend("auth");
    writeFileSync(`${files}/htpasswd`, FILE);
    const onDisk =
      ADAPTER === "workers"
        ? ""
        : `location /relative { auth_basic_user_file htpasswd; proxy_pass http://backend; }
        location /variable { auth_basic_user_file ${files}/$arg_file; proxy_pass http://backend; }
        location /missing { auth_basic_user_file {{dir}}/no-such-file; proxy_pass http://backend; }`;
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    server {
        listen 127.0.0.1:${port};
        auth_basic "Restricted Area";
        auth_basic_user_file ${files}/htpasswd;
        proxy_set_header X-User $remote_user;
        add_header X-Remote-User "$remote_user" always;
        location / { proxy_pass http://backend; }
        location /off { auth_basic off; proxy_pass http://backend; }
        location /realm { auth_basic "Realm of $host"; proxy_pass http://backend; }
        ${onDisk}
        location /any { satisfy any; allow 127.0.0.1; deny all; proxy_pass http://backend; }
        location /all { allow 127.0.0.1; deny all; proxy_pass http://backend; }
        location /methods { auth_basic off; limit_except GET { auth_basic "writers"; } proxy_pass http://backend; }
        location /return { return 200 "returned\\n"; }
        location /user { auth_basic off; return 200 "[$remote_user]\\n"; }
    }`,
    );
    writeFileSync(`${files}/other`, "other:{PLAIN}pw-other\n");
    for (const p of proxies) writeFileSync(`${p.dir}/htpasswd`, FILE);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    rmSync(files, { recursive: true, force: true });
  });

  /** Status, headers, body and what reached the upstream, the same through both. */
  async function same(path: string, headers: string[] = [], from?: string): Promise<Observation> {
    const seen = await observeAll(
      proxies,
      [backend],
      getRequest(path, ["Host: auth.test", ...headers]),
      from ? { localAddress: from } : {},
    );
    const view = (o: Observation | undefined) => ({
      status: o?.status,
      headers: o?.responseHeaders.filter((h) => !h.startsWith("content-length")),
      body: o?.body,
      upstream: o?.upstream.map((u) => u.headers.filter(([n]) => /^(authorization|x-user)$/i.test(n))),
    });
    expect(view(seen.edgeproxy)).toEqual(view(seen.nginx));
    return seen.nginx as Observation;
  }

  check("lets in each user with the right password, whatever its scheme", async () => {
    for (const user of Object.keys(USERS)) {
      const o = await same("/", [basic(`${user}:pw-${user}`)]);
      expect([user, o.status]).toEqual([user, 200]);
    }
    for (const [user, status] of [
      ["extra", 200],
      ["last", 200],
      ["commented", 401],
      ["spaced", 401],
      ["  spaced", 200],
    ] as const) {
      expect([user, (await same("/", [basic(`${user}:pw-${user.trim()}`)])).status]).toEqual([user, status]);
    }
  });

  check("asks again with 401 and WWW-Authenticate for a wrong password, an unknown user, no credentials", async () => {
    for (const user of Object.keys(USERS)) {
      const o = await same("/", [basic(`${user}:wrong`)]);
      expect([user, o.status]).toEqual([user, 401]);
    }
    const none = await same("/");
    expect(none.responseHeaders).toContain('www-authenticate: Basic realm="Restricted Area"');
    expect(none.upstream).toEqual([]);
    await same("/", [basic("nobody:pw-nobody")]);
    await same("/realm", [basic("nobody:x")]);
  });

  check("reads malformed credentials as none, as nginx does", async () => {
    for (const value of [
      "Basic",
      "Basic ",
      "Basic    ",
      "basic YXByMTpwdy1hcHIx",
      "BASIC    cGxhaW46cHctcGxhaW4=",
      "Basic cGxhaW46cHctcGxhaW4=trailing",
      "Basic cGxhaW46cHctcGxhaW4===",
      "Basic cGxhaW46cHctcGxhaW4 x",
      "Basic !!!!",
      "Basic YQ",
      "Basic YWJjZA=",
      "Bearer cGxhaW46cHctcGxhaW4=",
      `Basic ${Buffer.from("nocolon").toString("base64")}`,
      `Basic ${Buffer.from(":pw-plain").toString("base64")}`,
      `Basic ${Buffer.from("plain:pw-plain\0tail").toString("base64")}`,
      `Basic ${Buffer.from("plain:").toString("base64")}`,
    ]) {
      await same("/", [`Authorization: ${value}`]);
    }
  });

  check("huge Authorization headers get nginx's answers", async () => {
    await same("/", [basic(`plain:${"x".repeat(5000)}`)]);
    await same("/", [basic(`${"u".repeat(5000)}:x`)]);
    await same("/", [`Authorization: Basic ${"A".repeat(9000)}`]);
  });

  check("auth_basic off, a realm with variables, and return before the access phase", async () => {
    expect((await same("/off")).status).toBe(200);
    expect((await same("/realm")).responseHeaders).toContain('www-authenticate: Basic realm="Realm of auth.test"');
    expect((await same("/return")).status).toBe(200);
  });

  check("a relative user file is read from the config's directory, a missing one is 403, and one named by a variable works", async () => {
    expect((await same("/relative", [basic("plain:pw-plain")])).status).toBe(200);
    expect((await same("/missing", [basic("plain:pw-plain")])).status).toBe(403);
    expect((await same("/missing")).status).toBe(401);
    expect((await same("/variable?file=other", [basic("other:pw-other")])).status).toBe(200);
    expect((await same("/variable?file=none", [basic("other:pw-other")])).status).toBe(403);
  });

  check("reads the user file on each request: a changed file applies at once", async () => {
    writeFileSync(`${files}/htpasswd`, `${FILE}\nnewcomer:{PLAIN}pw-new\n`);
    expect((await same("/", [basic("newcomer:pw-new")])).status).toBe(200);
    writeFileSync(`${files}/htpasswd`, FILE);
    expect((await same("/", [basic("newcomer:pw-new")])).status).toBe(401);
  });

  check("satisfy any: an allowed address needs no password, another asks for one; satisfy all needs both", async () => {
    expect((await same("/any")).status).toBe(200);
    expect((await same("/any", [], "127.0.0.2")).status).toBe(401);
    expect((await same("/any", [basic("plain:pw-plain")], "127.0.0.2")).status).toBe(200);
    expect((await same("/all", [basic("plain:pw-plain")], "127.0.0.2")).status).toBe(403);
    expect((await same("/all", [], "127.0.0.1")).status).toBe(401);
  });

  check("limit_except asks the other methods for a password", async () => {
    expect((await same("/methods")).status).toBe(200);
    const post = await observeAll(
      proxies,
      [backend],
      "POST /methods HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    expect(post.edgeproxy?.status).toBe(post.nginx?.status);
    expect(post.nginx?.responseHeaders).toContain('www-authenticate: Basic realm="writers"');
  });

  check("$remote_user is the Basic user, checked or not", async () => {
    expect((await same("/user", [basic("anyone:anything")])).body).toBe("[anyone]\n");
    await same("/user", ["Authorization: Basic !!"]);
    await same("/user");
  });

  check("logs what nginx logs", async () => {
    await same("/", [basic("nobody:x")]);
    await same("/", [basic("plain:wrong")]);
    if (ADAPTER !== "workers") await same("/missing", [basic("plain:pw-plain")]);
    await new Promise((r) => setTimeout(r, 200));
    const lines = (log: string, dir: string) =>
      [
        /user "nobody" was not found in "[^"]*\/htpasswd"/.test(log),
        /user "plain": password mismatch/.test(log),
        ADAPTER === "workers" || log.includes(`open() "${dir}/no-such-file" failed (2: No such file or directory)`),
      ].join(" ");
    const [nginx, edge] = proxies as [RunningProxy, RunningProxy];
    expect(lines(edge.log(), edge.dir)).toBe(lines(nginx.log(), nginx.dir));
    expect(lines(nginx.log(), nginx.dir)).toBe("true true true");
  });
});
