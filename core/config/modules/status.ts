import { type DirectiveSpec, list } from "../directive-spec.ts";
import type { ContentHandler } from "../model.ts";

/**
 * ngx_http_stub_status_module, and edgeproxy's own status pages beside it: each sets the
 * content handler of the block it stands in (config/compile.ts), as `proxy_pass` does; the
 * last of them in a block wins, as in nginx. Off unless configured; restricted like any
 * location.
 */
export const STATUS_DIRECTIVES = {
  // The argument is accepted and ignored, as since nginx 1.7.5 (`stub_status on` in old configs).
  stub_status: list(["server", "location"], 0, 1),
  // The Prometheus text exposition of the counters and the peers' state (status/prometheus.ts).
  edgeproxy_metrics: list(["location"], 0, 0),
  // Every upstream peer's health and counts as JSON, shaped as the nginx Plus API's `/http/upstreams` (status/upstreams-json.ts).
  edgeproxy_status: list(["location"], 0, 0),
} satisfies Record<string, DirectiveSpec>;

/** The directives that set a block's content handler, and the handler each sets. */
export const CONTENT_HANDLERS: ReadonlyMap<string, ContentHandler> = new Map<string, ContentHandler>([
  ["proxy_pass", "proxy"],
  ["stub_status", "stub_status"],
  ["edgeproxy_metrics", "metrics"],
  ["edgeproxy_status", "status"],
]);
