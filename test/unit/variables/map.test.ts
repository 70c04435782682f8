import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type AccessLog, ConfigError } from "../../../core/index.ts";
import { formatLogLine } from "../../../core/log/access-log.ts";
import { renderTemplate } from "../../../core/shape/template.ts";
import { configReturning, request, returnTemplate } from "./_request.ts";

/** `$var` of `map $http_x_in $var { lines }` for a request whose X-In is `value` (absent when null). */
function lookup(lines: string, value: string | null, body = "$var"): string {
  const config = configReturning(`map $http_x_in $var { ${lines} }`, body);
  return renderTemplate(returnTemplate(config), request(value === null ? [] : [["X-In", value]]));
}

// ngx_http_map_module: the docs' examples and nginx 1.22's observed answers (test/conformance/map.test.ts).
describe("map lookup", () => {
  test.each([
    ["default only", "default d;", "anything", "d"],
    ["no default is the empty string", "a 1;", "b", ""],
    ["exact key", "a 1; b 2; default d;", "b", "2"],
    ["exact keys ignore case", "Foo 1; default d;", "fOO", "1"],
    ["only ASCII letters fold, as ngx_tolower", "\u00c9 1; default d;", "\u00e9", "d"],
    ["the empty key matches an absent header", "default upgrade; '' close;", null, "close"],
    ["the websocket idiom passes an upgrade", "default upgrade; '' close;", "websocket", "upgrade"],
    ["exact before regex", "~^a 1; abc 2;", "abc", "2"],
    ["regexes in the order written", "~b 1; ~a 2;", "ab", "1"],
    ["~ is case-sensitive", "~^A 1; default d;", "abc", "d"],
    ["~* is not", "~*^A 1; default d;", "abc", "1"],
    ["no regex for an empty value", "~^$ empty; default d;", null, "d"],
    ["positional captures in the value", String.raw`~^(\w+)-(\w+)$ "$2+$1";`, "left-right", "right+left"],
    ["named captures in the value", String.raw`~^(?<first>\w+)-(?P<second>\w+)$ "$second/$first";`, "a-b", "b/a"],
    ["a value with variables", "default <$http_x_in>;", "v", "<v>"],
    [String.raw`\ lets a key start with ~`, String.raw`\~a 1; default d;`, "~a", "1"],
    [String.raw`\ lets a key be spelled default`, String.raw`\default 1; default d;`, "default", "1"],
    ["without hostnames a wildcard is a plain key", "*.a.com 1; default d;", "x.a.com", "d"],
    ["without hostnames a trailing dot stays", "a.com 1; default d;", "a.com.", "d"],
  ])("%s", (_name, lines, value, expected) => {
    expect(lookup(lines, value)).toBe(expected);
  });

  // nginx's precedence: exact name, longest `*.`/`.` wildcard, longest `.*` wildcard, first regex, default.
  const hostnames = String.raw`hostnames;
    example.com exact;
    *.example.com star;
    .example.org dot;
    *.deep.example.com deeper;
    www.example.* tail;
    www.* www;
    ~^www\.example\.com$ regex;
    ~^mail\. mail;
    default d;`;
  test.each([
    ["example.com", "exact"],
    ["EXAMPLE.com.", "exact"],
    ["a.example.com", "star"],
    ["a.b.example.com", "star"],
    ["x.deep.example.com", "deeper"],
    ["deep.example.com", "star"],
    ["example.org", "dot"],
    ["a.example.org", "dot"],
    ["www.example.com", "star"],
    ["www.example.net", "tail"],
    ["www.example.co.uk", "tail"],
    ["www.other.net", "www"],
    ["www.example", "www"],
    ["mail.other.net", "mail"],
    ["other.net", "d"],
    ["xexample.com", "d"],
  ])("hostnames: %s is %s", (value, expected) => {
    expect(lookup(hostnames, value)).toBe(expected);
  });

  test("keeps the captures of the regex that matched for the rest of the request", () => {
    expect(lookup(String.raw`~^(?<word>[a-z]+)(\d)$ m;`, "abc7", "$var|$word|$1|$2")).toBe("m|abc|abc|7");
  });

  test("a named capture is not found before its regex matched, and found, if empty, after", () => {
    const config = configReturning("log_format f '[$tail]'; access_log /dev/null f; map $http_x_in $var { ~^a(?<tail>b)?$ m; }", "$var");
    const log = config.servers[0]?.locations[0]?.settings.accessLogs[0] as AccessLog;
    const line = (value: string) => {
      const ctx = request([["X-In", value]]);
      renderTemplate(returnTemplate(config), ctx);
      return formatLogLine(log, ctx);
    };
    expect([line("a"), line("ab"), line("x")]).toEqual(["[]\n", "[b]\n", "[-]\n"]);
  });

  test("a map of a map", () => {
    const config = configReturning("map $http_x_in $inner { a A; } map $inner $outer { A from-a; default none; }", "$outer");
    expect(renderTemplate(returnTemplate(config), request([["X-In", "a"]]))).toBe("from-a");
    expect(renderTemplate(returnTemplate(config), request([["X-In", "b"]]))).toBe("none");
  });

  test("a map that reads itself stops 100 levels down, as nginx's variable depth", () => {
    const config = configReturning("map $uri $self { default x$self; }", "$self");
    expect(renderTemplate(returnTemplate(config), request())).toBe("x".repeat(100));
  });

  // The tables against a plain reading of the rules: exact, else the longest matching
  // `*.`/`.` base, else the longest `.*` prefix, else the default.
  test("hostnames wildcards pick what the rules say for any keys and names", () => {
    // Few labels, so that keys and names often share them.
    const label = fc.constantFrom("a", "b", "c");
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
    const key = fc.tuple(fc.constantFrom("exact", "star", "dot", "tail"), name);
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 8, selector: ([, n]) => n }), fc.array(name, { maxLength: 6 }), (keys, names) => {
        const lines = keys.map(([kind, n], i) => `${{ exact: n, star: `*.${n}`, dot: `.${n}`, tail: `${n}.*` }[kind]} v${i};`);
        let config: ReturnType<typeof configReturning>;
        try {
          config = configReturning(`map $http_x_in $var { hostnames; ${lines.join(" ")} default d; }`, "$var");
        } catch (e) {
          // `.name` clashes with `name` and with `*.name`, as in nginx.
          expect((e as ConfigError).reason).toMatch(/^conflicting parameter/);
          return;
        }
        for (const n of names) {
          const got = renderTemplate(returnTemplate(config), request([["X-In", n]]));
          expect(got).toBe(byTheRules(keys, n));
        }
      }),
      { numRuns: 300 },
    );
  });

  test("exact keys match in any case, and nothing else does", () => {
    const word = fc.stringMatching(/^[a-zA-Z0-9]{1,6}$/);
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 6, selector: (w) => w.toLowerCase() }), word, (keys, probe) => {
        const lines = keys.map((k, i) => `${k} v${i};`).join(" ");
        const config = configReturning(`map $http_x_in $var { ${lines} default d; }`, "$var");
        const index = keys.findIndex((k) => k.toLowerCase() === probe.toLowerCase());
        const got = renderTemplate(returnTemplate(config), request([["X-In", probe]]));
        expect(got).toBe(index < 0 ? "d" : `v${index}`);
      }),
    );
  });
});

