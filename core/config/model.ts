import type { AccessRules } from "../access/access-rules.ts";
import type { Cidr } from "../access/cidr.ts";
import type { Template } from "../shape/template.ts";
import type { SourceLocation } from "./errors.ts";
import type { Http2Settings } from "./modules/http2.ts";
import type { ProxySslSettings } from "./modules/proxy-ssl.ts";
import type { ServerTlsSettings } from "./modules/ssl.ts";

/**
 * The typed model every configuration compiles to, from nginx text or built in TypeScript.
 * Field names are the directives' in camelCase, with units: `proxy_read_timeout` is
 * `proxyReadTimeoutMs`, sizes are bytes, `fail_timeout` is whole seconds.
 */
export interface Config {
  /** `server {}` blocks, in file order. */
  readonly servers: readonly Server[];
  /** Every distinct address to listen on. */
  readonly listens: readonly Listen[];
  /** Explicit `upstream` blocks and the implicit ones `proxy_pass host:port` creates. */
  readonly upstreams: readonly Upstream[];
  /** `worker_processes`; the Node adapter reads it, the others ignore it. Default 1. */
  readonly workerProcesses: number | "auto";
  /**
   * `worker_shutdown_timeout`: how long a graceful stop waits for requests in flight. null when
   * not set: nginx then waits without bound, edgeproxy's adapters for 10 s.
   */
  readonly workerShutdownTimeoutMs: number | null;
  /** The main-level `error_log`: where and from which level; null = stderr at `error`. */
  readonly errorLog: ErrorLogTarget | null;
  /**
   * The client-connection settings of the `http` block (the http level of the server-level
   * directives below, and of `keepalive_timeout`, `keepalive_requests`, `send_timeout`): what a
   * connection gets before a server is known. Each server's own are in its `settings`, and the
   * head-reading ones of an address are its default server's (`clientLimits`).
   */
  readonly mergeSlashes: boolean;
  readonly clientHeaderTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  readonly sendTimeoutMs: number;
  readonly clientHeaderBufferSize: number;
  readonly largeClientHeaderBuffers: { readonly count: number; readonly size: number };
  readonly underscoresInHeaders: boolean;
  readonly ignoreInvalidHeaders: boolean;
  readonly maxHeaders: number;
  /** How many per-request slots the user variables (`map`, `set`, named captures) take. */
  readonly variableSlots: number;
  /**
   * The directory relative `ssl_*` and `proxy_ssl_*` file paths start from: the main file's,
   * as nginx's conf prefix; "" for the working directory.
   */
  readonly confPrefix: string;
  /** `limit_req_zone` and `limit_conn_zone`: the zones the limits count in. */
  readonly limitZones: readonly LimitZone[];
  /** `edgeproxy_state`: where peer health is shared with other servers; absent for none. */
  readonly sharedState?: SharedState;
}

/** `edgeproxy_state URL [prefix=P]`: a Redis (or Valkey) that the servers of a cluster share peer health through. */
export interface SharedState {
  readonly at: SourceLocation;
  /** `redis://host:port` or `rediss://` (TLS), with credentials and database as Redis URLs take them. */
  readonly url: string;
  /** What every key and channel starts with; default `edgeproxy:`. */
  readonly prefix: string;
}

/** `auth_request_set $var VALUE`: the variable's slot, and its value as the subrequest sees it. */
export interface AuthRequestSet {
  readonly slot: number;
  readonly value: Template;
}

/** The `gzip_proxied` conditions. */
export type GzipProxied = "off" | "expired" | "no-cache" | "no-store" | "private" | "no_last_modified" | "no_etag" | "auth" | "any";

/** A file named in the config with variables or not, and the directory a relative name starts at. */
export interface UserFile {
  readonly at: SourceLocation;
  readonly file: Template;
  /** The main config file's directory, with a trailing slash (nginx's conf prefix). */
  readonly prefix: string;
}

/** nginx's error-log levels the limit modules log at. */
export type LimitLogLevel = "info" | "notice" | "warn" | "error";

/**
 * A `limit_req_zone` or `limit_conn_zone`: nginx's shared memory zone of one limit module, by
 * name, counting per value of its key.
 */
export interface LimitZone {
  readonly kind: "limit_req" | "limit_conn";
  readonly name: string;
  /** Bytes, as declared (`zone=NAME:SIZE`). */
  readonly size: number;
  readonly key: Template;
  /** limit_req: the rate in requests per 1000 seconds (nginx's `ctx->rate`: `1r/s` is 1000); 0 for limit_conn. */
  readonly rate: number;
}

