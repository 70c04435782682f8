import { type DirectiveSpec, HSL, ignored } from "../directive-spec.ts";

/**
 * Knobs of modules edgeproxy does not implement that a stock nginx.conf carries: accepted with
 * no effect (the README lists them).
 */
export const IGNORED_DIRECTIVES = {
  charset: ignored(HSL, 1, 1),
  fastcgi_temp_path: ignored(HSL, 1, 4),
  uwsgi_temp_path: ignored(HSL, 1, 4),
  scgi_temp_path: ignored(HSL, 1, 4),
} satisfies Record<string, DirectiveSpec>;
