import type { Backend, SeenRequest } from "./backend.ts";
import { type ClientResponse, type RawRequestOptions, rawRequest } from "./client.ts";
import { ADAPTER, type RunningProxy } from "./proxies.ts";

/** What a client and the backends observed for one request, made comparable across proxies. */
export interface Observation {
  readonly status: number;
  /** Response headers as a sorted `name: value` list, lower-case names, minus per-server ones. */
  readonly responseHeaders: string[];
  readonly body: string;
  /** Requests the backends received for it: request line, ordered headers, body. */
  readonly upstream: {
    requestLine: string;
    headers: [string, string][];
    body: string;
    backend: string;
    sni?: string | null;
    tls?: SeenRequest["tls"];
  }[];
  readonly closedSilently: boolean;
}

/** Headers that name the server or the moment, or describe the client connection's framing. */
const PER_SERVER = new Set(["date", "server", "keep-alive", "connection"]);

/** Sends `request` through `proxy` and collects what everyone saw. */
export async function observe(
  proxy: RunningProxy,
  backends: readonly Backend[],
  request: string | Buffer,
  options: RawRequestOptions = {},
): Promise<Observation> {
  const before = backends.map((b) => b.seen.length);
  const res = await rawRequest(proxy.port, request, options);
  // A backend may record the request a moment after the client has its answer.
  await new Promise((r) => setTimeout(r, 20));
  const upstream = backends.flatMap((b, i) => b.seen.slice(before[i]).map((s) => describe(s, String(b.port), proxy.port)));
  return summarise(res, upstream, proxy.port);
}

function describe(s: SeenRequest, backend: string, proxyPort: number) {
  // `$server_port` and friends name each proxy's own port.
  const headers = s.headers.map(([n, v]) => [n, v.replaceAll(String(proxyPort), "PORT")] as [string, string]);
  const sni = s.servername === undefined ? {} : { sni: s.servername };
  const tls = s.tls === undefined ? {} : { tls: s.tls };
  return { requestLine: s.requestLine, headers, body: s.body.toString("latin1"), backend, ...sni, ...tls };
}

/**
 * Sends a request through `proxy` with a client of the caller's (TLS, HTTP/2) and collects what
 * everyone saw, as `observe` does for plain HTTP/1.
 */
export async function observeVia(
  proxy: RunningProxy,
  backends: readonly Backend[],
  send: (port: number) => Promise<ClientResponse>,
): Promise<Observation> {
  const before = backends.map((b) => b.seen.length);
  const res = await send(proxy.port);
  await new Promise((r) => setTimeout(r, 20));
  const upstream = backends.flatMap((b, i) => b.seen.slice(before[i]).map((s) => describe(s, String(b.port), proxy.port)));
  return summarise(res, upstream, proxy.port);
}

function summarise(res: ClientResponse, upstream: Observation["upstream"], port: number): Observation {
  const raw = res.body.toString("latin1");
  // nginx signs its pages "nginx/1.22.1", edgeproxy "edgeproxy": the same page otherwise.
  const body = raw.replace(/<center>(nginx\/[\d.]+|edgeproxy)<\/center>/, "<center>SERVER</center>");
  return {
    status: res.status,
    responseHeaders: res.headers
      .filter(([n]) => !PER_SERVER.has(n.toLowerCase()))
      .map(([n, v]) => {
        const name = n.toLowerCase();
        if (name === "content-length" && body !== raw) return `${name}: ${body.length}`;
        // Each proxy listens on its own port; absolute redirects name it.
        return `${name}: ${v.replaceAll(`:${port}/`, ":PORT/")}`;
      })
      .sort(),
    body,
    upstream,
    closedSilently: res.closedSilently,
  };
}

/** Runs the same request through each proxy in turn and returns their observations by name. */
export async function observeAll(
  proxies: readonly RunningProxy[],
  backends: readonly Backend[],
  request: string | Buffer,
  options: RawRequestOptions = {},
): Promise<Record<string, Observation>> {
  const out: Record<string, Observation> = {};
  for (const p of proxies) out[p.name] = platformView(await observe(p, backends, request, options));
  return out;
}

/**
 * What the Workers adapter cannot control, taken out of both sides of a comparison (the README
 * lists these differences with their reasons): `wrangler dev` frames the client response
 * itself, and fetch writes HTTP/1.1, sets Host from the URL, drops the hop-by-hop headers and
 * adds its own (`CF-*`, `Accept-Encoding`); a `Headers` object lower-cases names and joins
 * repeated ones with ", ".
 */
function platformView(o: Observation): Observation {
  if (ADAPTER !== "workers") return o;
  const dropped = (n: string) => /^(host|connection|keep-alive|te|upgrade|accept-encoding|cf-.*|x-forwarded-proto|x-real-ip)$/i.test(n);
  return {
    ...o,
    responseHeaders: platformHeaders(o.responseHeaders.filter((h) => !/^(content-length|transfer-encoding):/i.test(h))),
    upstream: o.upstream.map((u) => ({
      ...u,
      requestLine: u.requestLine.replace(/ HTTP\/1\.[01]$/, " HTTP/1.x"),
      headers: asFetchHeaders(u.headers.filter(([n]) => !dropped(n))),
    })),
  };
}

/**
 * Sorted `name: value` lines as a `Headers` object gives them on Workers (identity elsewhere):
 * a repeated name joined into one line (Set-Cookie apart), its list items sorted, since the
 * platform joins in arrival order and an observation's lines are already sorted.
 */
export function platformHeaders(lines: string[]): string[] {
  if (ADAPTER !== "workers") return lines;
  const values = new Map<string, string[]>();
  const out: string[] = [];
  for (const l of lines) {
    const name = l.slice(0, l.indexOf(":"));
    const value = l.slice(l.indexOf(":") + 2);
    if (name === "set-cookie" || DATED.has(name)) out.push(l);
    else values.set(name, [...(values.get(name) ?? []), ...value.split(", ")]);
  }
  for (const [name, items] of values) out.push(`${name}: ${items.sort().join(", ")}`);
  return out.sort();
}

/** Headers whose values are dates, with a comma of their own. */
const DATED = new Set(["date", "expires", "last-modified"]);

/** Header pairs as a Fetch `Headers` object keeps them: lower-case, joined, sorted. */
function asFetchHeaders(pairs: [string, string][]): [string, string][] {
  const joined = new Map<string, string>();
  for (const [n, v] of pairs) {
    const name = n.toLowerCase();
    const prior = joined.get(name);
    joined.set(name, prior === undefined ? v : `${prior}, ${v}`);
  }
  return [...joined].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A `GET` request text with `Connection: close`. */
export function getRequest(target: string, headers: string[] = ["Host: example.com"]): string {
  return `GET ${target} HTTP/1.1\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`;
}
