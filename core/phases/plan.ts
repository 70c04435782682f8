import { type Balancer, createBalancer } from "../balance/balancer.ts";
import { createPeerGroup, type PeerGroup } from "../balance/peer-group.ts";
import { SessionTable, StickyPlan } from "../balance/sticky.ts";
import type { Capabilities, Logger } from "../capabilities.ts";
import type {
  Config,
  ErrorLogTarget,
  LimitZone,
  Location,
  ResolverSetting,
  RewriteScript,
  Server,
  Settings,
  Upstream,
} from "../config/model.ts";
import type { ProxyUrl } from "../config/proxy-pass.ts";
import { type ResponseBufferSizes, responseBufferSizes } from "../config/response-buffering.ts";
import { type ClientLimits, clientLimitsOf } from "../config/settings.ts";
import type { ClientSettings, ConnectionInfo, HeaderPairs } from "../exchange.ts";
import { type Compression, webCompression } from "../gzip/compression.ts";
import { MemoryLimitZones } from "../limit/limit-zones.ts";
import { ZoneTable } from "../limit/zone-table.ts";
import type { ScriptEnv } from "../rewrite/script.ts";
import { validateHost } from "../route/host.ts";
import { LocationMatcher } from "../route/location-match.ts";
import { ServerSelector } from "../route/server-select.ts";
import { planRedirect } from "../shape/redirect.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { type HeaderPlan, planHeaders } from "../shape/request-headers.ts";
import { planResponseHeaders, type ResponseHeaderPlan } from "../shape/response-headers.ts";
import { MemoryCounters, type StatusCounters } from "../status/counters.ts";
import { updateKeepalive } from "./find-config.ts";

/** An upstream group with its balancer, shared by every location that proxies to it. */
export interface UpstreamPlan {
  readonly group: PeerGroup;
  /** The upstream's method, with `sticky`'s affinity in front when it has one. */
  readonly balancer: Balancer;
  /** `sticky`: what a response does to bind its client; null without. */
  readonly sticky: StickyPlan | null;
}

/** Everything a location needs per request, computed once at load. */
export interface LocationPlan {
  readonly headers: HeaderPlan;
  readonly response: ResponseHeaderPlan;
  readonly upstream: UpstreamPlan | null;
  /** The location's `error_log` (or the main one). */
  readonly log: Logger;
  /** `proxy_buffers` and the temp file's cap and path. */
  readonly responseBuffers: ResponseBufferSizes;
  /** Its client-connection settings, for the response it gives. */
  readonly client: ClientSettings;
}

/**
 * What the phases read per request, built once from a configuration (nginx's merged
 * configuration and its hashes): the server and location tables, peer groups, header plans
 * and loggers. No phase does config work on the request path.
 */
export interface ProxyPlan {
  readonly config: Config;
  readonly caps: Capabilities;
  /** The capabilities' counters, or the proxy's own. */
  readonly counters: StatusCounters;
  /** Every upstream's peers and balancer, in the config's order. */
  readonly upstreams: ReadonlyMap<Upstream, UpstreamPlan>;
  readonly servers: ServerSelector;
  readonly locations: ReadonlyMap<Server, LocationMatcher>;
  /** Every location's plan, `if` blocks and named locations included. */
  readonly plans: ReadonlyMap<Location, LocationPlan>;
  /** What the rewrite module's scripts read besides the request. */
  readonly script: ScriptEnv;
  /** A server's error log, for requests at server level. */
  serverLog(server: Server): Logger;
  /**
   * The client-connection settings for a connection: its address's default server's (nginx
   * reads a head with them before it knows the request's server), else the http level's.
   */
  clientLimits(connection: ConnectionInfo): ClientLimits;
  /**
   * The client settings of the server a host names on this connection, for the header lines
   * after it; null when every server reads heads alike (then the default server's do).
   */
  clientLimitsByHost(connection: ConnectionInfo): ((host: string) => ClientLimits) | null;
  /** The client settings of the block a request is in now, for its response. */
  clientSettings(r: RequestContext): ClientSettings;
  /** A location's error log. */
  locationLog(location: Location): Logger;
  /** A limit zone's states. */
  zoneTable(zone: LimitZone): ZoneTable;
  /** How `gzip` compresses. */
  readonly compression: Compression;
  /** Runs a subrequest to a URI through the phases (`auth_request`); set by createProxy. */
  subrequest: Subrequest;
  /**
   * The upstream a URL evaluated from variables names (`ngx_http_upstream_init_request()`): an
   * `upstream` block by its host when the URL gives no port, else an implicit upstream of that
   * host and port; null for neither.
   */
  upstreamFor(url: ProxyUrl): UpstreamPlan | null;
  /** A name's addresses from the `resolver`, kept for their TTL (or `valid=`). Throws a ResolveFailure. */
  resolve(name: string, resolver: ResolverSetting, timeoutMs: number): Promise<readonly string[]>;
}

