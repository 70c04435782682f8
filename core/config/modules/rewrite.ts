import { type DirectiveSpec, single } from "../directive-spec.ts";

/** ngx_http_rewrite_module; compiled with its block (compile.ts). */
export const REWRITE_DIRECTIVES = {
  return: single(["server", "location"], 1, 2),
} satisfies Record<string, DirectiveSpec>;
