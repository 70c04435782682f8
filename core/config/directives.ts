/**
 * Which directives exist, where they may appear and how many arguments they take, mirroring
 * the `ngx_command_t` tables of the modules edgeproxy follows (docs/nginx-semantics.md 1.5).
 */

/** A block a directive can sit in. */
export type Context = "main" | "events" | "http" | "server" | "location" | "upstream" | "types";

/** How a directive is written and what edgeproxy does with it. */
export interface DirectiveSpec {
  readonly contexts: readonly Context[];
  /** `[min, max]` arguments after the name. */
  readonly args: readonly [number, number];
  readonly isBlock?: boolean;
  /** A second occurrence in one block is `"x" directive is duplicate`. */
  readonly isSingle?: boolean;
  /** Accepted for a real nginx.conf to load, with no effect here (process and tuning knobs). */
  readonly isIgnored?: boolean;
}

const ANY = Number.POSITIVE_INFINITY;
const HSL: readonly Context[] = ["http", "server", "location"];
const HS: readonly Context[] = ["http", "server"];

const ignored = (contexts: readonly Context[], min: number, max: number, isSingle = true): DirectiveSpec => ({
  contexts,
  args: [min, max],
  isIgnored: true,
  isSingle,
});
const single = (contexts: readonly Context[], min = 1, max = 1): DirectiveSpec => ({
  contexts,
  args: [min, max],
  isSingle: true,
});
const list = (contexts: readonly Context[], min: number, max: number): DirectiveSpec => ({ contexts, args: [min, max] });

