import { type Context, type DirectiveSpec, single } from "../directive-spec.ts";
import { arg0, templateOf } from "../settings.ts";

/** Where the auth_basic directives may stand: `NGX_HTTP_MAIN_CONF|SRV|LOC|LMT`. */
const CONTEXTS: readonly Context[] = ["http", "server", "location", "limit_except"];

/**
 * ngx_http_auth_basic_module: `auth_basic REALM|off` and `auth_basic_user_file FILE`, both
 * with variables; a relative file is taken from the main config file's directory (nginx's
 * conf prefix). Each merges on its own.
 */
export const AUTH_BASIC_DIRECTIVES = {
  auth_basic: single(CONTEXTS, 1, 1, (own, d, env) => {
    own.authBasic = templateOf(d, arg0(d), env.scope);
  }),
  auth_basic_user_file: single(CONTEXTS, 1, 1, (own, d, env) => {
    own.authBasicUserFile = { at: d.at, file: templateOf(d, arg0(d), env.scope), prefix: withTrailingSlash(env.confPrefix) };
  }),
} satisfies Record<string, DirectiveSpec>;

/** The conf prefix as the start of a path: "" stays "" (the working directory). */
function withTrailingSlash(dir: string): string {
  return dir === "" || dir.endsWith("/") ? dir : `${dir}/`;
}
