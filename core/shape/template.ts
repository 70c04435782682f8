import { ConfigError, type SourceLocation } from "../config/errors.ts";
import { escapeArgs } from "../route/uri.ts";
import { lookupBuiltin } from "../variables/builtin.ts";
import { flushSlots } from "../variables/request-variables.ts";
import type { VariableScope } from "../variables/scope.ts";
import type { RequestContext } from "./request-context.ts";

/** Reads one variable of the current request. */
export interface VariableGetter {
  (ctx: RequestContext): string;
  /**
   * The variable is always found: the access log writes its empty value as nothing, where an
   * empty value of the others is "not found" and written `-` (ngx_http_log_variable()).
   */
  readonly keepsEmpty?: boolean;
  /** For a variable found in some requests only (a named capture): whether it is in this one. */
  readonly isFound?: (ctx: RequestContext) => boolean;
}

/**
 * A string with `$variables`, parsed once at load into literal and variable parts so that a
 * request only concatenates (nginx's complex value). Compiled against a config's variable
 * scope, its variables are bound when the scope is linked, after the whole `http` block.
 */
export interface Template {
  readonly text: string;
  /** True when the template has no variables: `literal` is its value. */
  readonly isConstant: boolean;
  readonly literal: string;
  readonly parts: readonly (string | VariableGetter)[];
  /**
   * Slots of the `volatile` variables it reads, cleared before each evaluation as nginx flushes
   * non-cacheable variables (`ngx_http_script_flush_complex_value()`); null when none.
   */
  readonly flushes: readonly number[] | null;
}

/** A template while its scope is being linked: the scope fills in parts and flushes. */
export interface UnlinkedTemplate extends Template {
  readonly parts: (string | VariableGetter)[];
  flushes: number[] | null;
}

/**
 * How `$` reads: `script` as in nginx's complex values and scripts (`$1`..`$9` are regex
 * captures), `log` as `log_format` reads it (every `$name` is a variable, digits too).
 */
export type TemplateSyntax = "script" | "log";

/** Where a template is written and how, for its errors and its variables. */
export interface TemplateOptions {
  /** The config's variables; without one, only built-in variables resolve (at once). */
  readonly scope?: VariableScope;
  readonly at?: SourceLocation;
  readonly syntax?: TemplateSyntax;
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Parses `text` with nginx's `$name` / `${name}` syntax (`ngx_http_script_compile()`); names
 * are case-insensitive. A bad `$` is a ConfigError at `at`; an unknown name is one when the
 * scope is linked (or at once, without a scope).
 */
export function compileTemplate(text: string, options: TemplateOptions = {}): Template {
  const parts: (string | VariableGetter)[] = [];
  const names: [part: number, name: string][] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, dollar);
    const ref = readReference(text, dollar, options);
    if (literal) parts.push(literal);
    literal = "";
    if (ref.capture > 0) parts.push(captureGetter(ref.capture));
    else names.push([parts.push(unbound) - 1, ref.name]);
    i = ref.end;
  }
  if (literal) parts.push(literal);
  const isConstant = parts.every((p) => typeof p === "string");
  const template: UnlinkedTemplate = { text, isConstant, literal: isConstant ? parts.join("") : "", parts, flushes: null };
  for (const [part, name] of names) bind(template, part, name, options);
  return template;
}

/** A variable reference at `text[dollar]`: its lower-case name, or a capture number, and where it ends. */
function readReference(text: string, dollar: number, options: TemplateOptions): { name: string; capture: number; end: number } {
  const syntax = options.syntax ?? "script";
  const first = text[dollar + 1] ?? "";
  if (syntax === "script" && first >= "1" && first <= "9") return { name: "", capture: Number(first), end: dollar + 2 };
  const braced = first === "{";
  let end = braced ? dollar + 2 : dollar + 1;
  while (end < text.length && NAME_CHAR.test(text[end] as string)) end++;
  const name = text.slice(braced ? dollar + 2 : dollar + 1, end);
  if (braced) {
    if (text[end] !== "}") fail(options, `the closing bracket in "${name}" variable is missing`);
    end++;
  }
  if (name === "") {
    // ngx_http_script_compile() and ngx_http_log_compile_format() word this differently.
    fail(options, syntax === "log" ? `invalid parameter "${text.slice(dollar)}"` : "invalid variable name");
  }
  return { name: name.toLowerCase(), capture: 0, end };
}

function fail(options: TemplateOptions, reason: string): never {
  throw new ConfigError("invalid-value", reason, options.at ?? null);
}

const unbound: VariableGetter = () => {
  throw new Error("a template was evaluated before its variable scope was linked");
};

/** Leaves the part to the scope, or binds a built-in at once when there is no scope. */
function bind(template: UnlinkedTemplate, index: number, name: string, options: TemplateOptions): void {
  if (options.scope) {
    options.scope.reference(name, template, index, options.at ?? null);
    return;
  }
  const builtin = lookupBuiltin(name);
  if (!builtin) throw new ConfigError("unknown-variable", `unknown "${name}" variable`, options.at ?? null);
  template.parts[index] = builtin;
}

/**
 * `$1`..`$9`: a group of the request's last successful regex match (a map key, a location,
 * `proxy_redirect`), empty when there is none (`ngx_http_script_copy_capture_code()`). Inside
 * the rewrite module's arguments and redirects, nginx escapes it when the client's path was
 * escaped or held `+` (the request says so with `escapeCaptures`).
 */
function captureGetter(n: number): VariableGetter {
  return (ctx) => {
    const value = ctx.captures?.[n] ?? "";
    return ctx.escapeCaptures && value ? escapeArgs(value) : value;
  };
}

/**
 * A template that is one variable, by its name as written (`if ($name)`, `set $name`): nginx
 * takes every byte after `$` as the name there, so `$a-b` is the variable `a-b`.
 */
export function variableTemplate(name: string, options: TemplateOptions): Template {
  const template: UnlinkedTemplate = { text: `$${name}`, isConstant: false, literal: "", parts: [unbound], flushes: null };
  bind(template, 0, name.toLowerCase(), options);
  return template;
}

/** The template's value for this request, its volatile variables evaluated afresh. */
export function renderTemplate(t: Template, ctx: RequestContext): string {
  if (t.isConstant) return t.literal;
  if (t.flushes !== null) flushSlots(ctx, t.flushes);
  return evaluateTemplate(t, ctx);
}

/**
 * The template's value without flushing: for a caller that flushed a whole set of templates
 * once, as nginx does for the `proxy_set_header` list (`ngx_http_proxy_create_request()`).
 */
export function evaluateTemplate(t: Template, ctx: RequestContext): string {
  if (t.isConstant) return t.literal;
  let out = "";
  for (const p of t.parts) out += typeof p === "string" ? p : p(ctx);
  return out;
}