/** Every directive edgeproxy accepts. */
export const DIRECTIVES = {
  // Process management and other nginx-internal knobs (1.7): accepted, no effect.
  daemon: ignored(["main"], 1, 1),
  master_process: ignored(["main"], 1, 1),
  worker_processes: single(["main"]),
  pid: ignored(["main"], 1, 1),
  lock_file: ignored(["main"], 1, 1),
  user: ignored(["main"], 1, 2),
  worker_priority: ignored(["main"], 1, 1),
  worker_cpu_affinity: ignored(["main"], 1, ANY),
  worker_rlimit_nofile: ignored(["main"], 1, 1),
  worker_rlimit_core: ignored(["main"], 1, 1),
  worker_shutdown_timeout: ignored(["main"], 1, 1),
  working_directory: ignored(["main"], 1, 1),
  env: ignored(["main"], 1, 1, false),
  load_module: ignored(["main"], 1, 1, false),
  timer_resolution: ignored(["main"], 1, 1),
  debug_points: ignored(["main"], 1, 1),
  pcre_jit: ignored(["main"], 1, 1),
  thread_pool: ignored(["main"], 2, 3, false),
  ssl_engine: ignored(["main"], 1, 1),
  error_log: ignored(["main", "http", "server", "location"], 1, ANY, false),
  events: { contexts: ["main"], args: [0, 0], isBlock: true, isSingle: true },
  worker_connections: ignored(["events"], 1, 1),
  use: ignored(["events"], 1, 1),
  multi_accept: ignored(["events"], 1, 1),
  accept_mutex: ignored(["events"], 1, 1),
  accept_mutex_delay: ignored(["events"], 1, 1),
  debug_connection: ignored(["events"], 1, 1, false),

  http: { contexts: ["main"], args: [0, 0], isBlock: true, isSingle: true },
  // Tuning and static-file knobs a stock nginx.conf carries; they do not change proxying.
  access_log: ignored(HSL, 1, ANY, false),
  log_format: ignored(["http"], 2, ANY, false),
  sendfile: ignored(HSL, 1, 1),
  tcp_nopush: ignored(HSL, 1, 1),
  tcp_nodelay: ignored(HSL, 1, 1),
  server_tokens: ignored(HSL, 1, 1),
  types_hash_max_size: ignored(HSL, 1, 1),
  types_hash_bucket_size: ignored(HSL, 1, 1),
  server_names_hash_max_size: ignored(["http"], 1, 1),
  server_names_hash_bucket_size: ignored(["http"], 1, 1),
  variables_hash_max_size: ignored(["http"], 1, 1),
  variables_hash_bucket_size: ignored(["http"], 1, 1),
  types: { contexts: HSL, args: [0, 0], isBlock: true, isIgnored: true },
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
  keepalive_requests: ignored([...HSL, "upstream"], 1, 1),
  keepalive_timeout: ignored([...HSL, "upstream"], 1, 2),
  keepalive_time: ignored([...HSL, "upstream"], 1, 1),
  send_timeout: ignored(HSL, 1, 1),
  client_header_timeout: ignored(HS, 1, 1),
  client_header_buffer_size: ignored(HS, 1, 1),
  large_client_header_buffers: ignored(HS, 2, 2),
  proxy_temp_path: ignored(HSL, 1, 4),
  fastcgi_temp_path: ignored(HSL, 1, 4),
  uwsgi_temp_path: ignored(HSL, 1, 4),
  scgi_temp_path: ignored(HSL, 1, 4),
  proxy_buffers: ignored(HSL, 2, 2),
  proxy_busy_buffers_size: ignored(HSL, 1, 1),
  proxy_max_temp_file_size: ignored(HSL, 1, 1),
  proxy_temp_file_write_size: ignored(HSL, 1, 1),
  ignore_invalid_headers: single(HS),
  underscores_in_headers: single(HS),
  merge_slashes: single(HS),

  upstream: { contexts: ["http"], args: [1, 1], isBlock: true },
  server: { contexts: ["http", "upstream"], args: [0, ANY] },
  ip_hash: { contexts: ["upstream"], args: [0, 0] },
  hash: { contexts: ["upstream"], args: [1, 2] },
  least_conn: { contexts: ["upstream"], args: [0, 0] },
  random: { contexts: ["upstream"], args: [0, 2] },
  keepalive: single(["upstream"]),
  zone: ignored(["upstream"], 1, 2),

  listen: list(["server"], 1, ANY),
  server_name: list(["server"], 1, ANY),
  location: { contexts: ["server", "location"], args: [1, 2], isBlock: true },
  return: single(["server", "location"], 1, 2),
  proxy_pass: single(["location"]),
  default_type: single(HSL),
  proxy_buffer_size: single(HSL),

  client_max_body_size: single(HSL),
  client_body_buffer_size: single(HSL),
  client_body_timeout: single(HSL),
  client_body_temp_path: single(HSL, 1, 4),
  proxy_connect_timeout: single(HSL),
  proxy_send_timeout: single(HSL),
  proxy_read_timeout: single(HSL),
  proxy_http_version: single(HSL),
  proxy_request_buffering: single(HSL),
  proxy_buffering: single(HSL),
  proxy_pass_request_headers: single(HSL),
  proxy_pass_request_body: single(HSL),
  proxy_method: single(HSL),
  proxy_set_header: list(HSL, 2, 2),
  proxy_hide_header: list(HSL, 1, 1),
  proxy_pass_header: list(HSL, 1, 1),
  proxy_redirect: list(HSL, 1, 2),
  proxy_next_upstream: list(HSL, 1, ANY),
  proxy_next_upstream_tries: single(HSL),
  proxy_next_upstream_timeout: single(HSL),
  proxy_ignore_client_abort: single(HSL),
  proxy_ssl_server_name: single(HSL),
  proxy_ssl_name: single(HSL),
  proxy_ssl_verify: single(HSL),
} satisfies Record<string, DirectiveSpec>;

/** nginx directives edgeproxy knows but does not implement: a clearer error than "unknown". */
export const UNSUPPORTED = new Set([
  "root", "alias", "index", "try_files", "autoindex", "rewrite", "if", "set", "break",
  "error_page", "add_header", "expires", "limit_except", "limit_req", "limit_conn",
  "limit_req_zone", "limit_conn_zone", "internal", "resolver", "resolver_timeout",
  "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass",
  "ssl_certificate", "ssl_certificate_key", "auth_basic", "auth_basic_user_file",
  "auth_request", "sub_filter", "proxy_cache", "proxy_cache_path", "proxy_cache_valid",
  "proxy_cache_key", "proxy_intercept_errors", "proxy_set_body", "proxy_ssl_certificate",
  "proxy_ssl_certificate_key", "proxy_ssl_trusted_certificate", "proxy_ssl_protocols",
  "proxy_ssl_ciphers", "proxy_ssl_session_reuse", "proxy_ssl_verify_depth", "proxy_bind",
  "proxy_cookie_domain", "proxy_cookie_path", "proxy_ignore_headers", "proxy_store",
  "real_ip_header", "set_real_ip_from", "map", "geo", "split_clients", "stub_status",
  "sticky", "health_check", "ntlm", "least_time", "queue", "stream", "mail",
]);
