import { type DirectiveSpec, HSL, list, single } from "../directive-spec.ts";
import type { AuthRequestSet } from "../model.ts";
import { arg0, fail, templateOf } from "../settings.ts";

/**
 * ngx_http_auth_request_module: `auth_request URI|off` (a subrequest decides), and
 * `auth_request_set $var VALUE`, evaluated in the subrequest once it is done (its
 * `$upstream_http_*`, `$upstream_status`...) and set in the request.
 */
export const AUTH_REQUEST_DIRECTIVES = {
  auth_request: single(HSL, 1, 1, (own, d) => {
    own.authRequest = arg0(d) === "off" ? "" : arg0(d);
  }),
  auth_request_set: list(HSL, 2, 2, (own, d, env) => {
    const [name, value] = d.args as [string, string];
    if (!name.startsWith("$")) fail(d, `invalid variable name "${name}"`);
    const set: AuthRequestSet = { slot: env.scope.defineSlot(name.slice(1), d.at), value: templateOf(d, value, env.scope) };
    own.authRequestSet = [...(own.authRequestSet ?? []), set];
  }),
} satisfies Record<string, DirectiveSpec>;
