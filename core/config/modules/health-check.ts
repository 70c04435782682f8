import { ANY, block, type DirectiveSpec, list } from "../directive-spec.ts";

/** nginx Plus's ngx_http_upstream_hc_module; compiled by config/health-check.ts with their blocks. */
export const HEALTH_CHECK_DIRECTIVES = {
  health_check: list(["location"], 0, ANY),
  match: block(["http"], 1, 1),
} satisfies Record<string, DirectiveSpec>;
