import { compileTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { PeerAddress, ProxyPass, VariableProxyPass } from "./model.ts";
import type { Directive } from "./parse.ts";
import { implicitUpstream, parseAddress, type UpstreamDraft } from "./upstream.ts";

/** A `proxy_pass` URL taken apart (`ngx_parse_url()` with its URI part). */
export interface ProxyUrl {
  readonly scheme: "http" | "https";
  readonly address: PeerAddress;
  /** The URL named a port. */
  readonly hasPort: boolean;
  /** The URI part (`/v1/` of `http://b/v1/`), or null when the URL has none. */
  readonly uri: string | null;
  /** `$proxy_host`: the host as written, with the port unless it is the scheme's default. */
  readonly proxyHost: string;
  /** `$proxy_port`: the port as text; empty for unix sockets. */
  readonly proxyPort: string;
  /** The implicit upstream's name for this address: `host:port` (IPv6 in brackets) or `unix:path`. */
  readonly key: string;
}

/**
 * Takes a `proxy_pass` URL apart, or says why nginx refuses it: the reason alone, for the
 * caller to place (a config line, or a request's error log).
 */
/** `proxy_pass https://...`, written so or with variables after it (ngx_http_proxy_pass() sets `ssl` for both). */
export function proxiesOverTls(pass: ProxyPass | VariableProxyPass): boolean {
  return pass.kind === "variable" ? pass.url.text.slice(0, 8).toLowerCase() === "https://" : pass.scheme === "https";
}

export function parseProxyUrl(url: string): ProxyUrl | string {
  const lower = url.toLowerCase();
  const scheme = lower.startsWith("http://") ? "http" : lower.startsWith("https://") ? "https" : null;
  if (!scheme) return `invalid URL prefix in "${url}"`;
  const rest = url.slice(scheme.length + 3);
  const defaultPort = scheme === "https" ? 443 : 80;

  if (rest.toLowerCase().startsWith("unix:")) {
    // The socket path ends at the first ":" after "unix:"; what follows is the URI part.
    const colon = rest.indexOf(":", 5);
    const path = colon < 0 ? rest.slice(5) : rest.slice(5, colon);
    const uri = colon < 0 ? null : rest.slice(colon + 1) || null;
    if (!path) return `no path in the unix domain socket in "${url}"`;
    return { scheme, address: { kind: "unix", path }, hasPort: false, uri, proxyHost: "localhost", proxyPort: "", key: `unix:${path}` };
  }

  const uriStart = rest.search(/[/?]/);
  const authority = uriStart < 0 ? rest : rest.slice(0, uriStart);
  const uri = uriStart < 0 ? null : rest.slice(uriStart);
  const parsed = parseAddress(authority, defaultPort);
  if (parsed?.address.kind !== "tcp") return `invalid host in upstream "${url}"`;
  const { host, port } = parsed.address;
  const bare = host.startsWith("[") ? host : authority.startsWith("[") ? `[${host}]` : host;
  const proxyHost = parsed.hasPort && port !== defaultPort ? `${bare}:${authority.slice(authority.lastIndexOf(":") + 1)}` : bare;
  return { scheme, address: parsed.address, hasPort: parsed.hasPort, uri, proxyHost, proxyPort: String(port), key: `${bare}:${port}` };
}

/**
 * Compiles `proxy_pass URL` (docs/nginx-semantics.md 5.1-5.4): a static URL resolves against
 * the configuration's upstream blocks, or creates (or shares) an implicit upstream; a URL
 * with variables is evaluated per request (5.3).
 */
export function compileProxyPass(
  d: Directive,
  upstreams: Map<string, UpstreamDraft>,
  implicit: Map<string, UpstreamDraft>,
  scope: VariableScope,
): ProxyPass | VariableProxyPass {
  const url = d.args[0] as string;
  const template = compileTemplate(url, { scope, at: d.at });
  if (!template.isConstant) return { kind: "variable", at: d.at, url: template };
  const parsed = parseProxyUrl(url);
  if (typeof parsed === "string") throw new ConfigError("invalid-value", parsed, d.at);
  const { scheme, address, uri, proxyHost, proxyPort, key } = parsed;
  if (address.kind === "tcp") {
    const named = upstreams.get(address.host.toLowerCase());
    if (named) {
      if (parsed.hasPort) {
        throw new ConfigError("invalid-value", `upstream "${named.name}" may not have port ${address.port} in "${url}"`, d.at);
      }
      return { kind: "static", url, scheme, upstream: named, uri, proxyHost, proxyPort, fromVariables: false };
    }
  }
  const upstream = share(implicit, key, () => implicitUpstream(key, address, d.at));
  return { kind: "static", url, scheme, upstream, uri, proxyHost, proxyPort, fromVariables: false };
}

function share(map: Map<string, UpstreamDraft>, key: string, make: () => UpstreamDraft): UpstreamDraft {
  let u = map.get(key);
  if (!u) {
    u = make();
    map.set(key, u);
  }
  return u;
}