/** What a subrequest came to: its status and headers, and the request it ran as (for its variables). */
export interface SubrequestResult {
  readonly status: number;
  readonly headers: HeaderPairs;
  readonly request: RequestContext;
}

/** Runs a subrequest of `parent` to `uri` (`ngx_http_subrequest()`). */
export type Subrequest = (parent: RequestContext, uri: string) => Promise<SubrequestResult>;

/** Builds the plan of a configuration: matching tables, header plans, peer groups, loggers. */
export function planProxy(config: Config, caps: Capabilities): ProxyPlan {
  const counters = caps.counters ?? new MemoryCounters();
  const upstreams = new Map(config.upstreams.map((u) => [u, planUpstream(u, caps, counters)] as const));
  const logFor = errorLogs(caps);
  const zoneMemory = caps.limitZones ?? new MemoryLimitZones();
  const zoneTables = new Map(config.limitZones.map((z) => [z, new ZoneTable(zoneMemory.memory(z))]));
  const plans = new Map<Location, LocationPlan>();
  const visit = (loc: Location) => {
    const redirect = planRedirect(loc.settings.proxyRedirect, loc);
    plans.set(loc, {
      headers: planHeaders(loc.settings),
      response: planResponseHeaders(loc.settings, redirect, config.variableSlots),
      upstream: loc.proxy?.kind === "static" ? (upstreams.get(loc.proxy.upstream) ?? null) : null,
      log: logFor(loc.settings.errorLog),
      responseBuffers: responseBufferSizes(loc.settings),
      client: clientSettingsOf(loc.settings),
    });
    loc.children.forEach(visit);
    ifBlocks(loc.script).forEach(visit);
    if (loc.limitExcept) visit(loc.limitExcept.block);
  };
  for (const s of config.servers) s.locations.forEach(visit);
  const serverLogs = new Map(config.servers.map((s) => [s, logFor(s.settings.errorLog)]));
  const limits = new Map(config.servers.map((s) => [s, clientLimitsOf(s.settings)]));
  // Whether a server a request names could read the rest of its head otherwise than the default server.
  const headRules = (l: ClientLimits) => `${l.underscoresInHeaders} ${l.ignoreInvalidHeaders} ${l.maxHeaders}`;
  const headsAlike = new Set([...limits.values()].map(headRules)).size <= 1;
  const serverClients = new Map(config.servers.map((s) => [s, clientSettingsOf(s.settings)]));
  const servers = new ServerSelector(config);
  const explicit = new Map<string, UpstreamPlan>();
  const implicit = new Map<string, UpstreamPlan>();
  for (const [u, p] of upstreams) (u.isImplicit ? implicit : explicit).set(u.name.toLowerCase(), p);
  const resolve = resolvedNames(caps);
  const plan: ProxyPlan = {
    config,
    caps,
    counters,
    upstreams,
    servers,
    locations: new Map(config.servers.map((s) => [s, new LocationMatcher(s.locations)])),
    plans,
    script: {
      slotCount: config.variableSlots,
      files: caps.files ?? null,
      enter: (r, block) => {
        r.location = block;
        updateKeepalive(plan, r, block.settings);
        if (block.handler) r.handler = block.handler;
        r.log.block = plan.locationLog(block);
      },
    },
    serverLog: (server) => serverLogs.get(server) ?? caps.log,
    clientSettings: (r) =>
      (r.location ? plans.get(r.location)?.client : serverClients.get(r.server)) ?? clientSettingsOf(r.server.settings),
    clientLimits: (c) => {
      const server = servers.defaultServer(c);
      return (server && limits.get(server)) || config;
    },
    clientLimitsByHost: (c) => {
      if (headsAlike) return null;
      return (value) => {
        const host = validateHost(value);
        const server = host === null ? null : servers.select(c, host);
        return (server && limits.get(server)) || plan.clientLimits(c);
      };
    },
    locationLog: (location) => plans.get(location)?.log ?? caps.log,
    zoneTable: (zone) => zoneTables.get(zone) as ZoneTable,
    compression: caps.compression ?? webCompression,
    subrequest: () => Promise.reject(new Error("subrequests run once createProxy has set them up")),
    upstreamFor: (url) => {
      const a = url.address;
      if (a.kind === "tcp" && !url.hasPort) {
        const named = explicit.get(a.host.toLowerCase());
        if (named) return named;
      }
      return implicit.get(url.key.toLowerCase()) ?? null;
    },
    resolve,
  };
  return plan;
}

