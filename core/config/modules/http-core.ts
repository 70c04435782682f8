import { ANY, block, type DirectiveSpec, HS, HSL, list, single } from "../directive-spec.ts";
import { compileErrorPage } from "../error-page.ts";
import { compileResolver } from "../resolver.ts";
import { arg0, fail, flagSetting, largeBuffers, offsetSetting, sizeSetting, stringSetting, timeSetting } from "../settings.ts";
import { parseNumber, parseTimeMs, parseTimeSec } from "../values.ts";

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

  // Client connections. The head-reading ones apply from the default server of an address
  // (ngx_http_wait_request_handler() reads before it knows the server); the others from the
  // location that answers.
  ignore_invalid_headers: single(HS, 1, 1, flagSetting("ignoreInvalidHeaders")),
  underscores_in_headers: single(HS, 1, 1, flagSetting("underscoresInHeaders")),
  merge_slashes: single(HS, 1, 1, flagSetting("mergeSlashes")),
  client_header_timeout: single(HS, 1, 1, timeSetting("clientHeaderTimeoutMs")),
  client_header_buffer_size: single(HS, 1, 1, sizeSetting("clientHeaderBufferSize")),
  large_client_header_buffers: single(HS, 2, 2, (own, d) => {
    own.largeClientHeaderBuffers = largeBuffers(d);
  }),
  // Debian's 1.22.1 has it, from later nginx: more header lines than this is a 400.
  max_headers: single(HS, 1, 1, (own, d) => {
    own.maxHeaders = parseNumber(arg0(d)) ?? fail(d, `"${d.name}" directive invalid number`);
  }),
  send_timeout: single(HSL, 1, 1, timeSetting("sendTimeoutMs")),
  // The same names in `upstream` are the keepalive module's (compiled with the upstream).
  keepalive_timeout: single([...HSL, "upstream"], 1, 2, (own, d) => {
    own.keepaliveTimeoutMs = parseTimeMs(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
    const header = d.args[1];
    own.keepaliveHeaderSec = header === undefined ? null : (parseTimeSec(header) ?? fail(d, `"${d.name}" directive invalid value`));
  }),
  keepalive_requests: single([...HSL, "upstream"], 1, 1, (own, d) => {
    own.keepaliveRequests = parseNumber(arg0(d)) ?? fail(d, `"${d.name}" directive invalid number`);
  }),
  keepalive_time: single([...HSL, "upstream"], 1, 1, timeSetting("keepaliveTimeMs")),
  keepalive_disable: single(HSL, 1, ANY, (own, d) => {
    const off = { msie6: false, safari: false };
    for (const v of d.args) {
      if (v === "msie6" || v === "safari") off[v] = true;
      else if (v !== "none") fail(d, `invalid value "${v}"`);
    }
    own.keepaliveDisable = off;
  }),
  chunked_transfer_encoding: single(HSL, 1, 1, flagSetting("chunkedTransferEncoding")),
  absolute_redirect: single(HSL, 1, 1, flagSetting("absoluteRedirect")),
  port_in_redirect: single(HSL, 1, 1, flagSetting("portInRedirect")),
  server_name_in_redirect: single(HSL, 1, 1, flagSetting("serverNameInRedirect")),
  server_tokens: single(HSL, 1, 1, (own, d) => {
    const v = arg0(d);
    if (v !== "on" && v !== "off" && v !== "build") fail(d, `invalid value "${v}"`);
    own.serverTokens = v;
  }),
} satisfies Record<string, DirectiveSpec>;