/** One `limit_req zone=NAME [burst=N] [nodelay | delay=N]`; in thousandths, as nginx keeps them. */
export interface LimitReq {
  readonly zone: LimitZone;
  /** `burst` x 1000. */
  readonly burst: number;
  /** Excess (x 1000) served without delay: 0 by default, everything with `nodelay`. */
  readonly delay: number;
}

/** One `limit_conn ZONE NUMBER`. */
export interface LimitConn {
  readonly zone: LimitZone;
  readonly conn: number;
}

/** Where an `error_log` writes, and from which level up. */
export interface ErrorLogTarget {
  readonly path: string;
  readonly level: "debug" | "info" | "notice" | "warn" | "error" | "crit" | "alert" | "emerg";
}

/**
 * A socket to listen on; `key` identifies it (`127.0.0.1:8080`, `*:8080`, `[::]:80`, `unix:/p`).
 * `ssl` and `http2` are the listen line's; nginx ORs them over every line of one address.
 */
export type Listen = (
  | { readonly kind: "tcp"; readonly key: string; readonly host: string | null; readonly port: number; readonly ipv6Only: boolean }
  | { readonly kind: "unix"; readonly key: string; readonly path: string }
) & {
  /** `listen ... ssl`: connections begin with a TLS handshake. */
  readonly ssl: boolean;
  /** `listen ... http2`: HTTP/2 by ALPN with `ssl`, by its preface (h2c) without. */
  readonly http2: boolean;
};

/** One `server {}` block. */
export interface Server {
  readonly at: SourceLocation;
  /** Its `listen` lines: the address, and whether this server is its `default_server`. */
  readonly listens: readonly { readonly key: string; readonly isDefault: boolean; readonly socket: Listen }[];
  /** `server_name` values as written, lower-cased; `[""]` when absent. */
  readonly names: readonly string[];
  readonly locations: readonly Location[];
  /** The server's own rewrite directives (`return`, `rewrite`, `set`, `if`...), run before a location is chosen. */
  readonly script: RewriteScript | null;
  /** The content handler of a request no location takes (`stub_status` at server level); null: none. */
  readonly handler: ContentHandler | null;
  /** What a request that matches no location gets; the server-level settings. */
  readonly settings: Settings;
}

/**
 * `location [modifier] name {}`, or an `if` block inside one: nginx makes each `if` an unnamed
 * location that inherits every setting of the enclosing one, and switches the request to it
 * when the condition holds (modifier `if`, the enclosing location's name).
 */
export interface Location {
  readonly at: SourceLocation;
  readonly modifier: "=" | "^~" | "" | "~" | "~*" | "@" | "if" | "limit_except";
  readonly name: string;
  /** Compiled once at load for `~` and `~*`. */
  readonly regex: RegExp | null;
  /** The regex's named groups and the slots of the variables they set (`(?<name>...)` makes `$name`). */
  readonly named?: readonly (readonly [group: string, slot: number])[];
  readonly children: readonly Location[];
  /** The location's rewrite directives, in order (its `if` blocks inside); null when it has none. */
  readonly script: RewriteScript | null;
  /**
   * The content handler this block sets (nginx's `clcf->handler`): `proxy` with a `proxy_pass`
   * of its own, a status page; null keeps the one the request has (none: 404 in a pure proxy).
   */
  readonly handler: ContentHandler | null;
  /** The `proxy_pass` this block proxies with: its own, or for an `if` block the enclosing one's. */
  readonly proxy: ProxyPass | VariableProxyPass | null;
  /** `internal`: only internal redirects (rewrites, error pages) reach it; a client request gets 404. */
  readonly isInternal: boolean;
  /**
   * `limit_except METHOD ... { }`: a request with another method runs in this block instead (a
   * location inside this one, with its settings and `proxy_pass`, and no rewrite directives).
   */
  readonly limitExcept: LimitExcept | null;
  readonly settings: Settings;
  /**
   * The location's own `health_check` lines (nginx Plus): active checks of its `proxy_pass`
   * upstream, probed with this location's proxy settings. Not inherited.
   */
  readonly healthChecks?: readonly HealthCheck[];
}

/**
 * What answers a request in the content phase: `proxy_pass`, `stub_status`, or edgeproxy's
 * status pages (`edgeproxy_metrics`, `edgeproxy_status`).
 */