/** An upstream's peers and balancer, with `sticky` (its learned sessions per process) when configured. */
export function planUpstream(upstream: Upstream, caps: Capabilities, counters: StatusCounters): UpstreamPlan {
  const group = createPeerGroup(upstream, caps.failures, counters);
  const balancer = createBalancer(group, upstream.balancer);
  const sticky = upstream.sticky;
  if (!sticky) return { group, balancer, sticky: null };
  const sessions = sticky.kind === "learn" ? new SessionTable(sticky.capacity, sticky.timeoutMs) : null;
  const plan = new StickyPlan(group, sticky, sessions);
  return { group, balancer: plan.wrap(balancer, () => caps.clock.now()), sticky: plan };
}

/** Most names the resolver cache keeps: a client choosing names cannot grow it further. */
const RESOLVED_NAMES = 1024;

/**
 * The names asked of `resolver`s and their answers, as nginx's resolver caches them: for the
 * answer's TTL, or `valid=`; a lookup under way is shared by the requests that need it.
 */
function resolvedNames(caps: Capabilities): ProxyPlan["resolve"] {
  const cache = new Map<string, { expiresMs: number; addresses: Promise<readonly string[]> }>();
  return (name, resolver, timeoutMs) => {
    const resolve = caps.resolver;
    if (!resolve) return Promise.reject(new Error("no resolver"));
    const key = `${resolver.servers.join(" ")}|${resolver.ipv4}|${resolver.ipv6}|${name.toLowerCase()}`;
    const now = caps.clock.now();
    const kept = cache.get(key);
    if (kept && kept.expiresMs > now) return kept.addresses;
    if (cache.size >= RESOLVED_NAMES) cache.delete(cache.keys().next().value as string);
    const entry = { expiresMs: Number.POSITIVE_INFINITY, addresses: Promise.resolve([] as readonly string[]) };
    entry.addresses = resolve.resolve(name, resolver.servers, { timeoutMs, ipv4: resolver.ipv4, ipv6: resolver.ipv6 }).then(
      (answer) => {
        entry.expiresMs = caps.clock.now() + (resolver.validSec ?? answer.ttlSec) * 1000;
        return answer.addresses;
      },
      (error: unknown) => {
        cache.delete(key);
        throw error;
      },
    );
    cache.set(key, entry);
    return entry.addresses;
  };
}

/** The `if` blocks of a script, in order. */
function ifBlocks(script: RewriteScript | null): Location[] {
  const out: Location[] = [];
  for (const op of script ?? []) if (op.kind === "if" && op.block) out.push(op.block);
  return out;
}

/** One logger per `error_log` target, opened here at load and shared by the blocks naming it. */
function errorLogs(caps: Capabilities): (target: ErrorLogTarget | null) => Logger {
  const logs = new Map<string, Logger>();
  return (target) => {
    if (!target || !caps.openLog) return caps.log;
    const key = `${target.level} ${target.path}`;
    let log = logs.get(key);
    if (!log) {
      log = caps.openLog(target);
      logs.set(key, log);
    }
    return log;
  };
}

/** A block's settings for the client connection after its response (ProxyResponse.client). */
function clientSettingsOf(s: Settings): ClientSettings {
  return {
    keepaliveTimeoutMs: s.keepaliveTimeoutMs,
    keepaliveHeaderSec: s.keepaliveHeaderSec,
    sendTimeoutMs: s.sendTimeoutMs,
    chunked: s.chunkedTransferEncoding,
  };
}
