import { ANY, block, type DirectiveSpec, ignored, single } from "../directive-spec.ts";

/** ngx_http_upstream_module and its balancers; compiled with their block (config/upstream.ts). */
export const UPSTREAM_DIRECTIVES = {
  upstream: block(["http"], 1, 1),
  ip_hash: { contexts: ["upstream"], args: [0, 0] },
  hash: { contexts: ["upstream"], args: [1, 2] },
  least_conn: { contexts: ["upstream"], args: [0, 0] },
  random: { contexts: ["upstream"], args: [0, 2] },
  keepalive: single(["upstream"]),
  // nginx Plus's session affinity (config/sticky.ts).
  sticky: single(["upstream"], 1, ANY),
  zone: ignored(["upstream"], 1, 2),
} satisfies Record<string, DirectiveSpec>;
