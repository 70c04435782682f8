import { type Context, type DirectiveSpec, HS, HSL, ignored } from "../directive-spec.ts";
import type { Directive } from "../parse.ts";
import { fail } from "../settings.ts";
import { parseFlag, parseNumber, parseSize, parseTimeMs } from "../values.ts";

const EVENTS: readonly Context[] = ["events"];

// The value checks of nginx's slots, in nginx's words.
const FLAG = (d: Directive) => {
  if (parseFlag(d.args[0] as string) === null) fail(d, `invalid value "${d.args[0]}" in "${d.name}" directive, it must be "on" or "off"`);
};
const TIME = (d: Directive) => {
  if (parseTimeMs(d.args[0] as string) === null) fail(d, `"${d.name}" directive invalid value`);
};
const SIZE = (d: Directive) => {
  if (parseSize(d.args[0] as string) === null) fail(d, `"${d.name}" directive invalid value`);
};
const NUMBER = (d: Directive) => {
  if (parseNumber(d.args[0] as string) === null) fail(d, `"${d.name}" directive invalid number`);
};
/** Each argument matches `re`, or nginx's error for the first that does not. */
const matches = (re: RegExp, reason: (value: string, name: string) => string) => (d: Directive) => {
  for (const v of d.args) if (!re.test(v)) fail(d, reason(v, d.name));
};
const oneOf =
  (...values: string[]) =>
  (d: Directive) => {
    if (!values.includes(d.args[0] as string)) fail(d, `invalid value "${d.args[0]}"`);
  };

/**
 * Knobs a real nginx.conf carries that change nothing a client or an upstream could see from
 * edgeproxy: buffer, file-I/O and socket tuning, static-file options (edgeproxy serves no files),
 * and the event module's knobs. Accepted where nginx accepts them, with
 * nginx's argument counts, and ignored; the README lists them. A directive whose absence could
 * change what is served or who may reach it is never here: it is refused as not supported
 * (modules/unsupported.ts).
 */