function byTheRules(keys: [string, string][], name: string): string {
  const exact = keys.findIndex(([kind, n]) => kind === "exact" && n === name);
  if (exact >= 0) return `v${exact}`;
  let best = -1;
  for (const [i, [kind, n]] of keys.entries()) {
    const covers = (kind === "star" || kind === "dot") && (name.endsWith(`.${n}`) || (kind === "dot" && name === n));
    if (covers && (best < 0 || n.length > (keys[best] as [string, string])[1].length)) best = i;
  }
  if (best >= 0) return `v${best}`;
  for (const [i, [kind, n]] of keys.entries()) {
    const covers = kind === "tail" && name.startsWith(`${n}.`);
    if (covers && (best < 0 || n.length > (keys[best] as [string, string])[1].length)) best = i;
  }
  return best >= 0 ? `v${best}` : "d";
}

describe("map config errors", () => {
  test.each([
    ["map $uri $a { default 1; default 2; }", "duplicate default map parameter"],
    ["map $uri $a { a b c; }", "invalid number of the map parameters"],
    ["map $uri $a { a; }", "invalid number of the map parameters"],
    ["map $uri $a { a 1; A 2; }", 'conflicting parameter "a"'],
    ["map $uri $a { hostnames; *.a.com 1; .A.com 2; }", 'conflicting parameter ".a.com"'],
    ["map $uri $a { hostnames; a.com 1; .a.com 2; }", 'conflicting parameter ".a.com"'],
    ["map $uri $a { hostnames; a.*.b 1; }", 'invalid hostname or wildcard "a.*.b"'],
    ["map $uri $a { hostnames; * 1; }", 'invalid hostname or wildcard "*"'],
    ["map $uri $a { x { } }", 'unexpected "{"'],
    ["map $uri $a { ~( 1; }", "pcre2_compile() failed"],
    ["map $uri a { }", 'invalid variable name "a"'],
    ["map $uri $ { }", 'invalid variable name "$"'],
    ["map $uri $host { }", 'the duplicate "host" variable'],
    ["map $uri $a { default $nope; }", 'unknown "nope" variable'],
    ["map_hash_max_size abc;", '"map_hash_max_size" directive invalid number'],
  ])("%s: %s", (http, reason) => {
    let error: unknown;
    try {
      configReturning(`\n${http}`, "x");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).reason).toContain(reason);
    expect((error as ConfigError).location?.line).toBe(2);
  });
});
