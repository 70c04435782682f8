import { block, type DirectiveSpec, single } from "../directive-spec.ts";

/** ngx_http_map_module; compiled by config/map.ts. */
export const MAP_DIRECTIVES = {
  map: block(["http"], 2, 2),
  map_hash_max_size: single(["http"]),
  map_hash_bucket_size: single(["http"]),
} satisfies Record<string, DirectiveSpec>;
