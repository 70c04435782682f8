import { compileTemplate, type Template, variableTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { Condition, ReturnOp, RewriteRule, SetOp } from "./model.ts";
import type { Directive } from "./parse.ts";
import { compileRegex, namedGroups } from "./regex.ts";
import { parseNumber } from "./values.ts";

/**
 * The rewrite module's directives compiled into script operations, with nginx's checks and
 * words (`ngx_http_rewrite_module.c`). `if` blocks are compiled by the compiler, which owns
 * blocks; their conditions are compiled here.
 */

const SCHEMES = /^(https?:\/\/|\$scheme)/;

function invalid(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}

/** `rewrite REGEX REPLACEMENT [last|break|redirect|permanent]` (`ngx_http_rewrite()`). */
export function compileRewrite(d: Directive, scope: VariableScope): RewriteRule {
  const [pattern, written, flagWord] = d.args as [string, string, string | undefined];
  if (written === "") invalid(d, "empty replacement");
  const regex = compileRegex(pattern, false, d.at);
  // A last "?" drops the request's arguments.
  const addArgs = !written.endsWith("?");
  const text = addArgs ? written : written.slice(0, -1);
  let redirect: RewriteRule["redirect"] = SCHEMES.test(text) ? 302 : 0;
  let flag: RewriteRule["flag"] = null;
  if (flagWord === "last" || flagWord === "break") flag = flagWord;
  else if (flagWord === "redirect") redirect = 302;
  else if (flagWord === "permanent") redirect = 301;
  else if (flagWord !== undefined) invalid(d, `invalid parameter "${flagWord}"`);
  // A redirect keeps its "?" as text; otherwise the text after it becomes the arguments.
  const question = redirect ? -1 : text.indexOf("?");
  const template = (t: string) => compileTemplate(t, { scope, at: d.at });
  return {
    kind: "rewrite",
    at: d.at,
    pattern,
    regex,
    named: namedGroups(regex).map((group) => [group, scope.defineSlot(group, d.at)] as const),
    replacement: template(question < 0 ? text : text.slice(0, question)),
    args: question < 0 ? null : template(text.slice(question + 1)),
    hasArgs: text.includes("?"),
    addArgs,
    flag,
    redirect,
  };
}

/** `return CODE [TEXT|URL]`, `return URL` (`ngx_http_rewrite_return()`). */
export function compileReturn(d: Directive, scope: VariableScope): ReturnOp {
  const [first, second] = d.args as [string, string | undefined];
  const text = (t: string) => compileTemplate(t, { scope, at: d.at });
  const code = parseNumber(first);
  if (code === null) {
    if (second === undefined && SCHEMES.test(first)) return { kind: "return", status: 302, text: text(first) };
    invalid(d, `invalid return code "${first}"`);
  }
  if (code > 999) invalid(d, `invalid return code "${first}"`);
  return { kind: "return", status: code, text: second === undefined ? null : text(second) };
}

/** `set $name VALUE` (`ngx_http_rewrite_set()`). */
export function compileSet(d: Directive, scope: VariableScope): SetOp {
  const [name, value] = d.args as [string, string];
  if (!name.startsWith("$")) invalid(d, `invalid variable name "${name}"`);
  const target = scope.defineSet(name.slice(1), d.at);
  return { kind: "set", target, value: compileTemplate(value, { scope, at: d.at }) };
}

/**
 * `if (CONDITION)`: the words of the directive as nginx's lexer split them, parentheses glued
 * to the first and last (`ngx_http_rewrite_if_condition()`).
 */
export function compileCondition(d: Directive, scope: VariableScope): Condition {
  const words = [...d.args];
  let cur = 0;
  let last = words.length - 1;
  const first = words[0] as string;
  if (!first.startsWith("(")) invalid(d, `invalid condition "${first}"`);
  if (first === "(") cur = 1;
  else words[0] = first.slice(1);
  const end = words[last] as string;
  if (!end.endsWith(")")) invalid(d, `invalid condition "${end}"`);
  if (end === ")") last--;
  else words[last] = end.slice(0, -1);
  const word = words[cur] ?? "";
  const value = (t: string): Template => compileTemplate(t, { scope, at: d.at });

  if (word.length > 1 && word.startsWith("$")) {
    if (cur !== last && cur + 2 !== last) invalid(d, `invalid condition "${word}"`);
    const left = variableTemplate(word.slice(1), { scope, at: d.at });
    if (cur === last) return { kind: "variable", value: left };
    const op = words[cur + 1] as string;
    const right = words[last] as string;
    if (op === "=" || op === "!=") return { kind: "equal", left, right: value(right), isNegated: op === "!=" };
    if (op === "~" || op === "~*" || op === "!~" || op === "!~*") {
      const regex = compileRegex(right, op.endsWith("*"), d.at);
      const named = namedGroups(regex).map((group) => [group, scope.defineSlot(group, d.at)] as const);
      return { kind: "regex", left, pattern: right, regex, named, isNegated: op.startsWith("!") };
    }
    throw new ConfigError("invalid-value", `unexpected "${op}" in condition`, d.at);
  }
  const file = /^!?-([fdex])$/.exec(word);
  if ((word.length === 2 && word.startsWith("-")) || (word.length === 3 && word.startsWith("!-"))) {
    if (cur + 1 !== last) invalid(d, `invalid condition "${word}"`);
    if (file) {
      return { kind: "file", test: file[1] as "f" | "d" | "e" | "x", path: value(words[last] as string), isNegated: word.startsWith("!") };
    }
  }
  return invalid(d, `invalid condition "${word}"`);
}