export const IGNORED_DIRECTIVES = {
  // ngx_http_core_module: I/O and memory tuning.
  aio: ignored(
    HSL,
    1,
    1,
    true,
    matches(/^(on|off|threads(=.+)?)$/, (_v, name) => `"${name}" directive invalid value`),
  ),
  aio_write: ignored(HSL, 1, 1, true, FLAG),
  directio: ignored(HSL, 1, 1, true, (d) => d.args[0] === "off" || SIZE(d)),
  directio_alignment: ignored(HSL, 1, 1, true, SIZE),
  read_ahead: ignored(HSL, 1, 1, true, SIZE),
  sendfile: ignored(HSL, 1, 1, true, FLAG),
  sendfile_max_chunk: ignored(HSL, 1, 1, true, SIZE),
  output_buffers: ignored(HSL, 2, 2),
  postpone_output: ignored(HSL, 1, 1, true, SIZE),
  send_lowat: ignored(HSL, 1, 1, true, SIZE),
  tcp_nopush: ignored(HSL, 1, 1, true, FLAG),
  tcp_nodelay: ignored(HSL, 1, 1, true, FLAG),
  connection_pool_size: ignored(HS, 1, 1, true, SIZE),
  request_pool_size: ignored(HS, 1, 1, true, SIZE),
  subrequest_output_buffer_size: ignored(HSL, 1, 1, true, SIZE),
  types_hash_max_size: ignored(HSL, 1, 1, true, NUMBER),
  types_hash_bucket_size: ignored(HSL, 1, 1, true, NUMBER),
  server_names_hash_max_size: ignored(["http"], 1, 1, true, NUMBER),
  server_names_hash_bucket_size: ignored(["http"], 1, 1, true, NUMBER),
  variables_hash_max_size: ignored(["http"], 1, 1, true, NUMBER),
  variables_hash_bucket_size: ignored(["http"], 1, 1, true, NUMBER),
  // ...closing connections: edgeproxy's lingering close and resets are fixed (core/http1).
  lingering_close: ignored(HSL, 1, 1, true, oneOf("off", "on", "always")),
  lingering_time: ignored(HSL, 1, 1, true, TIME),
  lingering_timeout: ignored(HSL, 1, 1, true, TIME),
  reset_timedout_connection: ignored(HSL, 1, 1, true, FLAG),
  // ...static files, which edgeproxy does not serve.
  etag: ignored(HSL, 1, 1, true, FLAG),
  if_modified_since: ignored(HSL, 1, 1, true, oneOf("off", "exact", "before")),
  log_not_found: ignored(HSL, 1, 1, true, FLAG),
  disable_symlinks: ignored(
    HSL,
    1,
    2,
    true,
    matches(/^(off|on|if_not_owner|from=.+)$/, (v) => `invalid parameter "${v}"`),
  ),
  open_file_cache: ignored(
    HSL,
    1,
    2,
    true,
    matches(/^(off|max=\d+|inactive=.+)$/, (v, name) => `invalid "${name}" parameter "${v}"`),
  ),
  open_file_cache_errors: ignored(HSL, 1, 1, true, FLAG),
  open_file_cache_events: ignored(HSL, 1, 1, true, FLAG),
  open_file_cache_min_uses: ignored(HSL, 1, 1, true, NUMBER),
  open_file_cache_valid: ignored(HSL, 1, 1, true, TIME),
  max_ranges: ignored(HSL, 1, 1, true, NUMBER),
  // ...MSIE's quirks on nginx's own pages.
  msie_padding: ignored(HSL, 1, 1, true, FLAG),
  msie_refresh: ignored(HSL, 1, 1, true, FLAG),
  // ...the request body kept in one buffer or a file: the body goes upstream the same.
  client_body_in_file_only: ignored(HSL, 1, 1, true, oneOf("on", "clean", "off")),
  client_body_in_single_buffer: ignored(HSL, 1, 1, true, FLAG),
  // ngx_http_log_module.
  open_log_file_cache: ignored(
    HSL,
    1,
    4,
    true,
    matches(/^(off|max=\d+|inactive=.+|min_uses=\d+|valid=.+)$/, (v, name) => `invalid "${name}" parameter "${v}"`),
  ),
  log_subrequest: ignored(HSL, 1, 1, true, FLAG),
  // ngx_http_proxy_module: hash sizing and socket options.
  proxy_headers_hash_max_size: ignored(HSL, 1, 1, true, NUMBER),
  proxy_headers_hash_bucket_size: ignored(HSL, 1, 1, true, NUMBER),
  proxy_send_lowat: ignored(HSL, 1, 1, true, SIZE),
  proxy_socket_keepalive: ignored(HSL, 1, 1, true, FLAG),
  // Other modules' temp paths in a stock nginx.conf.
  fastcgi_temp_path: ignored(HSL, 1, 4),
  uwsgi_temp_path: ignored(HSL, 1, 4),
  scgi_temp_path: ignored(HSL, 1, 4),
  // ngx_http_referer_module's hash sizing.
  referer_hash_max_size: ignored(["server", "location"], 1, 1, true, NUMBER),
  referer_hash_bucket_size: ignored(["server", "location"], 1, 1, true, NUMBER),
  // ngx_http_charset_module's `charset` (Debian's stock config has it commented out).
  charset: ignored(HSL, 1, 1),
  // ngx_http_gzip_module's buffering knobs nginx keeps undocumented.
  gzip_no_buffer: ignored(HSL, 1, 1, true, FLAG),
  postpone_gzipping: ignored(HSL, 1, 1, true, SIZE),
  // The event module.
  epoll_events: ignored(EVENTS, 1, 1, true, NUMBER),
  worker_aio_requests: ignored(EVENTS, 1, 1, true, NUMBER),
} satisfies Record<string, DirectiveSpec>;
