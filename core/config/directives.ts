import type { DirectiveSpec } from "./directive-spec.ts";
import { ACCESS_DIRECTIVES } from "./modules/access.ts";
import { AUTH_BASIC_DIRECTIVES } from "./modules/auth-basic.ts";
import { AUTH_REQUEST_DIRECTIVES } from "./modules/auth-request.ts";
import { EDGEPROXY_DIRECTIVES } from "./modules/edgeproxy.ts";
import { GZIP_DIRECTIVES } from "./modules/gzip.ts";
import { HEADERS_DIRECTIVES } from "./modules/headers.ts";
import { HEALTH_CHECK_DIRECTIVES } from "./modules/health-check.ts";
import { HTTP_CORE_DIRECTIVES } from "./modules/http-core.ts";
import { HTTP2_DIRECTIVES } from "./modules/http2.ts";
import { IGNORED_DIRECTIVES } from "./modules/ignored.ts";
import { LIMIT_CONN_DIRECTIVES } from "./modules/limit-conn.ts";
import { LIMIT_REQ_DIRECTIVES } from "./modules/limit-req.ts";
import { LOG_DIRECTIVES } from "./modules/log.ts";
import { MAIN_DIRECTIVES } from "./modules/main.ts";
import { MAP_DIRECTIVES } from "./modules/map.ts";
import { PROXY_DIRECTIVES } from "./modules/proxy.ts";
import { PROXY_SSL_DIRECTIVES } from "./modules/proxy-ssl.ts";
import { REALIP_DIRECTIVES } from "./modules/realip.ts";
import { REWRITE_DIRECTIVES } from "./modules/rewrite.ts";
import { SSL_DIRECTIVES } from "./modules/ssl.ts";
import { STATUS_DIRECTIVES } from "./modules/status.ts";
import { UPSTREAM_DIRECTIVES } from "./modules/upstream.ts";

/**
 * Every directive edgeproxy accepts, one row each, gathered from one table per nginx module
 * (config/modules/), as nginx gathers its modules' `ngx_command_t` tables
 * (docs/nginx-semantics.md 1.5). A new module adds its file and one line here.
 */
export const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = {
  ...MAIN_DIRECTIVES,
  ...HTTP_CORE_DIRECTIVES,
  ...LOG_DIRECTIVES,
  ...MAP_DIRECTIVES,
  ...UPSTREAM_DIRECTIVES,
  ...HEALTH_CHECK_DIRECTIVES,
  ...PROXY_DIRECTIVES,
  ...REWRITE_DIRECTIVES,
  ...HEADERS_DIRECTIVES,
  ...SSL_DIRECTIVES,
  ...HTTP2_DIRECTIVES,
  ...PROXY_SSL_DIRECTIVES,
  ...STATUS_DIRECTIVES,
  ...REALIP_DIRECTIVES,
  ...ACCESS_DIRECTIVES,
  ...AUTH_BASIC_DIRECTIVES,
  ...AUTH_REQUEST_DIRECTIVES,
  ...LIMIT_REQ_DIRECTIVES,
  ...LIMIT_CONN_DIRECTIVES,
  ...GZIP_DIRECTIVES,
  ...IGNORED_DIRECTIVES,
  ...EDGEPROXY_DIRECTIVES,
};