export type ContentHandler = "proxy" | "stub_status" | "metrics" | "status";
/** `limit_except`: the methods that stay in the location (GET brings HEAD), and the block for the others. */
export interface LimitExcept {
  readonly methods: ReadonlySet<string>;
  readonly block: Location;
}

/** One `health_check [parameters]` line (nginx Plus's ngx_http_upstream_hc_module). */
export interface HealthCheck {
  readonly at: SourceLocation;
  /** `interval=`: between two checks of a peer; default 5 s. */
  readonly intervalMs: number;
  /** `jitter=`: each check is delayed by a random time up to this; default 0. */
  readonly jitterMs: number;
  /** `fails=`: consecutive failed checks that make a peer unhealthy; default 1. */
  readonly fails: number;
  /** `passes=`: consecutive passed checks that make it healthy again; default 1. */
  readonly passes: number;
  /** `uri=`: the request-target of the checks; default `/`. */
  readonly uri: string;
  /** `port=`: the port to check instead of the server's; null for the server's own. */
  readonly port: number | null;
  /** `match=`: the tests a response must pass; null is nginx's default, a 2xx or 3xx status. */
  readonly match: HealthMatch | null;
  /** `mandatory`: peers start `checking` (no requests) until their first check completes. */
  readonly isMandatory: boolean;
  /** `persistent` (with `mandatory`): a peer that was up before a reload stays up after it. */
  readonly isPersistent: boolean;
}

/** A `match NAME { ... }` block (http level): a response passes when it passes every test. */
export interface HealthMatch {
  readonly at: SourceLocation;
  readonly name: string;
  /** `status [!] CODE|FROM-TO ...`: null when the block tests no status. */
  readonly status: { readonly isNegated: boolean; readonly ranges: readonly (readonly [number, number])[] } | null;
  readonly headers: readonly HeaderTest[];
  /** `body [!]~ REGEX`, over the first 256 KiB of the body. */
  readonly body: { readonly regex: RegExp; readonly isNegated: boolean } | null;
  /** `require $var ...`: each must be neither empty nor "0". */
  readonly require: readonly Template[];
}

/** One `header` test of a `match` block, on the first header with the name (any case). */
export type HeaderTest =
  | { readonly kind: "present" | "absent"; readonly name: string }
  | { readonly kind: "equal"; readonly name: string; readonly value: string; readonly isNegated: boolean }
  | { readonly kind: "regex"; readonly name: string; readonly regex: RegExp; readonly isNegated: boolean };

/**
 * A `proxy_pass` URL and where it leads (docs/nginx-semantics.md 5.1): written in the config,
 * or (`fromVariables`) evaluated for one request from a URL with variables.
 */
export interface ProxyPass {
  readonly kind: "static";
  readonly url: string;
  readonly scheme: "http" | "https";
  readonly upstream: Upstream;
  /** The URI part (`/v1/` of `http://b/v1/`), or null when the URL has none. */
  readonly uri: string | null;
  /** `$proxy_host`: the host as written, with the port unless it is the scheme's default. */
  readonly proxyHost: string;
  /** `$proxy_port`: the port as text; empty for unix sockets. */
  readonly proxyPort: string;
  /** Evaluated from variables: a URI part is the whole request-target, arguments and all (5.3). */
  readonly fromVariables: boolean;
}

/** `proxy_pass` with variables: the URL is evaluated per request (docs/nginx-semantics.md 5.3). */
export interface VariableProxyPass {
  readonly kind: "variable";
  readonly at: SourceLocation;
  readonly url: Template;
}

/** A peer address: a host (name or IP literal) and port, or a unix socket path. */
export type PeerAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** One `server` line of an upstream, after name resolution: one per address. */
export interface UpstreamServer {
  readonly at: SourceLocation;
  /** The address as configured (`backend.local:8080`), used by `hash consistent` and logs. */
  readonly text: string;
  readonly address: PeerAddress;
  /** Default 1. */
  readonly weight: number;
  /** Default 1; 0 turns failure accounting off. */
  readonly maxFails: number;
  /** Whole seconds; default 10. */
  readonly failTimeoutSec: number;
  /** 0 = no limit. */
  readonly maxConns: number;
  readonly isDown: boolean;
  readonly isBackup: boolean;
  /** `route=` (nginx Plus): the name `sticky route` finds the server by, and the `sticky cookie` value. */
  readonly route?: string;
}

