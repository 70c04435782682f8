import { describe, expect, test } from "vitest";
import type { HealthCheck } from "../../../core/index.ts";
import { compile, http, compileError as refusal } from "./_compile.ts";

const located = (line: string, extra = "") =>
  http(`upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }
${extra}
server { location / { proxy_pass http://u; ${line} } }`);

async function checksOf(line: string, extra = ""): Promise<readonly HealthCheck[]> {
  const config = await compile(located(line, extra));
  return config.servers[0]?.locations[0]?.healthChecks ?? [];
}

describe("health_check (nginx Plus's ngx_http_upstream_hc_module)", () => {
  test("has nginx Plus's defaults: every 5 s, one failure, one pass, GET /, a 2xx or 3xx", async () => {
    expect(await checksOf("health_check;")).toEqual([
      {
        at: { file: "edgeproxy.conf", line: 5 },
        intervalMs: 5000,
        jitterMs: 0,
        fails: 1,
        passes: 1,
        uri: "/",
        port: null,
        match: null,
        isMandatory: false,
        isPersistent: false,
      },
    ]);
  });

  test("reads every parameter, times as nginx reads them (a bare number is seconds)", async () => {
    const [check] = await checksOf(
      "health_check interval=10 jitter=500ms fails=3 passes=2 uri=/healthz?full=1 port=8081 match=ok mandatory persistent keepalive_time=60s;",
      "match ok { status 200-399; header Content-Type ~ json; header ! X-Maintenance; body !~ maintenance; }",
    );
    expect(check).toMatchObject({
      intervalMs: 10_000,
      jitterMs: 500,
      fails: 3,
      passes: 2,
      uri: "/healthz?full=1",
      port: 8081,
      isMandatory: true,
      isPersistent: true,
    });
    expect(check?.match?.status).toEqual({ isNegated: false, ranges: [[200, 399]] });
    expect(check?.match?.headers.map((h) => h.kind)).toEqual(["regex", "absent"]);
    expect(check?.match?.body?.isNegated).toBe(true);
  });

  test("reads every status form of the documentation", async () => {
    const status = async (text: string) => (await checksOf("health_check match=m;", `match m { status ${text}; }`))[0]?.match?.status;
    expect(await status("! 500")).toEqual({ isNegated: true, ranges: [[500, 500]] });
    expect(await status("200 204")).toEqual({
      isNegated: false,
      ranges: [
        [200, 200],
        [204, 204],
      ],
    });
    expect(await status("! 301-303 307")).toEqual({
      isNegated: true,
      ranges: [
        [301, 303],
        [307, 307],
      ],
    });
  });

  test("several checks of one location are all kept; a match block may come after its user", async () => {
    const config = await compile(
      http(`upstream u { server 127.0.0.1:1; }
server { location / { proxy_pass http://u; health_check; health_check uri=/deep match=late; } }
match late { require $upstream_status; }`),
    );
    expect(config.servers[0]?.locations[0]?.healthChecks?.map((c) => c.uri)).toEqual(["/", "/deep"]);
  });

  test.each([
    ["health_check interval=0;", `invalid parameter "interval=0"`],
    ["health_check fails=none;", `invalid parameter "fails=none"`],
    ["health_check port=70000;", `invalid parameter "port=70000"`],
    ["health_check uri=healthz;", `invalid parameter "uri=healthz"`],
    ["health_check sometimes;", `invalid parameter "sometimes"`],
    ["health_check match=nothing;", `match "nothing" not found`],
    ["health_check persistent;", `"persistent" requires "mandatory" in "health_check"`],
    ["health_check type=grpc;", `the "type=grpc" parameter of "health_check" is not supported by edgeproxy`],
  ])("refuses %s with its line", async (line, reason) => {
    const e = await refusal(located(line));
    expect(e.reason).toBe(reason);
    expect(e.location).toEqual({ file: "edgeproxy.conf", line: 5 });
  });

  test("refuses a health_check without proxy_pass, and outside a location", async () => {
    expect((await refusal(http("server { location / { health_check; } }"))).reason).toBe(
      `"health_check" needs a "proxy_pass" in the same location`,
    );
    expect((await refusal(http("server { health_check; }"))).reason).toBe(`"health_check" directive is not allowed here`);
  });

  test.each([
    ["status 200; status 204;", `"status" directive is duplicate in match block`],
    ["status 2xx;", `invalid status "2xx" in match block`],
    ["status 399-200;", `invalid status "399-200" in match block`],
    ["header X ?? y;", `invalid operator "??" in match block`],
    ["body = ok;", `invalid operator "=" in match block`],
    // PCRE's words, as nginx gives them (config/pcre.ts finds what PCRE refuses).
    ['body ~ "(";', 'pcre2_compile() failed: missing closing parenthesis in "("'],
    ["require nothing;", `invalid variable name "nothing"`],
    ["require $nobody_defines_this;", `unknown "nobody_defines_this" variable`],
    ["timeout 5s;", `unknown directive "timeout" in match block "m"`],
  ] as [string, string | RegExp][])("refuses a match block with %s", async (tests, reason) => {
    const e = await refusal(located("health_check match=m;", `match m {\n${tests}\n}`));
    if (reason instanceof RegExp) expect(e.reason).toMatch(reason);
    else expect(e.reason).toBe(reason);
  });

  test("refuses two match blocks with one name", async () => {
    const e = await refusal(located("health_check;", "match m { status 200; }\nmatch m { status 204; }"));
    expect(e.reason).toBe(`duplicate match "m"`);
  });
});
