import { ANY, block, type Context, type DirectiveSpec, list, single } from "../directive-spec.ts";
import { flagSetting } from "../settings.ts";

/** Where the rewrite module's script directives may stand: server and location, and the `if` blocks of each. */
const SCRIPT: readonly Context[] = ["server", "sif", "location", "lif"];

/**
 * ngx_http_rewrite_module. `rewrite`, `return`, `break`, `set` and `if` are compiled into the
 * block's script, in order (config/rewrite.ts); the two flags are settings.
 */
export const REWRITE_DIRECTIVES = {
  rewrite: list(SCRIPT, 2, 3),
  return: list(SCRIPT, 1, 2),
  break: list(SCRIPT, 0, 0),
  set: list(SCRIPT, 2, 2),
  if: block(["server", "location"], 1, ANY),
  rewrite_log: single(["http", ...SCRIPT], 1, 1, flagSetting("rewriteLog")),
  uninitialized_variable_warn: single(["http", ...SCRIPT], 1, 1, flagSetting("uninitializedVariableWarn")),
} satisfies Record<string, DirectiveSpec>;

/** The directives that go into a block's script rather than its settings. */
export const SCRIPT_DIRECTIVES: ReadonlySet<string> = new Set(["rewrite", "return", "break", "set", "if"]);
