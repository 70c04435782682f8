import { ANY, block, type DirectiveSpec, ignored, single } from "../directive-spec.ts";

/**
 * The main and events contexts (nginx.c, ngx_event.c; docs/nginx-semantics.md 1.7): process
 * management, accepted so a stock nginx.conf loads; the compiler reads `worker_processes` and
 * `worker_shutdown_timeout`.
 */
export const MAIN_DIRECTIVES = {
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
  worker_shutdown_timeout: single(["main"]),
  working_directory: ignored(["main"], 1, 1),
  env: ignored(["main"], 1, 1, false),
  load_module: ignored(["main"], 1, 1, false),
  timer_resolution: ignored(["main"], 1, 1),
  debug_points: ignored(["main"], 1, 1),
  pcre_jit: ignored(["main"], 1, 1),
  thread_pool: ignored(["main"], 2, 3, false),
  ssl_engine: ignored(["main"], 1, 1),
  events: block(["main"], 0, 0, true),
  worker_connections: ignored(["events"], 1, 1),
  use: ignored(["events"], 1, 1),
  multi_accept: ignored(["events"], 1, 1),
  accept_mutex: ignored(["events"], 1, 1),
  accept_mutex_delay: ignored(["events"], 1, 1),
  debug_connection: ignored(["events"], 1, 1, false),
} satisfies Record<string, DirectiveSpec>;
