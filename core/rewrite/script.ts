import type { FileTests } from "../capabilities.ts";
import type { Condition, IfOp, Location, RewriteRule, RewriteScript, SetOp } from "../config/model.ts";
import { unescapeRedirect } from "../route/uri.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate, type Template } from "../shape/template.ts";
import { recordMatch, requestVariables } from "../variables/request-variables.ts";

/** How a script run ends (`ngx_http_rewrite_handler()`'s return). */
export type ScriptEnd =
  /** It ran out, or stopped at `break` or `rewrite ... last|break`; `uriChanged` asks for another location. */
  | { readonly kind: "done"; readonly uriChanged: boolean }
  /** nginx's page for the status: `return CODE` from 400 up, a redirect (with `Location`). */
  | { readonly kind: "status"; readonly status: number; readonly location?: string }
  /** `return` with a response of its own (text, or below 400). */
  | { readonly kind: "return"; readonly status: number; readonly text: string | null };

/** What a script reads besides the request: the loggers and files of its blocks. */
export interface ScriptEnv {
  /** The number of user-variable slots, for `set` and named captures. */
  readonly slotCount: number;
  /** Where the `if (-f ...)` tests look; null where there are no files (refused at load). */
  readonly files: FileTests | null;
  /** Called when an `if` switches the request into its block (the block's logger and handler follow). */
  readonly enter: (r: RequestContext, block: Location) => void;
}

/** A run's state: nginx's script engine flags. */
interface Run {
  /** `rewrite_log` of the block the run started in. */
  readonly log: boolean;
  /** Captures in values are escaped until the first rewrite matches (`e->quote` starts at 1). */
  quote: boolean;
  uriChanged: boolean;
}

/**
 * Runs a block's rewrite directives in order (nginx's script engine): conditions, `set`,
 * `rewrite` against `$uri`, `return`, `break`. An `if` that holds switches a location's
 * request into its block and runs the directives inside, then goes on after it.
 */
export function runScript(script: RewriteScript, r: RequestContext, env: ScriptEnv): ScriptEnd {
  const run: Run = { log: (r.location ?? r.server).settings.rewriteLog, quote: true, uriChanged: false };
  return runOps(script, r, env, run) ?? { kind: "done", uriChanged: run.uriChanged };
}

/** The ops in order; an end that stops the whole script, or null to go on after them. */
function runOps(ops: RewriteScript, r: RequestContext, env: ScriptEnv, run: Run): ScriptEnd | null {
  for (const op of ops) {
    let end: ScriptEnd | null = null;
    switch (op.kind) {
      case "rewrite":
        end = rewrite(op, r, env, run);
        break;
      case "return":
        return returnOf(op.status, op.text ? renderTemplate(op.text, r) : null);
      case "break":
        // ngx_http_script_break_code(): a URI changed in this run stays in this location.
        if (run.uriChanged) r.validLocation = false;
        return { kind: "done", uriChanged: false };
      case "set":
        set(op, r, env, run);
        break;
      case "if":
        end = runIf(op, r, env, run);
        break;
    }
    if (end) return end;
  }
  return null;
}

/** `return` (`ngx_http_script_return_code()`): below 400 or with text it answers itself; otherwise nginx's page. */
function returnOf(status: number, text: string | null): ScriptEnd {
  if (status < 400 || text !== null) return { kind: "return", status, text };
  return { kind: "status", status };
}

/**
 * `rewrite` (`ngx_http_script_regex_start_code()`, `..._end_code()`): on a match, `$uri`
 * becomes the replacement and the request is internal from then on; a `?` in it sets the
 * arguments (the request's follow after `&` unless it ends in `?`); a redirect answers.
 */
