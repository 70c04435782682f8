import { ANY, type DirectiveSpec, HSL, ignored } from "../directive-spec.ts";

/**
 * Knobs of modules edgeproxy does not implement that a stock nginx.conf carries: accepted with
 * no effect (the README lists them).
 */
export const IGNORED_DIRECTIVES = {
  charset: ignored(HSL, 1, 1),
  gzip: ignored(HSL, 1, 1),
  gzip_vary: ignored(HSL, 1, 1),
  gzip_proxied: ignored(HSL, 1, ANY),
  gzip_comp_level: ignored(HSL, 1, 1),
  gzip_buffers: ignored(HSL, 2, 2),
  gzip_http_version: ignored(HSL, 1, 1),
  gzip_min_length: ignored(HSL, 1, 1),
  gzip_types: ignored(HSL, 1, ANY, false),
  gzip_disable: ignored(HSL, 1, ANY, false),
  ssl_protocols: ignored(HS, 1, ANY),
  ssl_prefer_server_ciphers: ignored(HS, 1, 1),
  ssl_ciphers: ignored(HS, 1, 1),
  ssl_session_cache: ignored(HS, 1, 2),
  ssl_session_timeout: ignored(HS, 1, 1),
  fastcgi_temp_path: ignored(HSL, 1, 4),
  uwsgi_temp_path: ignored(HSL, 1, 4),
  scgi_temp_path: ignored(HSL, 1, 4),
} satisfies Record<string, DirectiveSpec>;
