import { findHeader, findHeaders } from "./request-context.ts";
import type { VariableGetter } from "./template.ts";

/** nginx's fixed variables (`ngx_http_variables.c`, `ngx_http_proxy_module.c`) that edgeproxy has. */
const FIXED: Record<string, VariableGetter> = {
  host: (c) => c.host,
  remote_addr: (c) => c.connection.remoteAddress,
  remote_port: (c) => (c.connection.listenKey.startsWith("unix:") ? "" : String(c.connection.remotePort)),
  server_addr: (c) => c.connection.localAddress,
  server_port: (c) => (c.connection.listenKey.startsWith("unix:") ? "" : String(c.connection.localPort)),
  server_name: (c) => c.server.names[0] ?? "",
  server_protocol: (c) => `HTTP/${c.head.httpVersion}`,
  scheme: (c) => (c.connection.isTls ? "https" : "http"),
  https: (c) => (c.connection.isTls ? "on" : ""),
  request_method: (c) => c.head.method,
  request: (c) => `${c.head.method} ${c.head.target} HTTP/${c.head.httpVersion}`,
  request_uri: (c) => c.requestUri,
  uri: (c) => c.uri,
  document_uri: (c) => c.uri,
  args: (c) => c.args,
  query_string: (c) => c.args,
  is_args: (c) => (c.args ? "?" : ""),
  content_length: (c) => findHeader(c.head, "content-length") ?? "",
  content_type: (c) => findHeader(c.head, "content-type") ?? "",
  proxy_host: (c) => c.pass?.proxyHost ?? "",
  proxy_port: (c) => c.pass?.proxyPort ?? "",
  // ngx_http_proxy_add_x_forwarded_for_variable(): every client value, then the client address.
  proxy_add_x_forwarded_for: (c) => {
    const seen = findHeaders(c.head, "x-forwarded-for");
    seen.push(c.connection.remoteAddress);
    return seen.join(", ");
  },
};

/** A getter for `$name`, or null when nginx would say `unknown "name" variable`. */
export function lookupVariable(name: string): VariableGetter | null {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  if (name.startsWith("http_") && name.length > 5) return headerVariable(name.slice(5));
  if (name.startsWith("arg_") && name.length > 4) return argVariable(name.slice(4));
  if (name.startsWith("cookie_") && name.length > 7) return cookieVariable(name.slice(7));
  return null;
}

function headerVariable(suffix: string): VariableGetter {
  const lower = suffix.toLowerCase().replaceAll("_", "-");
  // Repeated Cookie and X-Forwarded-For are joined, other headers give the first value.
  if (lower === "cookie") return (c) => findHeaders(c.head, lower).join("; ");
  if (lower === "x-forwarded-for") return (c) => findHeaders(c.head, lower).join(", ");
  return (c) => findHeader(c.head, lower) ?? "";
}

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
