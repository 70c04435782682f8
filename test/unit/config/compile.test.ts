import { describe, expect, test } from "vitest";
import { DIRECTIVES } from "../../../core/config/directives.ts";
import { UNSUPPORTED } from "../../../core/config/modules/unsupported.ts";
import { type ConfigSource, compileConfig, parseConfig, parseConfigText } from "../../../core/index.ts";
import { compile, compileError, http } from "./_compile.ts";

describe("compileConfig", () => {
  test("applies nginx 1.22's defaults", async () => {
    const config = await compile(http("server { listen 8080; location / { proxy_pass http://127.0.0.1:9; } }"));
    const s = config.servers[0]?.locations[0]?.settings;
    expect(s).toMatchObject({
      clientMaxBodySize: 1024 * 1024,
      clientBodyTimeoutMs: 60_000,
      proxyConnectTimeoutMs: 60_000,
      proxyHttpVersion: "1.0",
      proxyRequestBuffering: true,
      proxyNextUpstreamTries: 0,
    });
    expect([...(s?.proxyNextUpstream ?? [])]).toEqual(["error", "timeout"]);
    expect(config.listens).toEqual([{ kind: "tcp", key: "*:8080", host: null, port: 8080, ipv6Only: true, ssl: false, http2: false }]);
  });

  test("converts units: sizes, offsets and times", async () => {
    const config = await compile(
      http(`client_max_body_size 2g; client_body_buffer_size 16k; proxy_read_timeout 1w2d3h4m5s6ms; client_body_timeout 10;
      server { location / { proxy_pass http://127.0.0.1:9; } }`),
    );
    expect(config.servers[0]?.settings).toMatchObject({
      clientMaxBodySize: 2 * 1024 ** 3,
      clientBodyBufferSize: 16 * 1024,
      proxyReadTimeoutMs: 788645006,
      clientBodyTimeoutMs: 10_000,
    });
  });

  test("inherits proxy_set_header all or nothing", async () => {
    const config = await compile(
      http(`proxy_set_header X-A a;
      server {
        location /inherits { proxy_pass http://127.0.0.1:9; }
        location /replaces { proxy_set_header X-B b; proxy_pass http://127.0.0.1:9; }
      }`),
    );
    const [inherits, replaces] = config.servers[0]?.locations ?? [];
    expect(inherits?.settings.proxySetHeaders.map((h) => h.name)).toEqual(["X-A"]);
    expect(replaces?.settings.proxySetHeaders.map((h) => h.name)).toEqual(["X-B"]);
  });

  test("parses upstream servers with every parameter", async () => {
    const config = await compile(
      http(`upstream backend {
        server 10.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s max_conns=7;
        server 10.0.0.2 down;
        server unix:/run/app.sock backup;
        keepalive 8;
      }
      server { location / { proxy_pass http://Backend/; } }`),
    );
    const u = config.upstreams.find((x) => x.name === "backend");
    expect(u?.keepalive).toBe(8);
    expect(u?.servers.map((s) => [s.address, s.weight, s.maxFails, s.failTimeoutSec, s.maxConns, s.isDown, s.isBackup])).toEqual([
      [{ kind: "tcp", host: "10.0.0.1", port: 8080 }, 5, 3, 30, 7, false, false],
      [{ kind: "tcp", host: "10.0.0.2", port: 80 }, 1, 1, 10, 0, true, false],
      [{ kind: "unix", path: "/run/app.sock" }, 1, 1, 10, 0, false, true],
    ]);
    const location = config.servers[0]?.locations[0];
    expect(location).toMatchObject({ handler: "proxy", proxy: { upstream: u, uri: "/", proxyHost: "Backend", proxyPort: "80" } });
  });

  test("shares one implicit upstream between proxy_pass lines naming the same host and port", async () => {
    const config = await compile(
      http("server { location /a { proxy_pass http://127.0.0.1:9/a; } location /b { proxy_pass http://127.0.0.1:9; } }"),
    );
    expect(config.upstreams).toHaveLength(1);
    expect(config.upstreams[0]).toMatchObject({ name: "127.0.0.1:9", isImplicit: true });
  });

  test.each([
    ["$proxy_host drops the default port", "http://10.0.0.1:80/x", "10.0.0.1", "80"],
    ["$proxy_host keeps another port as written", "http://10.0.0.1:8080", "10.0.0.1:8080", "8080"],
    ["https defaults to 443", "https://api.example.com", "api.example.com", "443"],
    ["https keeps port 80", "https://h:80", "h:80", "80"],
    ["a unix socket is localhost", "http://unix:/run/a.sock:/x", "localhost", ""],
    ["an IPv6 literal keeps its brackets", "http://[::1]:8080/", "[::1]:8080", "8080"],
  ])("%s", async (_name, url, proxyHost, proxyPort) => {
    const config = await compile(http(`server { location / { proxy_pass ${url}; } }`));
    expect(config.servers[0]?.locations[0]?.proxy).toMatchObject({ proxyHost, proxyPort });
  });

  test.each([
    ["an unknown directive", "server { foo; }", "unknown-directive", 'unknown directive "foo"', 3],
    ["a directive out of place", "server { proxy_pass http://a; }", "not-allowed-here", '"proxy_pass" directive is not allowed here', 3],
    ["a duplicate", "proxy_read_timeout 1s;\nproxy_read_timeout 2s;", "duplicate", '"proxy_read_timeout" directive is duplicate', 4],
    [
      "a bad weight",
      "upstream u {\n server 10.0.0.1 weight=abc;\n}",
      "invalid-value",
      'invalid parameter "weight=abc" in "server 10.0.0.1 weight=abc"',
      4,
    ],
    ["a bad time", "proxy_read_timeout 1.5s;", "invalid-value", '"proxy_read_timeout" directive invalid value', 3],
    [
      "an unsupported directive",
      "server { location / { root /srv; } }",
      "unsupported",
      '"root" directive is not supported by edgeproxy',
      3,
    ],
    [
      "gunzip, which nginx's gunzip module reads",
      "server { location / { gunzip on; } }",
      "unsupported",
      '"gunzip" directive is not supported by edgeproxy',
      3,
    ],
    ["a missing upstream server", "upstream u {\n}", "invalid-arguments", "no servers are inside upstream in edgeproxy.conf:3", 4],
  ])("refuses %s with its file, line and reason", async (_name, body, code, reason, line) => {
    const e = await compileError(http(body));
    expect(e.code).toBe(code);
    expect(e.reason).toBe(reason);
    expect(e.location).toEqual({ file: "edgeproxy.conf", line });
    expect(e.message).toBe(`edgeproxy.conf:${line}: ${reason}`);
  });

  test("expands include with globs in sorted order, relative to the main file", async () => {
    const files: Record<string, string> = {
      "/etc/ep/main.conf": "events {}\nhttp { include conf.d/*.conf; include /etc/ep/extra/one.conf; }",
      "/etc/ep/conf.d/b.conf": "server { listen 8002; }",
      "/etc/ep/conf.d/a.conf": "server { listen 8001; }",
      "/etc/ep/extra/one.conf": "server { listen 8003; }",
    };
    const source: ConfigSource = {
      read: (p) => {
        const text = files[p];
        if (text === undefined) throw new Error("ENOENT");
        return text;
      },
      glob: (pattern) => {
        const re = new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, "[^/]*")}$`);
        return Object.keys(files)
          .filter((f) => re.test(f))
          .sort();
      },
    };
    const config = await compileConfig(parseConfig("/etc/ep/main.conf", source));
    expect(config.servers.map((s) => s.listens[0]?.key)).toEqual(["*:8001", "*:8002", "*:8003"]);
  });

  test("names the include line when an included file is missing", async () => {
    const source: ConfigSource = {
      read: (p) => {
        if (p === "/c/main.conf") return "events {}\n\ninclude missing.conf;";
        throw new Error("ENOENT");
      },
      glob: () => [],
    };
    let error: unknown;
    try {
      parseConfig("/c/main.conf", source);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "include-failed", location: { file: "/c/main.conf", line: 3 } });
  });

  test("takes the first main-level error_log and its level, and refuses an unknown level", async () => {
    const config = await compile("error_log /var/log/ep.log warn;\nerror_log stderr;\nevents {}\n");
    expect(config.errorLog).toEqual({ path: "/var/log/ep.log", level: "warn" });
    expect((await compile("events {}")).errorLog).toBeNull();
    const e = await compileError("error_log /x loud;\nevents {}");
    expect(e.message).toBe('edgeproxy.conf:1: invalid log level "loud"');
  });

  test("resolves host names once, at load, one peer per address", async () => {
    const config = await compileConfig(
      parseConfigText(http("upstream u { server app.internal:8080 weight=2; } server { location / { proxy_pass http://u; } }")),
      {
        resolveHost: async (host) => (host === "app.internal" ? ["10.1.0.1", "10.1.0.2"] : []),
      },
    );
    expect(config.upstreams[0]?.servers.map((s) => [s.address, s.weight, s.text])).toEqual([
      [{ kind: "tcp", host: "10.1.0.1", port: 8080 }, 2, "app.internal:8080"],
      [{ kind: "tcp", host: "10.1.0.2", port: 8080 }, 2, "app.internal:8080"],
    ]);
  });
});

describe("the directive tables", () => {
  test("no directive edgeproxy implements is listed as not supported", () => {
    const both = [...UNSUPPORTED].filter((name) => Object.hasOwn(DIRECTIVES, name));
    expect(both).toEqual([]);
  });
});
