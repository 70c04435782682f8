import { parseAddress } from "../access/address.ts";
import { basicCredentials } from "../access/basic-credentials.ts";
import type { HeaderPairs } from "../exchange.ts";
import { serverName } from "../shape/redirect.ts";
import { findHeader, findHeaders, type RequestContext, type UpstreamAttempt } from "../shape/request-context.ts";
import type { VariableGetter } from "../shape/template.ts";
import { ACTIVE, READING, WAITING, WRITING } from "../status/layout.ts";
import { SSL_VARIABLES } from "./ssl.ts";

/**
 * nginx's fixed variables (`ngx_http_variables.c`, `ngx_http_proxy_module.c`) that edgeproxy
 * has. They read the request directly, so unlike user variables they need no per-request slot.
 */
const FIXED: Record<string, VariableGetter> = {
  host: keepsEmpty((c) => c.host),
  remote_addr: (c) => c.connection.remoteAddress,
  // ngx_http_variable_remote_port(): no port (a unix socket, or a realip address without one) is empty.
  remote_port: (c) => (c.connection.listenKey.startsWith("unix:") || c.connection.remotePort <= 0 ? "" : String(c.connection.remotePort)),
  binary_remote_addr: (c) => binaryAddress(c.connection.remoteAddress),
  // ngx_http_gzip_filter_module: "" (not found) unless the body was compressed.
  gzip_ratio: (c) => (c.exchange.gzipRatio ? c.exchange.gzipRatio.toFixed(2) : ""),
  // ngx_http_limit_req_module, ngx_http_limit_conn_module: not found until the limit decided.
  limit_req_status: (c) => (c.main ?? c).limitReqStatus ?? "",
  limit_conn_status: (c) => (c.main ?? c).limitConnStatus ?? "",
  // ngx_http_realip_module: the peer's own address and port, before a trusted header replaced them.
  realip_remote_addr: (c) => (c.realipFrom ?? c.connection).remoteAddress,
  realip_remote_port: (c) => {
    const conn = c.realipFrom ?? c.connection;
    return conn.listenKey.startsWith("unix:") || conn.remotePort <= 0 ? "" : String(conn.remotePort);
  },
  server_addr: (c) => c.connection.localAddress,
  server_port: (c) => (c.connection.listenKey.startsWith("unix:") ? "" : String(c.connection.localPort)),
  server_name: keepsEmpty((c) => serverName(c.server)),
  server_protocol: (c) => `HTTP/${c.head.httpVersion}`,
  scheme: (c) => (c.connection.isTls ? "https" : "http"),
  https: (c) => (c.connection.isTls ? "on" : ""),
  // The main request's method, in a subrequest too (a subrequest is a GET).
  request_method: (c) => (c.main ?? c).method,
  request: (c) => c.head.requestLine ?? `${c.head.method} ${c.head.target} HTTP/${c.head.httpVersion}`,
  request_uri: (c) => c.requestUri,
  uri: (c) => c.uri,
  document_uri: (c) => c.uri,
  args: (c) => c.args,
  query_string: (c) => c.args,
  is_args: (c) => (c.args ? "?" : ""),
  content_length: (c) => findHeader(c.head, "content-length") ?? "",
  content_type: (c) => findHeader(c.head, "content-type") ?? "",
  // Log-time variables (ngx_http_log_module, ngx_http_upstream_module).
  status: (c) => (c.exchange.status ? String(c.exchange.status) : ""),
  body_bytes_sent: (c) => String(c.exchange.bodyBytes),
  bytes_sent: (c) => String(c.exchange.bodyBytes),
  request_time: (c) => ((endOrNow(c) - c.exchange.startedMs) / 1000).toFixed(3),
  msec: (c) => (endOrNow(c) / 1000).toFixed(3),
  time_local: (c) => timeLocal(new Date(endOrNow(c))),
  time_iso8601: (c) => timeIso8601(new Date(endOrNow(c))),
  // ngx_http_variable_remote_user(): the user of Basic credentials, whoever checks them.
  remote_user: (c) => basicCredentials(c.head)?.user ?? "",
  upstream_addr: (c) => attempts(c, (u) => u.addr),
  upstream_status: (c) => attempts(c, (u) => String(u.status)),
  upstream_response_time: (c) => attempts(c, (u) => seconds(u.endMs - u.startMs)),
  upstream_connect_time: (c) => attempts(c, (u) => (u.connectedMs === null ? "-" : seconds(u.connectedMs - u.startMs))),
  upstream_header_time: (c) => attempts(c, (u) => (u.headerMs === null ? "-" : seconds(u.headerMs - u.startMs))),
  upstream_response_length: (c) => attempts(c, (u) => String(u.responseLength)),
  // ngx_http_variable_request_id(): 16 random bytes in hex, made once per request.
  request_id: (c) => {
    c.requestId ??= randomHex();
    return c.requestId;
  },
  hostname: (c) => c.exchange.hostname,
  connection: (c) => (c.wire ? String(c.wire.connection) : ""),
  connection_requests: (c) => (c.wire ? String(c.wire.requests) : ""),
  pipe: (c) => (c.wire?.pipelined ? "p" : "."),
  request_length: (c) => (c.wire ? String(c.wire.headBytes + c.wire.bodyBytes()) : ""),
  // ngx_http_variable_request_body(): a body read into memory; one spooled to a file is not there.
  request_body: (c) => {
    const body = c.requestBody?.buffered;
    return body?.kind === "memory" ? latin1(body.bytes) : "";
  },
  proxy_host: (c) => c.pass?.proxyHost ?? "",
  proxy_port: (c) => c.pass?.proxyPort ?? "",
  // ngx_http_stub_status_module: the process's connections now, read afresh each time.
  connections_active: (c) => String(c.counters.serverTotals()[ACTIVE]),
  connections_reading: (c) => String(c.counters.serverTotals()[READING]),
  connections_writing: (c) => String(c.counters.serverTotals()[WRITING]),
  connections_waiting: (c) => String(c.counters.serverTotals()[WAITING]),
  // ngx_http_proxy_add_x_forwarded_for_variable(): every client value, then the client address.
  proxy_add_x_forwarded_for: (c) => {
    const seen = findHeaders(c.head, "x-forwarded-for");
    seen.push(c.connection.remoteAddress);
    return seen.join(", ");
  },
  ...SSL_VARIABLES,
};