/** `sticky` (nginx Plus): session affinity on top of the upstream's balancing method. */
export type Sticky =
  /** `sticky cookie NAME ...`: edgeproxy sets a cookie naming the peer that answered; the client sends it back. */
  | {
      readonly kind: "cookie";
      readonly name: string;
      /** `expires=`: seconds, `max` (31 Dec 2037 23:55:55 GMT), or null for a session cookie. */
      readonly expires: number | "max" | null;
      readonly domain: string | null;
      readonly path: string | null;
      readonly isHttpOnly: boolean;
      readonly isSecure: boolean;
      /** `samesite=`: Strict, Lax, None, or a variable evaluated per response; null for none. */
      readonly sameSite: "Strict" | "Lax" | "None" | Template | null;
    }
  /** `sticky route $var ...`: the first non-empty variable names the server by its `route=`. */
  | { readonly kind: "route"; readonly routes: readonly Template[] }
  /**
   * `sticky learn create=$v lookup=$v zone=NAME:SIZE [timeout=T] [header]`: sessions the upstream
   * created, learned, in the memory of one process.
   */
  | {
      readonly kind: "learn";
      /** The `sticky` line: a runtime whose processes cannot share the sessions refuses it there. */
      readonly at: SourceLocation;
      /**
       * Where new sessions come from, the first non-empty: a variable after the response, or the
       * upstream response's cookie or header (`$upstream_cookie_NAME`, `$upstream_http_NAME`).
       */
      readonly create: readonly (Template | { readonly from: "cookie" | "header"; readonly name: string })[];
      readonly lookup: readonly Template[];
      /** How many sessions the zone holds (about 8000 per megabyte, as nginx Plus says). */
      readonly capacity: number;
      readonly timeoutMs: number;
    };

/** The balancing method of an upstream (docs/nginx-semantics.md 2-4). */
export type Balancer =
  | { readonly kind: "round-robin" }
  | { readonly kind: "ip_hash" }
  | { readonly kind: "hash"; readonly key: Template; readonly isConsistent: boolean }
  | { readonly kind: "least_conn" }
  | { readonly kind: "random"; readonly two: boolean };

/** An `upstream {}` block, or the implicit one a `proxy_pass` host creates. */
export interface Upstream {
  readonly at: SourceLocation;
  readonly name: string;
  readonly isImplicit: boolean;
  readonly servers: readonly UpstreamServer[];
  readonly balancer: Balancer;
  /** `keepalive N`: idle connections kept per process; 0 = off (the 1.22 default). */
  readonly keepalive: number;
  readonly keepaliveRequests: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveTimeMs: number;
  /** `sticky` (nginx Plus); absent without one. */
  readonly sticky?: Sticky;
}

/** One `proxy_set_header NAME VALUE` (or a built-in default). */
export interface HeaderSetting {
  readonly name: string;
  readonly lowerName: string;
  readonly value: Template;
}

/** The `proxy_next_upstream` conditions, as nginx's tokens. */
export type NextUpstreamToken =
  | "error"
  | "timeout"
  | "invalid_header"
  | "http_500"
  | "http_502"
  | "http_503"
  | "http_504"
  | "http_403"
  | "http_404"
  | "http_429"
  | "non_idempotent";

/**
 * `proxy_redirect`: nginx's implicit default (each location's own, from its static
 * `proxy_pass`), off, or rules tried in order (`proxy_redirect default` written out is one of
 * them, fixed where it was written).
 */
export type RedirectSetting =
  | { readonly kind: "default" }
  | { readonly kind: "off" }
  | { readonly kind: "rules"; readonly rules: readonly ValueRewrite[] };

/**
 * One rewrite of a header value (`proxy_redirect`, `proxy_cookie_domain`, `proxy_cookie_path`,
 * `ngx_http_proxy_rewrite_t`): a text to find (with variables; a prefix for redirects and
 * paths, the whole value for domains) whose match is replaced, or a regex whose match
 * replaces the whole value, its captures (named ones as variables) in the replacement.
 */
export type ValueRewrite =
  | { readonly kind: "text"; readonly from: Template; readonly to: Template }
  | {
      readonly kind: "regex";
      readonly from: RegExp;
      readonly named: readonly (readonly [group: string, slot: number])[];
      readonly to: Template;
    };

