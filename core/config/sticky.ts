import { compileTemplate, type Template } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { Sticky } from "./model.ts";
import type { Directive } from "./parse.ts";
import { parseSize, parseTimeMs } from "./values.ts";

/** nginx Plus: one megabyte of zone holds about 8000 sessions on a 64-bit platform. */
const SESSIONS_PER_MEGABYTE = 8000;

/**
 * `sticky cookie|route|learn ...` in an upstream (nginx Plus's ngx_http_upstream_sticky_module),
 * with nginx Plus's parameters and defaults.
 */
export function compileSticky(d: Directive, scope: VariableScope): Sticky {
  const [method, ...params] = d.args as [string, ...string[]];
  switch (method) {
    case "cookie":
      return compileCookie(d, params, scope);
    case "route":
      if (params.length === 0) bad(d, `invalid number of arguments in "sticky" directive`);
      return { kind: "route", routes: params.map((p) => variable(d, p, scope)) };
    case "learn":
      return compileLearn(d, params, scope);
    default:
      return bad(d, `invalid sticky method "${method}"`);
  }
}

function compileCookie(d: Directive, params: string[], scope: VariableScope): Sticky {
  const [name, ...rest] = params;
  if (name === undefined || name.includes("=")) bad(d, `invalid number of arguments in "sticky" directive`);
  const sticky = {
    kind: "cookie" as const,
    name,
    expires: null as number | "max" | null,
    domain: null as string | null,
    path: null as string | null,
    isHttpOnly: false,
    isSecure: false,
    sameSite: null as "Strict" | "Lax" | "None" | Template | null,
  };
  for (const p of rest) {
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.slice(0, eq + 1);
    const value = p.slice(eq + 1);
    const invalid = (): never => bad(d, `invalid parameter "${p}"`);
    switch (key) {
      case "expires=":
        sticky.expires = value === "max" ? "max" : (secondsOf(parseTimeMs(value)) ?? invalid());
        break;
      case "domain=":
        sticky.domain = value || invalid();
        break;
      case "path=":
        sticky.path = value || invalid();
        break;
      case "samesite=":
        sticky.sameSite = sameSite(value) ?? (value.includes("$") ? compileTemplate(value, { scope, at: d.at }) : invalid());
        break;
      case "httponly":
        sticky.isHttpOnly = true;
        break;
      case "secure":
        sticky.isSecure = true;
        break;
      default:
        invalid();
    }
  }
  return sticky;
}

function compileLearn(d: Directive, params: string[], scope: VariableScope): Sticky {
  const create: Extract<Sticky, { kind: "learn" }>["create"][number][] = [];
  const lookup: Template[] = [];
  let capacity = 0;
  let timeoutMs = 600_000;
  for (const p of params) {
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.slice(0, eq + 1);
    const value = p.slice(eq + 1);
    const invalid = (): never => bad(d, `invalid parameter "${p}"`);
    switch (key) {
      case "create=":
        create.push(responseField(value) ?? variable(d, value, scope));
        break;
      case "lookup=":
        lookup.push(variable(d, value, scope));
        break;
      case "zone=": {
        const m = /^[^:]+:(.+)$/.exec(value);
        const bytes = m ? parseSize(m[1] as string) : null;
        if (!bytes) invalid();
        capacity = Math.max(1, Math.floor(((bytes as number) / 1024 / 1024) * SESSIONS_PER_MEGABYTE));
        break;
      }
      case "timeout=":
        timeoutMs = parseTimeMs(value) ?? invalid();
        break;
      case "header":
        // Learn from the response head: edgeproxy learns there anyway.
        break;
      case "sync":
        throw new ConfigError(
          "unsupported",
          `"sync" of "sticky learn" needs nginx Plus's zone_sync, which edgeproxy does not have: use "sticky cookie" or "sticky route", which need no shared state`,
          d.at,
        );
      default:
        invalid();
    }
  }
  if (create.length === 0 || lookup.length === 0 || capacity === 0) {
    bad(d, `"sticky learn" needs "create=", "lookup=" and "zone=" parameters`);
  }
  return { kind: "learn", at: d.at, create, lookup, capacity, timeoutMs };
}

/** `$upstream_cookie_NAME` and `$upstream_http_NAME`: read from the upstream's response. */
function responseField(text: string): { from: "cookie" | "header"; name: string } | null {
  const m = /^\$upstream_(cookie|http)_(\w+)$/i.exec(text);
  if (!m) return null;
  const name = m[2] as string;
  return m[1]?.toLowerCase() === "cookie" ? { from: "cookie", name } : { from: "header", name: name.replaceAll("_", "-") };
}

function variable(d: Directive, text: string, scope: VariableScope): Template {
  if (!text.startsWith("$")) bad(d, `invalid variable name "${text}"`);
  return compileTemplate(text, { scope, at: d.at });
}

function sameSite(value: string): "Strict" | "Lax" | "None" | null {
  const v = value.toLowerCase();
  return v === "strict" ? "Strict" : v === "lax" ? "Lax" : v === "none" ? "None" : null;
}

function secondsOf(ms: number | null): number | null {
  return ms === null || ms === 0 ? null : Math.floor(ms / 1000);
}

function bad(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}

/** `server ... route=NAME`: a route of letters, digits and `_`, as nginx Plus takes it. */
export function parseRoute(value: string): string | null {
  return /^[\w.-]{1,32}$/.test(value) ? value : null;
}
