import { ConfigError } from "./errors.ts";
import type { ProxyPass } from "./model.ts";
import type { Directive } from "./parse.ts";
import { implicitUpstream, parseAddress, type UpstreamDraft } from "./upstream.ts";

/**
 * Resolves a static `proxy_pass` URL (docs/nginx-semantics.md 5.1, 5.4) against the
 * configuration's upstream blocks, creating or sharing an implicit upstream otherwise.
 */
export function compileProxyPass(d: Directive, upstreams: Map<string, UpstreamDraft>, implicit: Map<string, UpstreamDraft>): ProxyPass {
  const url = d.args[0] as string;
  if (url.includes("$")) {
    throw new ConfigError("unsupported", `variables in "proxy_pass" are not supported by edgeproxy yet in "${url}"`, d.at);
  }
  const lower = url.toLowerCase();
  const scheme = lower.startsWith("http://") ? "http" : lower.startsWith("https://") ? "https" : null;
  if (!scheme) throw new ConfigError("invalid-value", `invalid URL prefix in "${url}"`, d.at);
  const rest = url.slice(scheme.length + 3);
  const defaultPort = scheme === "https" ? 443 : 80;

  if (rest.toLowerCase().startsWith("unix:")) {
    // The socket path ends at the first ":" after "unix:"; what follows is the URI part.
    const colon = rest.indexOf(":", 5);
    const path = colon < 0 ? rest.slice(5) : rest.slice(5, colon);
    const uri = colon < 0 ? null : rest.slice(colon + 1) || null;
    if (!path) throw new ConfigError("invalid-value", `no path in the unix domain socket in "${url}"`, d.at);
    const key = `unix:${path}`;
    const upstream = share(implicit, key, () => implicitUpstream(key, { kind: "unix", path }, d.at));
    return { url, scheme, upstream, uri, proxyHost: "localhost", proxyPort: "" };
  }

  const uriStart = rest.search(/[/?]/);
  const authority = uriStart < 0 ? rest : rest.slice(0, uriStart);
  const uri = uriStart < 0 ? null : rest.slice(uriStart);
  const parsed = parseAddress(authority, defaultPort);
  if (parsed?.address.kind !== "tcp") throw new ConfigError("invalid-value", `invalid host in upstream "${url}"`, d.at);
  const { host, port } = parsed.address;
  const named = upstreams.get(host.toLowerCase());
  const bare = host.startsWith("[") ? host : authority.startsWith("[") ? `[${host}]` : host;
  const proxyHost = parsed.hasPort && port !== defaultPort ? `${bare}:${authority.slice(authority.lastIndexOf(":") + 1)}` : bare;
  const proxyPort = String(port);
  if (named) {
    if (parsed.hasPort) throw new ConfigError("invalid-value", `upstream "${named.name}" may not have port ${port} in "${url}"`, d.at);
    return { url, scheme, upstream: named, uri, proxyHost, proxyPort };
  }
  const key = `${bare}:${port}`;
  const upstream = share(implicit, key, () => implicitUpstream(key, { kind: "tcp", host, port }, d.at));
  return { url, scheme, upstream, uri, proxyHost, proxyPort };
}

function share(map: Map<string, UpstreamDraft>, key: string, make: () => UpstreamDraft): UpstreamDraft {
  let u = map.get(key);
  if (!u) {
    u = make();
    map.set(key, u);
  }
  return u;
}
