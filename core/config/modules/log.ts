import type { Template } from "../../shape/template.ts";
import { ANY, type DirectiveSpec, HSL, list, type Setter } from "../directive-spec.ts";
import type { ErrorLogTarget } from "../model.ts";
import type { Directive } from "../parse.ts";
import { fail, templateOf } from "../settings.ts";

/**
 * ngx_http_log_module (`access_log`, `log_format`) and the core's `error_log`. `log_format` is
 * http-level state the compiler keeps; `error_log` at main level is the process's log.
 */
export const LOG_DIRECTIVES = {
  access_log: list(HSL, 1, ANY, (own, d, env) => setAccessLog(own, d, env)),
  log_format: list(["http"], 2, ANY),
  error_log: list(["main", "http", "server", "location"], 1, ANY, (own, d) => {
    // Several in one block all write in nginx; edgeproxy keeps the first.
    own.errorLog ??= compileErrorLog(d);
  }),
} satisfies Record<string, DirectiveSpec>;

/** `access_log off` or `access_log PATH [FORMAT [buffer=] [gzip] [flush=] [if=]]`; repeats add. */
const setAccessLog: Setter = (own, d, env) => {
  const [path, formatName = "combined", ...params] = d.args as [string, ...string[]];
  if (path === "off") {
    if (d.args.length > 1) fail(d, `invalid parameter "${d.args[1]}"`);
    own.accessLogs = [];
    return;
  }
  const format = env.logFormat(formatName) ?? fail(d, `unknown log format "${formatName}"`);
  let condition: Template | null = null;
  for (const p of params) {
    if (p.startsWith("if=")) condition = templateOf(d, p.slice(3), env.scope);
    else if (!/^(buffer=|flush=|gzip(=|$))/.test(p)) fail(d, `invalid parameter "${p}"`);
  }
  own.accessLogs = [...(own.accessLogs ?? []), { path, format: format.format, escape: format.escape, condition }];
};

const LOG_LEVELS = ["debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"] as const;

/** `error_log FILE [LEVEL]`; `stderr` and `/dev/stderr` write to the process's stderr. */
export function compileErrorLog(d: Directive): ErrorLogTarget {
  const [path, level = "error"] = d.args as [string, string | undefined];
  if (d.args.length > 2 || !(LOG_LEVELS as readonly string[]).includes(level)) fail(d, `invalid log level "${d.args[1]}"`);
  return { path, level: level as (typeof LOG_LEVELS)[number] };
}