/** One `proxy_cookie_flags COOKIE FLAG...` line: the cookie by name (any case, with variables) or regex, and its flags. */
export interface CookieFlags {
  readonly cookie: Template | { readonly regex: RegExp; readonly named: readonly (readonly [group: string, slot: number])[] };
  /** `secure`, `httponly`, `samesite=strict|lax|none`, `nosecure`, `nohttponly`, `nosamesite`; variables allowed. */
  readonly flags: readonly Template[];
}

/** `resolver ADDRESS... [valid=TIME] [ipv6=on|off]`: where names of `proxy_pass` with variables are asked. */
export interface ResolverSetting {
  readonly at: SourceLocation;
  /** `host` or `host:port` (port 53 by default), IPv6 in brackets. */
  readonly servers: readonly string[];
  /** `valid=`: how long an answer is kept, instead of its TTL; null keeps the TTL. */
  readonly validSec: number | null;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

/** One `access_log PATH [FORMAT] [if=COND]`: where lines go and what they say. */
export interface AccessLog {
  readonly path: string;
  readonly format: Template;
  /** `log_format ... escape=`: how variable values are escaped in the line. */
  readonly escape: "default" | "json" | "none";
  /** `if=`: the line is skipped when this evaluates to "" or "0". */
  readonly condition: Template | null;
}

/** Every per-location setting, merged from http, server and enclosing locations. */
export interface Settings extends ServerTlsSettings, Http2Settings, ProxySslSettings {
  /** `access_log` lines of this level (all or nothing, like nginx); empty = off (the default here). */
  readonly accessLogs: readonly AccessLog[];
  /** `error_log` of this block or the nearest enclosing one below main; null = the main one. */
  readonly errorLog: ErrorLogTarget | null;
  /** `default_type`: the Content-Type of `return` bodies. nginx's built-in default is text/plain. */
  readonly defaultType: string;
  /** Bytes; 0 disables the check. Default 1m. */
  readonly clientMaxBodySize: number;
  /** Bytes; default 8k (two pages, as nginx on x86-64). */
  readonly clientBodyBufferSize: number;
  readonly clientBodyTimeoutMs: number;
  /** Where large bodies are spooled; null = the adapter's temp directory. */
  readonly clientBodyTempPath: string | null;
  readonly proxyConnectTimeoutMs: number;
  readonly proxySendTimeoutMs: number;
  readonly proxyReadTimeoutMs: number;
  readonly proxyHttpVersion: "1.0" | "1.1";
  /** `proxy_buffer_size`: the largest upstream response head; bigger is a 502. Default 4k. */
  readonly proxyBufferSize: number;
  readonly proxyRequestBuffering: boolean;
  /** `proxy_buffering`: read the response as fast as the upstream sends it, into memory then a temp file. */
  readonly proxyBuffering: boolean;
  /** `proxy_buffers N SIZE`: what a response may hold in memory before it goes to a temp file. Default 8 4k. */
  readonly proxyBuffers: { readonly count: number; readonly size: number };
  /** `proxy_busy_buffers_size`; -1 until set: twice the larger of `proxy_buffer_size` and one buffer. */
  readonly proxyBusyBuffersSize: number;
  /** `proxy_temp_file_write_size`; -1 until set: the same default. */
  readonly proxyTempFileWriteSize: number;
  /** `proxy_max_temp_file_size`; 0 keeps responses in memory only; -1 until set: 1024m. */
  readonly proxyMaxTempFileSize: number;
  /** `proxy_temp_path` (its levels are accepted, not used); null = the adapter's temp directory. */
  readonly proxyTempPath: string | null;
  readonly proxyPassRequestHeaders: boolean;
  readonly proxyPassRequestBody: boolean;
  /** `proxy_method`: the upstream request's method, with variables; null keeps the client's. */
  readonly proxyMethod: Template | null;
  /** `proxy_set_body`: the upstream request's body instead of the client's; null sends the client's. */
  readonly proxySetBody: Template | null;
  /** The location's own or inherited `proxy_set_header` list (all or nothing, 1.6). */
  readonly proxySetHeaders: readonly HeaderSetting[];
  /** Lower-case names. */
  readonly proxyHideHeaders: readonly string[];
  readonly proxyPassHeaders: readonly string[];
  readonly proxyRedirect: RedirectSetting;
  /** `proxy_cookie_domain` rules (all or nothing); empty: none, or `off`. */
  readonly proxyCookieDomains: readonly ValueRewrite[];
  /** `proxy_cookie_path` rules (all or nothing); empty: none, or `off`. */
  readonly proxyCookiePaths: readonly ValueRewrite[];
  /** `proxy_cookie_flags` lines (all or nothing); empty: none, or `off`. */
  readonly proxyCookieFlags: readonly CookieFlags[];
  /** `resolver`; null: names in `proxy_pass` with variables are not resolved (502, as nginx). */
  readonly resolver: ResolverSetting | null;
  /** `resolver_timeout`. Default 30s. */
  readonly resolverTimeoutMs: number;
  readonly proxyNextUpstream: ReadonlySet<NextUpstreamToken>;
  /** 0 = no cap. */
  readonly proxyNextUpstreamTries: number;
  /** 0 = no cap. */
  readonly proxyNextUpstreamTimeoutMs: number;
  readonly proxyIgnoreClientAbort: boolean;
  readonly proxySslServerName: boolean;
  readonly proxySslName: Template | null;
  readonly proxySslVerify: boolean;
  /** `add_header` lines of this level (all or nothing, as nginx inherits them); applied by the headers filter. */
  readonly addHeaders: readonly AddHeader[];
  /** `add_trailer` lines of this level (all or nothing). */
  readonly addTrailers: readonly AddHeader[];
  /** `expires`; `off` (the default) sets nothing. */
  readonly expires: ExpiresSetting;
  /** `error_page` lines of this level, one per status (all or nothing). */
  readonly errorPages: readonly ErrorPage[];
  /** `recursive_error_pages`: an error page's own errors may use error_page again. Default off. */
  readonly recursiveErrorPages: boolean;
  /** `proxy_intercept_errors`: an upstream status from 300 up with an `error_page` gets that page. Default off. */
  readonly proxyInterceptErrors: boolean;
  /** `rewrite_log`: the rewrite module's matches and results at `notice` in the error log. Default off. */
  readonly rewriteLog: boolean;
  /** `uninitialized_variable_warn`: warn when a `set` variable is read before it is set. Default on. */
  readonly uninitializedVariableWarn: boolean;
  /** `allow` and `deny` lines of this level (all or nothing, as nginx inherits them); null: none. */
  readonly access: AccessRules | null;
  /** `satisfy`: whether every access check must pass, or one. Default all. */
  readonly satisfy: "all" | "any";
  /** `auth_basic`: the realm (`off` turns it off); null when not set. */
  readonly authBasic: Template | null;
  /** `auth_basic_user_file`: the htpasswd file, read on each request as nginx reads it; null when not set. */
  readonly authBasicUserFile: UserFile | null;
  /** `auth_request`: the URI of the subrequest that decides; "" for none (`off`, the default). */
  readonly authRequest: string;
  /** `auth_request_set` lines of this level (all or nothing). */
  readonly authRequestSet: readonly AuthRequestSet[];
  /** `limit_req` lines of this level (all or nothing). */
  readonly limitReqs: readonly LimitReq[];
  /** `limit_req_status`: the answer to a rejected request. Default 503. */
  readonly limitReqStatus: number;
  /** `limit_req_log_level`: rejections at this level, delays one below. Default error. */
  readonly limitReqLogLevel: LimitLogLevel;
  /** `limit_req_dry_run`: count and log, never reject or delay. */
  readonly limitReqDryRun: boolean;
  /** `limit_conn` lines of this level (all or nothing). */
  readonly limitConns: readonly LimitConn[];
  readonly limitConnStatus: number;
  readonly limitConnLogLevel: LimitLogLevel;
  readonly limitConnDryRun: boolean;
  /** `gzip`: compress responses for clients that take gzip. Default off. */
  readonly gzip: boolean;
  /** `gzip_types`: the response types compressed (text/html always), or `*` for any. */
  readonly gzipTypes: ReadonlySet<string> | "*";
  /** `gzip_min_length`: bytes; a response with a shorter Content-Length is sent as it is. Default 20. */
  readonly gzipMinLength: number;
  /** `gzip_comp_level`: 1 to 9. Default 1. */
  readonly gzipCompLevel: number;
  /** `gzip_proxied`: which responses to a request that came through a proxy (`Via`) are compressed. Default off. */
  readonly gzipProxied: ReadonlySet<GzipProxied>;
  /** `gzip_vary`: `Vary: Accept-Encoding` on responses gzip considered. Default off. */
  readonly gzipVary: boolean;
  /** `gzip_disable`: User-Agents that get no gzip. */
  readonly gzipDisable: { readonly msie6: boolean; readonly patterns: readonly RegExp[] };
  /** `gzip_http_version`: the least request version that gets gzip. Default 1.1. */
  readonly gzipHttpVersion: "1.0" | "1.1";
  /** `gzip_window` as zlib's window bits (9-15). Default 15. */
  readonly gzipWindowBits: number;
  /** `gzip_hash` as zlib's memLevel (1-9). Default 8. */
  readonly gzipMemLevel: number;
  /** `set_real_ip_from` networks of this level (all or nothing); null: the realip module is off. */
  readonly realIpFrom: readonly Cidr[] | null;
  /** `real_ip_header`: where the client address is read. Default `X-Real-IP`. */
  readonly realIpHeader: RealIpHeader;
  /** `real_ip_recursive`: skip trusted addresses from the right of the header. Default off. */
  readonly realIpRecursive: boolean;