function rewrite(rule: RewriteRule, r: RequestContext, env: ScriptEnv, run: Run): ScriptEnd | null {
  const match = rule.regex.exec(r.uri);
  if (match === null) {
    if (run.log) r.log.notice(`"${rule.pattern}" does not match "${r.uri}"`);
    r.captures = undefined;
    return null;
  }
  if (run.log) r.log.notice(`"${rule.pattern}" matches "${r.uri}"`);
  recordMatch(r, match, rule.named, env.slotCount);
  r.internal = true;
  r.validUnparsedUri = false;
  const escapes = r.isQuoted || r.hasPlus;
  run.quote = false;
  if (rule.redirect) {
    let location = unescapeRedirect(renderEscaped(rule.replacement, r, escapes));
    if (rule.addArgs && r.args) location += `${rule.hasArgs ? "&" : "?"}${r.args}`;
    if (run.log) r.log.notice(`rewritten redirect: "${location}"`);
    return { kind: "status", status: rule.redirect, location };
  }
  const uri = renderTemplate(rule.replacement, r);
  if (rule.args) {
    const args = renderEscaped(rule.args, r, escapes);
    r.args = rule.addArgs && r.args ? `${args}&${r.args}` : args;
  } else if (!rule.addArgs) r.args = "";
  if (run.log) r.log.notice(`rewritten data: "${uri}", args: "${r.args}"`);
  r.uri = uri;
  if (uri === "") {
    r.log.error("the rewritten URI has a zero length");
    return { kind: "status", status: 500 };
  }
  if (rule.flag === "break") {
    r.validLocation = false;
    return { kind: "done", uriChanged: false };
  }
  if (rule.flag === "last") return { kind: "done", uriChanged: true };
  run.uriChanged = true;
  return null;
}

/** A template whose `$1`..`$9` are escaped as arguments when the client's path was escaped or had `+`. */
function renderEscaped(template: Template, r: RequestContext, escapes: boolean): string {
  if (!escapes) return renderTemplate(template, r);
  r.escapeCaptures = true;
  try {
    return renderTemplate(template, r);
  } finally {
    r.escapeCaptures = false;
  }
}

/** A value the script computes (`set`, `=`, a file path): escaped captures while `quote` holds. */
function value(template: Template, r: RequestContext, run: Run): string {
  return renderEscaped(template, r, run.quote && (r.isQuoted || r.hasPlus));
}

/** `set`: the variable's slot, or `$args`. */
function set(op: SetOp, r: RequestContext, env: ScriptEnv, run: Run): void {
  const v = value(op.value, r, run);
  if (op.target.kind === "args") {
    // ngx_http_variable_set_args(): the request-target is no longer the client's.
    r.args = v;
    r.validUnparsedUri = false;
  } else requestVariables(r, env.slotCount).values[op.target.slot] = v;
}

/** `if`: when the condition holds, a location's request moves into the block and its directives run. */
function runIf(op: IfOp, r: RequestContext, env: ScriptEnv, run: Run): ScriptEnd | null {
  if (!holds(op.condition, r, env, run)) return null;
  if (op.block) env.enter(r, op.block);
  return runOps(op.body, r, env, run);
}

/** Whether an `if` condition holds (`ngx_http_script_if_code()` and the codes before it). */
function holds(c: Condition, r: RequestContext, env: ScriptEnv, run: Run): boolean {
  switch (c.kind) {
    case "variable": {
      const v = renderTemplate(c.value, r);
      return v !== "" && v !== "0";
    }
    case "equal":
      return (renderTemplate(c.left, r) === value(c.right, r, run)) !== c.isNegated;
    case "regex": {
      const subject = renderTemplate(c.left, r);
      const match = c.regex.exec(subject);
      if (match === null) {
        if (run.log) r.log.notice(`"${c.pattern}" does not match "${subject}"`);
        r.captures = undefined;
        return c.isNegated;
      }
      if (run.log) r.log.notice(`"${c.pattern}" matches "${subject}"`);
      recordMatch(r, match, c.named, env.slotCount);
      return !c.isNegated;
    }
    case "file":
      return fileTest(c, value(c.path, r, run), env) !== c.isNegated;
  }
}

/** `-f`, `-d`, `-e`, `-x` as nginx's open-file test sees a path (following links). */
function fileTest(c: Extract<Condition, { kind: "file" }>, path: string, env: ScriptEnv): boolean {
  const found = env.files?.stat(path) ?? null;
  if (found === null) return false;
  switch (c.test) {
    case "f":
      return found.isFile;
    case "d":
      return found.isDir;
    case "e":
      return found.isFile || found.isDir;
    case "x":
      return found.isExec;
  }
}
