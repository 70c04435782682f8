import { describe, expect, test } from "vitest";
import { ConfigError, compileConfigSync, parseConfigText } from "../../../core/index.ts";
import { compileTemplate, renderTemplate } from "../../../core/shape/template.ts";
import { configReturning, request, returnTemplate } from "./_request.ts";

function compileError(text: string): ConfigError {
  try {
    compileConfigSync(parseConfigText(text));
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("compiled");
}

// ngx_http_variables.c: names resolve after the http block, per request a slot per user variable.
describe("variable scope", () => {
  test("a map may be used above the line that defines it", () => {
    const config = compileConfigSync(
      parseConfigText(`events {} http {
        server { location / { return 200 "$late"; } }
        map $http_x_in $late { default seen; }
      }`),
    );
    expect(renderTemplate(returnTemplate(config), request())).toBe("seen");
  });

  test("a name nobody defines is refused once the http block is read, at its first use", () => {
    const error = compileError(`events {} http {
      server { location / {
        proxy_set_header X-A $nope;
        proxy_set_header X-B $nope;
        proxy_pass http://127.0.0.1:9;
      } }
      map $uri $defined { default 1; }
      server { listen 81; location / { return 200 "$undefined"; } }
    }`);
    expect(error.code).toBe("unknown-variable");
    expect(error.reason).toBe('unknown "nope" variable');
    expect(error.location).toEqual({ file: "edgeproxy.conf", line: 3 });
  });

  test.each([
    ["log_format", "log_format f '$nope';"],
    ["access_log if=", "server { access_log /dev/null combined if=$nope; }"],
    ["a hash key", "upstream u { hash $nope; server 127.0.0.1:9; }"],
    ["proxy_redirect", "server { location / { proxy_redirect / $nope; proxy_pass http://127.0.0.1:9; } }"],
    ["proxy_ssl_name", "proxy_ssl_name $nope;"],
    ["a map's source", "map $nope $a { }"],
    ["a map's value", "map $uri $a { x $nope; }"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    ["${name}", "proxy_set_header X ${nope};"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    ["${1}", "proxy_set_header X ${1};"],
    ["$0", "proxy_set_header X $0;"],
    ["$1 in a log format", "log_format f '$1';"],
  ])("an unknown variable in %s is refused", (_where, http) => {
    const error = compileError(`events {} http { ${http} }`);
    expect(error.code).toBe("unknown-variable");
  });

  test("names are case-insensitive, as nginx lower-cases them", () => {
    const config = configReturning("map $uri $Mixed { default m; }", "$HOST|$mixed|$MIXED|$Http_X_In");
    const ctx = { ...request([["X-In", "v"]]), host: "h" };
    expect(renderTemplate(returnTemplate(config), ctx)).toBe("h|m|m|v");
  });

  test("a map may not take a fixed variable's name, except the changeable ones", () => {
    expect(compileError("events {} http { map $uri $Remote_Addr { } }").reason).toBe('the duplicate "Remote_Addr" variable');
    const config = configReturning("map $uri $args { default mapped; }", "$args");
    expect(renderTemplate(returnTemplate(config), request())).toBe("mapped");
  });

  test("a later map of the same variable replaces the earlier one", () => {
    const config = configReturning("map $uri $v { default first; } map $uri $v { default second; }", "$v");
    expect(renderTemplate(returnTemplate(config), request())).toBe("second");
  });

  test.each([
    ['"a$"', "invalid variable name"],
    ['"a$-b"', "invalid variable name"],
    ['"a${x"', 'the closing bracket in "x" variable is missing'],
  ])("refuses the template %s: %s", (text, reason) => {
    const error = compileError(`events {} http { server { location / { return 200 ${text}; } } }`);
    expect(error.reason).toBe(reason);
    expect(error.location?.line).toBe(1);
  });

  test("log_format words a bad $ as nginx's log module does", () => {
    expect(compileError("events {} http { log_format f 'a$-b'; }").reason).toBe('invalid parameter "$-b"');
  });

  test("$1..$9 read the request's last match, one digit each", () => {
    const config = configReturning("", "$1|$2|$10|$9");
    const ctx = request();
    ctx.captures = Object.assign(["whole", "one", "two"], { index: 0, input: "whole" }) as unknown as RegExpExecArray;
    expect(renderTemplate(returnTemplate(config), ctx)).toBe("one|two|one0|");
  });

  test("a request that reads no user variable gets no slots; the first read makes them", () => {
    const builtins = configReturning("map $uri $m { default m; }", "$uri");
    const ctx = request();
    renderTemplate(returnTemplate(builtins), ctx);
    expect(ctx.variables).toBeUndefined();
    const user = configReturning("map $uri $m { default m; } map $uri $n { default n; }", "$m");
    renderTemplate(returnTemplate(user), ctx);
    expect(ctx.variables?.values).toEqual(["m", undefined]);
  });

  test("a map is evaluated once per request; a volatile one each time a template is", () => {
    const config = configReturning(
      "map $status $kept { default <$status>; } map $status $fresh { volatile; default <$status>; }",
      "$kept $fresh $fresh",
    );
    const template = returnTemplate(config);
    const ctx = request();
    expect(renderTemplate(template, ctx)).toBe("<> <> <>");
    ctx.exchange.status = 200;
    expect(renderTemplate(template, ctx)).toBe("<> <200> <200>");
  });

  test("templates without a scope read built-ins only", () => {
    expect(renderTemplate(compileTemplate("$request_uri!"), request([], "/x"))).toBe("/x!");
    expect(() => compileTemplate("$mapped")).toThrow('unknown "mapped" variable');
  });
});
