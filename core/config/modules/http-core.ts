import { ANY, block, type DirectiveSpec, HS, HSL, ignored, list, single } from "../directive-spec.ts";
import { compileErrorPage } from "../error-page.ts";
import { compileResolver } from "../resolver.ts";
import { flagSetting, offsetSetting, sizeSetting, stringSetting, timeSetting } from "../settings.ts";

/**
 * ngx_http_core_module's directives. The blocks (`http`, `server`, `location`) and the
 * connection-level ones are compiled by the compiler itself; the rest write settings.
 */
export const HTTP_CORE_DIRECTIVES = {
  http: block(["main"], 0, 0, true),
  // A block in http and a simple directive in upstream: two commands in nginx, one row here.
  server: { contexts: ["http", "upstream"], args: [0, ANY] },
  listen: list(["server"], 1, ANY),
  server_name: list(["server"], 1, ANY),
  location: block(["server", "location"], 1, 2),
  internal: single(["location"], 0, 0),
  limit_except: block(["location"], 1, ANY, true),
  types: { contexts: HSL, args: [0, 0], isBlock: true, isIgnored: true },
  default_type: single(HSL, 1, 1, stringSetting("defaultType")),

  client_max_body_size: single(HSL, 1, 1, offsetSetting("clientMaxBodySize")),
  error_page: list([...HSL, "lif"], 2, ANY, (own, d, env) => {
    own.errorPages = [...(own.errorPages ?? []), ...compileErrorPage(d, env.scope)];
  }),
  recursive_error_pages: single(HSL, 1, 1, flagSetting("recursiveErrorPages")),
  resolver: single(HSL, 1, ANY, (own, d, env) => {
    own.resolver = compileResolver(d);
    env.resolvers.push(own.resolver);
  }),
  resolver_timeout: single(HSL, 1, 1, timeSetting("resolverTimeoutMs")),
  client_body_buffer_size: single(HSL, 1, 1, sizeSetting("clientBodyBufferSize")),
  client_body_timeout: single(HSL, 1, 1, timeSetting("clientBodyTimeoutMs")),
  client_body_temp_path: single(HSL, 1, 4, (own, d) => {
    own.clientBodyTempPath = d.args[0] as string;
  }),

  // Client connection settings: read at http level (compile.ts), accepted below it.
  ignore_invalid_headers: single(HS),
  underscores_in_headers: single(HS),
  merge_slashes: single(HS),
  client_header_timeout: ignored(HS, 1, 1),
  client_header_buffer_size: ignored(HS, 1, 1),
  large_client_header_buffers: ignored(HS, 2, 2),
  send_timeout: ignored(HSL, 1, 1),
  // The same names in `upstream` are the keepalive module's (compiled with the upstream).
  keepalive_requests: ignored([...HSL, "upstream"], 1, 1),
  keepalive_timeout: ignored([...HSL, "upstream"], 1, 2),
  keepalive_time: ignored([...HSL, "upstream"], 1, 1),

  // Tuning and static-file knobs a stock nginx.conf carries; they do not change proxying.
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
} satisfies Record<string, DirectiveSpec>;
