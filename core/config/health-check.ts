import { compileTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { HeaderTest, HealthCheck, HealthMatch } from "./model.ts";
import type { Directive } from "./parse.ts";
import { compileRegex } from "./regex.ts";
import { parseNumber, parseTimeMs } from "./values.ts";

/**
 * `match NAME { status ...; header ...; body ...; require ...; }` (nginx Plus's
 * ngx_http_upstream_hc_module, http level): at most one `status` and one `body` test, any
 * number of `header` and `require` ones.
 */
export function compileMatch(d: Directive, scope: VariableScope): HealthMatch {
  const name = d.args[0] as string;
  let status: HealthMatch["status"] = null;
  let body: HealthMatch["body"] = null;
  const headers: HeaderTest[] = [];
  const require: HealthMatch["require"][number][] = [];
  for (const test of d.block ?? []) {
    if (test.block) throw new ConfigError("syntax", `directive "${test.name}" is not terminated by ";"`, test.at);
    switch (test.name) {
      case "status":
        if (status) duplicate(test);
        status = compileStatus(test);
        break;
      case "header":
        headers.push(compileHeaderTest(test));
        break;
      case "body":
        if (body) duplicate(test);
        body = compileBodyTest(test);
        break;
      case "require":
        if (test.args.length === 0) arguments_(test);
        for (const v of test.args) {
          if (!v.startsWith("$")) bad(test, `invalid variable name "${v}"`);
          require.push(compileTemplate(v, { scope, at: test.at }));
        }
        break;
      default:
        throw new ConfigError("unknown-directive", `unknown directive "${test.name}" in match block "${name}"`, test.at);
    }
  }
  return { at: d.at, name, status, headers, body, require };
}

/** `status 200`, `status ! 500`, `status 200 204`, `status 200-399`, `status ! 301-303 307`. */
function compileStatus(d: Directive): NonNullable<HealthMatch["status"]> {
  const isNegated = d.args[0] === "!";
  const codes = isNegated ? d.args.slice(1) : d.args;
  if (codes.length === 0) arguments_(d);
  const ranges = codes.map((text) => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 100 || to > 599 || to < from) bad(d, `invalid status "${text}" in match block`);
    return [from, to] as const;
  });
  return { isNegated, ranges };
}

/** `header NAME`, `header ! NAME`, `header NAME = V`, `!= V`, `~ RE`, `!~ RE` (and `~*`, `!~*`). */
function compileHeaderTest(d: Directive): HeaderTest {
  const [first, second, third] = d.args as [string | undefined, string | undefined, string | undefined];
  if (first === undefined || d.args.length > 3) arguments_(d);
  if (first === "!") {
    if (second === undefined || d.args.length !== 2) arguments_(d);
    return { kind: "absent", name: second };
  }
  if (second === undefined) return { kind: "present", name: first };
  if (third === undefined) arguments_(d);
  switch (second) {
    case "=":
    case "!=":
      return { kind: "equal", name: first, value: third, isNegated: second === "!=" };
    case "~":
    case "!~":
    case "~*":
    case "!~*":
      return { kind: "regex", name: first, regex: compileRegex(third, second.endsWith("*"), d.at), isNegated: second.startsWith("!") };
    default:
      return bad(d, `invalid operator "${second}" in match block`);
  }
}

/** `body ~ RE`, `body !~ RE` (and `~*`, `!~*`). */
function compileBodyTest(d: Directive): NonNullable<HealthMatch["body"]> {
  const [op, source] = d.args as [string | undefined, string | undefined];
  if (source === undefined || d.args.length !== 2) arguments_(d);
  if (op !== "~" && op !== "!~" && op !== "~*" && op !== "!~*") bad(d, `invalid operator "${op}" in match block`);
  return { regex: compileRegex(source, op.endsWith("*"), d.at), isNegated: op.startsWith("!") };
}

/**
 * `health_check [interval=T] [jitter=T] [fails=N] [passes=N] [uri=URI] [port=N] [match=NAME]
 * [mandatory [persistent]]`, with nginx Plus's defaults. `keepalive_time=` is accepted and
 * checks close their connection each time; `type=grpc` is refused (no gRPC upstreams here).
 */
export function compileHealthCheck(d: Directive, matches: ReadonlyMap<string, HealthMatch>): HealthCheck {
  const check = {
    at: d.at,
    intervalMs: 5000,
    jitterMs: 0,
    fails: 1,
    passes: 1,
    uri: "/",
    port: null as number | null,
    match: null as HealthMatch | null,
    isMandatory: false,
    isPersistent: false,
  };
  for (const p of d.args) {
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.slice(0, eq);
    const value = p.slice(eq + 1);
    const invalid = (): never => bad(d, `invalid parameter "${p}"`);
    switch (eq < 0 ? key : `${key}=`) {
      case "interval=":
        check.intervalMs = positive(parseTimeMs(value)) ?? invalid();
        break;
      case "jitter=":
        check.jitterMs = parseTimeMs(value) ?? invalid();
        break;
      case "fails=":
        check.fails = positive(parseNumber(value)) ?? invalid();
        break;
      case "passes=":
        check.passes = positive(parseNumber(value)) ?? invalid();
        break;
      case "uri=":
        if (!value.startsWith("/")) invalid();
        check.uri = value;
        break;
      case "port=": {
        const port = parseNumber(value);
        if (port === null || port < 1 || port > 65535) invalid();
        check.port = port;
        break;
      }
      case "match=":
        check.match = matches.get(value) ?? bad(d, `match "${value}" not found`);
        break;
      case "keepalive_time=":
        if (parseTimeMs(value) === null) invalid();
        break;
      case "mandatory":
        check.isMandatory = true;
        break;
      case "persistent":
        check.isPersistent = true;
        break;
      case "type=":
        throw new ConfigError("unsupported", `the "${p}" parameter of "health_check" is not supported by edgeproxy`, d.at);
      default:
        invalid();
    }
  }
  if (check.isPersistent && !check.isMandatory) bad(d, `"persistent" requires "mandatory" in "health_check"`);
  return check;
}

function positive(n: number | null): number | null {
  return n === null || n === 0 ? null : n;
}

function duplicate(d: Directive): never {
  throw new ConfigError("duplicate", `"${d.name}" directive is duplicate in match block`, d.at);
}

function arguments_(d: Directive): never {
  throw new ConfigError("invalid-arguments", `invalid number of arguments in "${d.name}" directive`, d.at);
}

function bad(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}