  // Client connections (ngx_http_core_module). These are read from the default server of the
  // address a connection came to, as nginx reads them before it knows the request's server:
  /** `merge_slashes`. Default on. */
  readonly mergeSlashes: boolean;
  /** `client_header_timeout`: a head must arrive within it, or the connection closes silently. Default 60s. */
  readonly clientHeaderTimeoutMs: number;
  /** `client_header_buffer_size`: a request head's first buffer, bytes. Default 1k. */
  readonly clientHeaderBufferSize: number;
  /** `large_client_header_buffers`: a line must fit one, a head `count` of them. Default 4 8k. */
  readonly largeClientHeaderBuffers: { readonly count: number; readonly size: number };
  /** `underscores_in_headers`: keep header names with `_`. Default off. */
  readonly underscoresInHeaders: boolean;
  /** `ignore_invalid_headers`: drop header names with bytes other than letters, digits, `-`. Default on. */
  readonly ignoreInvalidHeaders: boolean;
  /** `max_headers` (Debian's 1.22.1, from later nginx): more header lines is a 400. Default 1000. */
  readonly maxHeaders: number;
  // ...and these from the location that answers (ngx_http_update_location_config(), ngx_http_set_keepalive()):
  /** `keepalive_timeout`: an idle client connection's life after this response; 0 disables keep-alive. Default 75s. */
  readonly keepaliveTimeoutMs: number;
  /** `keepalive_timeout`'s second value: `Keep-Alive: timeout=N` on kept responses; null for none. */
  readonly keepaliveHeaderSec: number | null;
  /** `keepalive_requests`: requests per client connection. Default 1000. */
  readonly keepaliveRequests: number;
  /** `keepalive_time`: how long one client connection may take requests. Default 1h. */
  readonly keepaliveTimeMs: number;
  /** `keepalive_disable`: the browsers keep-alive is off for (`msie6`, the default: for POST only). */
  readonly keepaliveDisable: { readonly msie6: boolean; readonly safari: boolean };
  /** `send_timeout`: longest wait for a client to take response bytes. Default 60s. */
  readonly sendTimeoutMs: number;
  /** `chunked_transfer_encoding`: off sends a response of unknown length unframed, then closes. Default on. */
  readonly chunkedTransferEncoding: boolean;
  /** `absolute_redirect`: a `Location` nginx makes from a path gets the scheme and host. Default on. */
  readonly absoluteRedirect: boolean;
  /** `port_in_redirect`: ...and the port, unless it is the scheme's default. Default on. */
  readonly portInRedirect: boolean;
  /** `server_name_in_redirect`: ...with the server's first name instead of the request's host. Default off. */
  readonly serverNameInRedirect: boolean;
  /** `server_tokens`: checked; edgeproxy never names its version (its `Server` is always `edgeproxy`). */
  readonly serverTokens: "on" | "off" | "build";
}

/** `real_ip_header`: `X-Real-IP`, `X-Forwarded-For` (every line of it), or any other header's first line. */
export type RealIpHeader =
  | { readonly kind: "x-real-ip" }
  | { readonly kind: "x-forwarded-for" }
  | { readonly kind: "header"; readonly lowerName: string };

/** One `add_header` or `add_trailer` line (ngx_http_headers_filter_module). */
export interface AddHeader {
  readonly name: string;
  readonly value: Template;
  /** `always`: on every status, not only nginx's safe ones (200, 201, 204, 206, 301-304, 307, 308). */
  readonly always: boolean;
  /**
   * `ETag` and `Last-Modified` replace the response's own (an empty value removes it); other
   * names are added, an empty value adding nothing (`ngx_http_set_headers`).
   */
  readonly replaces: boolean;
}

/** One status of an `error_page CODE... [=[RESPONSE]] URI|@name|URL` line (`ngx_http_core_error_page()`). */
export interface ErrorPage {
  readonly status: number;
  /** `=CODE`: the response's status; `=` alone (0): whatever the page answers; null: the error's own. */
  readonly overwrite: number | null;
  /** A URI (an internal redirect), `@name` (a named location) or a URL (a redirect). */
  readonly target: Template;
  /** The arguments after `?` of a URI without variables, split at load; null for none. */
  readonly args: string | null;
}

/** `expires` (`ngx_http_headers_expires()`), parsed at load unless it holds variables. */
export type ExpiresSetting =
  | { readonly kind: "off" | "epoch" | "max" }
  /** `expires [modified] [+|-]TIME`: from now (or the response's Last-Modified), in seconds. */
  | { readonly kind: "access" | "modified"; readonly seconds: number }
  /** `expires @TIME`: the next time the clock shows this time of day (seconds after midnight, local time). */
  | { readonly kind: "daily"; readonly seconds: number }
  /** A value with variables, parsed per response; a value that does not parse sets nothing. */
  | { readonly kind: "variable"; readonly isModified: boolean; readonly value: Template };

/** A block's rewrite-module directives, compiled in order (nginx's script codes). */
export type RewriteScript = readonly RewriteOp[];

/** One rewrite-module directive (`ngx_http_rewrite_module.c`). */
export type RewriteOp = RewriteRule | ReturnOp | SetOp | IfOp | { readonly kind: "break" };

/** `rewrite REGEX REPLACEMENT [last|break|redirect|permanent]`. */
export interface RewriteRule {
  readonly kind: "rewrite";
  readonly at: SourceLocation;
  /** The pattern as written, for `rewrite_log`. */
  readonly pattern: string;
  readonly regex: RegExp;
  /** Named groups and the slots of the variables they set. */
  readonly named: readonly (readonly [group: string, slot: number])[];
  /** The replacement up to its `?` (for a redirect: all of it); a trailing `?` is not part of it. */
  readonly replacement: Template;
  /** The arguments after a `?` in the replacement (not for redirects); null without one. */
  readonly args: Template | null;
  /** The replacement names arguments (a literal `?`): the request's are appended with `&`. */
  readonly hasArgs: boolean;
  /** The request's arguments are kept (no trailing `?`). */
  readonly addArgs: boolean;
  /** `last` and `break` stop the script; a redirect answers with its status. */
  readonly flag: "last" | "break" | null;
  /** 301 or 302 for a redirect (`permanent`, `redirect`, or a replacement starting with a scheme); 0 otherwise. */
  readonly redirect: 0 | 301 | 302;
}

/** `return CODE [TEXT|URL]`, `return URL`. */
export interface ReturnOp {
  readonly kind: "return";
  readonly status: number;
  readonly text: Template | null;
}

/** `set $name VALUE`. */
export interface SetOp {
  readonly kind: "set";
  readonly value: Template;
  /** Where the value goes: a variable's slot, or `$args`, which changes the request's arguments. */
  readonly target: { readonly kind: "slot"; readonly slot: number } | { readonly kind: "args" };
}

/** `if (CONDITION) { ... }`: its rewrite directives run when the condition holds. */
export interface IfOp {
  readonly kind: "if";
  readonly at: SourceLocation;
  readonly condition: Condition;
  readonly body: RewriteScript;
  /** The block the request switches to (a location's `if`); null for a server's `if`. */
  readonly block: Location | null;
}

/** The condition of an `if`. */
export type Condition =
  /** `($var)`: true unless empty or "0". */
  | { readonly kind: "variable"; readonly value: Template }
  /** `($var = text)`, `($var != text)`. */
  | { readonly kind: "equal"; readonly left: Template; readonly right: Template; readonly isNegated: boolean }
  /** `($var ~ re)`, `~*`, `!~`, `!~*`: a match sets the captures. */
  | {
      readonly kind: "regex";
      readonly left: Template;
      readonly pattern: string;
      readonly regex: RegExp;
      readonly named: readonly (readonly [group: string, slot: number])[];
      readonly isNegated: boolean;
    }
  /** `(-f path)`, `-d`, `-e`, `-x` and their `!` forms. */
  | { readonly kind: "file"; readonly test: "f" | "d" | "e" | "x"; readonly path: Template; readonly isNegated: boolean };
