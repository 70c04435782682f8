import { createBalancer } from "../balance/balancer.ts";
import { MemoryFailureState } from "../balance/memory-failure-state.ts";
import { createPeerGroup } from "../balance/peer-group.ts";
import { ResolveFailure } from "../capabilities.ts";
import type { Location, ProxyPass, ResolverSetting, Upstream, VariableProxyPass } from "../config/model.ts";
import { type ProxyUrl, parseProxyUrl } from "../config/proxy-pass.ts";
import { implicitUpstream } from "../config/upstream.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { MemoryCounters } from "../status/counters.ts";
import type { Outcome } from "./outcome.ts";
import type { LocationPlan, ProxyPlan, UpstreamPlan } from "./plan.ts";

/** Where a request is proxied: its `proxy_pass`, and the peers that serve it. */
export interface ProxyTarget {
  readonly pass: ProxyPass;
  readonly upstream: UpstreamPlan;
}

/** A name the `resolver` is to be asked for when the request comes. */
export interface NameToResolve {
  readonly kind: "resolve";
  readonly url: string;
  readonly parsed: ProxyUrl;
  readonly host: string;
  readonly port: number;
}

/**
 * The target of a location's `proxy_pass`: a static one was found at load; one with variables
 * is evaluated now (`ngx_http_proxy_eval()`, `ngx_http_upstream_init_request()`): an upstream
 * block named by its host (when it gives no port) or an implicit upstream of its host and
 * port; else an IP address or unix socket, used as it is; else a name, asked of the
 * `resolver` (none: 502, as nginx). Peers found at request time live for the request.
 */
export async function proxyTarget(
  plan: ProxyPlan,
  r: RequestContext,
  location: Location,
  pass: ProxyPass | VariableProxyPass,
): Promise<ProxyTarget | Outcome> {
  const known = targetNow(plan, r, location, pass);
  if (!("kind" in known) || known.kind !== "resolve") return known;
  const settings = location.settings;
  const resolver = settings.resolver as ResolverSetting;
  try {
    const addresses = await plan.resolve(known.host, resolver, settings.resolverTimeoutMs);
    return single(
      known.url,
      known.parsed,
      addresses.map((host) => ({ kind: "tcp", host, port: known.port })),
    );
  } catch (error) {
    const failure = error instanceof ResolveFailure ? error : new ResolveFailure(2, "Server failure", { cause: error });
    r.log.error(`${known.host} could not be resolved (${failure.code}: ${failure.message})`);
    return { kind: "status", status: 502 };
  }
}

/** The target as far as it is known without asking a resolver (also what `explain` shows). */
export function targetNow(
  plan: ProxyPlan,
  r: RequestContext,
  location: Location,
  pass: ProxyPass | VariableProxyPass,
): ProxyTarget | Outcome | NameToResolve {
  if (pass.kind === "static") return { pass, upstream: (plan.plans.get(location) as LocationPlan).upstream as UpstreamPlan };
  const url = renderTemplate(pass.url, r);
  const parsed = parseProxyUrl(url);
  if (typeof parsed === "string") {
    r.log.error(parsed);
    return { kind: "status", status: 500 };
  }
  const named = plan.upstreamFor(parsed);
  if (named) return { pass: evaluated(url, parsed, named.group.upstream), upstream: named };
  const address = parsed.address;
  if (address.kind === "unix" || isIpLiteral(address.host)) return single(url, parsed, [address]);
  if (location.settings.resolver === null || !plan.caps.resolver) {
    r.log.error(`no resolver defined to resolve ${address.host}`);
    return { kind: "status", status: 502 };
  }
  return { kind: "resolve", url, parsed, host: address.host, port: address.port };
}

/** The `proxy_pass` a name will be resolved for, as the request line and headers see it. */
export function passOfName(name: NameToResolve): ProxyPass {
  return evaluated(name.url, name.parsed, implicitUpstream(name.parsed.key, name.parsed.address, { file: "", line: 0 }));
}

/** The request's `proxy_pass`: a URI part starting with `?` gets a `/` before it. */
function evaluated(url: string, parsed: ProxyUrl, upstream: Upstream): ProxyPass {
  const uri = parsed.uri?.startsWith("?") ? `/${parsed.uri}` : parsed.uri;
  const { scheme, proxyHost, proxyPort } = parsed;
  return { kind: "static", url, scheme, upstream, uri, proxyHost, proxyPort, fromVariables: true };
}

/**
 * Peers for this request alone (`ngx_http_upstream_create_round_robin_peer()`): one per address,
 * round robin, each failing after one error, none of it kept for the next request or counted.
 */
function single(url: string, parsed: ProxyUrl, addresses: readonly Upstream["servers"][number]["address"][]): ProxyTarget {
  const first = implicitUpstream(parsed.key, addresses[0] as Upstream["servers"][number]["address"], { file: "", line: 0 });
  const upstream: Upstream = {
    ...first,
    servers: addresses.map((address) => ({ ...(first.servers[0] as Upstream["servers"][number]), address })),
  };
  // Their counts stay out of the status pages, as nginx's zone never holds such peers.
  const group = createPeerGroup(upstream, new MemoryFailureState(), new MemoryCounters());
  return {
    pass: evaluated(url, parsed, upstream),
    upstream: { group, balancer: createBalancer(group, { kind: "round-robin" }), sticky: null },
  };
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