/**
 * `$binary_remote_addr`: an IPv4 client's four bytes, an IPv6 one's sixteen, as one byte per
 * character; a unix-socket client's is its text (`ngx_http_variable_binary_remote_addr()`).
 */
function binaryAddress(text: string): string {
  const address = parseAddress(text);
  if (!address || address.family === "unix") return text;
  if (address.family === 6) return String.fromCharCode(...address.bytes);
  const v = address.value;
  return String.fromCharCode(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/**
 * One value per upstream attempt, `, ` between attempts of one `proxy_pass` and ` : ` between
 * those of the next (an error page's), as nginx's `$upstream_*` variables write them.
 */
function attempts(c: RequestContext, value: (u: UpstreamAttempt) => string): string {
  let out = "";
  let group = -1;
  for (const u of c.exchange.upstreams) {
    if (group !== -1) out += u.group === group ? ", " : " : ";
    out += value(u);
    group = u.group;
  }
  return out;
}

/** Milliseconds as nginx writes seconds: `0.002`. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * `$sent_http_NAME`: the response's header as sent, the first of several (nginx 1.22);
 * `Content-Length` is the length the response is framed with. Not found before the output
 * filters run.
 */
function sentHeaderVariable(suffix: string): VariableGetter {
  const lower = suffix.toLowerCase().replaceAll("_", "-");
  if (lower === "content-length") {
    return (c) => {
      const length = c.exchange.sent?.contentLength;
      return length === null || length === undefined ? "" : String(length);
    };
  }
  return (c) => firstHeader(c.exchange.sent?.headers ?? null, lower);
}

/** `$upstream_http_NAME`: the last upstream response's header, the first of several. */
function upstreamHeaderVariable(suffix: string): VariableGetter {
  const lower = suffix.toLowerCase().replaceAll("_", "-");
  return (c) => firstHeader(c.exchange.upstreamHeaders, lower);
}

/** `$upstream_cookie_NAME`: the value of the cookie NAME (any case) the last upstream response set. */
function upstreamCookieVariable(name: string): VariableGetter {
  const lower = name.toLowerCase();
  return (c) => {
    for (const [n, v] of c.exchange.upstreamHeaders ?? []) {
      if (n.length !== 10 || n.toLowerCase() !== "set-cookie") continue;
      const eq = v.indexOf("=");
      if (eq > 0 && v.slice(0, eq).trim().toLowerCase() === lower) {
        const end = v.indexOf(";", eq);
        return v.slice(eq + 1, end < 0 ? v.length : end);
      }
    }
    return "";
  };
}

function firstHeader(headers: HeaderPairs | null, lower: string): string {
  if (headers === null) return "";
  for (const [n, v] of headers) if (n.length === lower.length && n.toLowerCase() === lower) return v;
  return "";
}

/** The time variables' moment: the end of the response in its log line, the time now before. */
function endOrNow(c: RequestContext): number {
  return c.exchange.endedMs || c.exchange.clock.now();
}

/**
 * Marks a variable whose empty value is a value: the access log writes it as nothing, where an
 * empty one of the others is "not found" and written `-` (ngx_http_log_variable()).
 */
function keepsEmpty(getter: VariableGetter): VariableGetter {
  return Object.assign(getter, { keepsEmpty: true });
}

/**
 * Fixed variables a `map` (or, later, `set`) may define anew: nginx marks them changeable
 * (`NGX_HTTP_VAR_CHANGEABLE`); any other fixed name is `the duplicate "x" variable`.
 */
const CHANGEABLE = new Set(["args", "proxy_host", "proxy_port", "proxy_add_x_forwarded_for"]);

/**
 * A getter for the built-in `$name` (lower-case), or null when no built-in has that name: a
 * fixed variable, else one of the `http_`, `arg_` and `cookie_` families, as
 * `ngx_http_variables_init_vars()` looks them up.
 */
export function lookupBuiltin(name: string): VariableGetter | null {
  if (Object.hasOwn(FIXED, name)) return FIXED[name] as VariableGetter;
  if (name.startsWith("http_")) return headerVariable(name.slice(5));
  if (name.startsWith("arg_")) return argVariable(name.slice(4));
  if (name.startsWith("cookie_")) return cookieVariable(name.slice(7));
  if (name.startsWith("sent_http_")) return sentHeaderVariable(name.slice(10));
  if (name.startsWith("upstream_http_")) return upstreamHeaderVariable(name.slice(14));
  if (name.startsWith("upstream_cookie_")) return upstreamCookieVariable(name.slice(16));
  return null;
}

/** Whether a user variable may not take this name: a fixed variable nginx does not let anyone redefine. */
export function isReservedName(name: string): boolean {
  return Object.hasOwn(FIXED, name) && !CHANGEABLE.has(name);
}

function headerVariable(suffix: string): VariableGetter {
  const lower = suffix.toLowerCase().replaceAll("_", "-");
  // Repeated Cookie and X-Forwarded-For are joined, other headers give the first value.
  if (lower === "cookie") return (c) => findHeaders(c.head, lower).join("; ");
  if (lower === "x-forwarded-for") return (c) => findHeaders(c.head, lower).join(", ");
  // nginx compares each name with `-` read as `_` (ngx_http_variable_unknown_header()): with
  // underscores_in_headers, `X_Name` is `$http_x_name` too.
  const wanted = lower.replaceAll("-", "_");
  return (c) => {
    for (const [name, value] of c.head.headers) if (name.length === wanted.length && sameHeaderName(name, wanted)) return value;
    return "";
  };
}

/** `name` is `wanted` (lower case, `_` for `-`) in any case and with `-` or `_`. */
function sameHeaderName(name: string, wanted: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    else if (c === 45) c = 95;
    if (c !== wanted.charCodeAt(i)) return false;
  }
  return true;
}

/** `$upstream_http_NAME`: the first line of that header in the last upstream response. */
function argVariable(name: string): VariableGetter {
  const lower = name.toLowerCase();
  return (c) => {
    for (const pair of c.args.split("&")) {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      if (key.toLowerCase() === lower) return eq < 0 ? "" : pair.slice(eq + 1);
    }
    return "";
  };
}

function cookieVariable(name: string): VariableGetter {
  const lower = name.toLowerCase();
  return (c) => {
    for (const header of findHeaders(c.head, "cookie")) {
      for (const part of header.split(";")) {
        const eq = part.indexOf("=");
        if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === lower) return part.slice(eq + 1).trim();
      }
    }
    return "";
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** The local time offset as nginx writes it: `+0100`, or `+01:00` with a colon. */
function offset(d: Date, colon: boolean): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ":" : ""}${pad(abs % 60)}`;
}

/** `$time_local`: `27/Nov/2026:17:45:48 +0000`. */
function timeLocal(d: Date): string {
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${offset(d, false)}`;
}

/** `$time_iso8601`: `2026-11-27T17:45:48+00:00`. */
function timeIso8601(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${offset(d, true)}`;
}
