import { createPeerGroup, type Peer } from "../balance/peer-group.ts";
import type { ActiveHealth, Capabilities } from "../capabilities.ts";
import type { Config, HealthCheck, Location, Server } from "../config/model.ts";
import { planHeaders } from "../shape/request-headers.ts";
import { MemoryCounters } from "../status/counters.ts";
import { type CheckSite, checkContext, type ProbeResult, probe, suffixed } from "./probe.ts";

/** The platform's timers, for checks that run by themselves (Node, Bun): `after` returns a cancel. */
export interface Timers {
  after(ms: number, run: () => void): () => void;
}

/** One check of one peer: its counts and verdict, and when it runs next. */
interface Target {
  site: CheckSite;
  readonly peer: Peer;
  readonly upstream: string;
  /** `pending` until the first check of a `mandatory` one completes. */
  verdict: "up" | "unhealthy" | "pending";
  /** Consecutive passed and failed checks. */
  passes: number;
  fails: number;
  nextMs: number;
  isRunning: boolean;
}

/**
 * nginx Plus's active health checks (ngx_http_upstream_hc_module) for one process: every peer
 * of every upstream a `health_check` location proxies to is checked every `interval` (plus up
 * to `jitter`), `fails` consecutive failures make it unhealthy, `passes` passes make it healthy
 * again, and several checks of one upstream must all pass. The verdict goes into the peer's
 * shared record, which every balancer reads (a peer that is not `up` gets no request), and a
 * change is told to the failure store, which shares it where it shares state (KV, a Durable
 * Object). Passive health is left alone: a peer must pass both.
 *
 * One object lives for the process and takes each new config (`configure`): a check that stays
 * keeps its counts, and with `mandatory persistent` a peer that was up stays up.
 */
export class ActiveHealthChecks {
  readonly #caps: Capabilities;
  readonly #random: () => number;
  #targets: Target[] = [];
  /** Peer keys the checks covered, with the record they set. */
  #covered = new Map<string, Peer>();
  #timers: Timers | null = null;
  #cancel: (() => void) | null = null;

  constructor(caps: Capabilities, random: () => number = Math.random) {
    this.#caps = caps;
    this.#random = random;
  }

  /** Whether the config has any check. */
  get isEmpty(): boolean {
    return this.#targets.length === 0;
  }

  /** Takes a config's checks: new ones start at once, the ones that stay keep their counts and verdicts. */
  configure(config: Config): void {
    const previous = new Map(this.#targets.map((t) => [identity(t.site.check, t.upstream, t.peer.key), t]));
    const now = this.#caps.clock.now();
    const targets: Target[] = [];
    for (const { site, peers, upstream } of checkSites(config, this.#caps)) {
      for (const peer of peers) {
        const before = previous.get(identity(site.check, upstream, peer.key));
        const target = before ?? { site, peer, upstream, verdict: "up", passes: 0, fails: 0, nextMs: 0, isRunning: false };
        target.site = site;
        target.verdict = startingVerdict(site.check, before, peer.health.active);
        target.nextMs = now + this.#jitter(site.check);
        targets.push(target);
      }
    }
    this.#targets = targets;
    const covered = new Map(targets.map((t) => [t.peer.key, t.peer]));
    // A peer no check covers any more is up again, as far as active checks go.
    for (const [key, peer] of this.#covered) if (!covered.has(key)) this.#set(peer, "up");
    this.#covered = covered;
    for (const peer of covered.values()) this.#settle(peer);
    if (this.#timers) this.#schedule();
  }

  /** Runs the checks on the platform's timers until `stop`. */
  start(timers: Timers): void {
    this.#timers = timers;
    this.#schedule();
  }

  stop(): void {
    this.#timers = null;
    this.#cancel?.();
    this.#cancel = null;
  }

  /** Checks every peer once, now, and resolves when all are done (a Workers Cron Trigger). */
  async runOnce(): Promise<void> {
    await Promise.all(this.#targets.filter((t) => !t.isRunning).map((t) => this.#check(t)));
  }

  #schedule(): void {
    this.#cancel?.();
    this.#cancel = null;
    const timers = this.#timers;
    if (!timers) return;
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.#targets) if (!t.isRunning && t.nextMs < next) next = t.nextMs;
    if (next === Number.POSITIVE_INFINITY) return;
    this.#cancel = timers.after(Math.max(0, next - this.#caps.clock.now()), () => {
      this.#cancel = null;
      const now = this.#caps.clock.now();
      for (const t of this.#targets) if (!t.isRunning && t.nextMs <= now) void this.#check(t);
      this.#schedule();
    });
  }

  async #check(t: Target): Promise<void> {
    t.isRunning = true;
    let result: ProbeResult;
    try {
      result = await probe(this.#caps, t.site, t.peer, t.upstream);
    } catch (error) {
      t.site.log.error(`health check failed: ${String(error)}`);
      result = { passed: false, step: "checking" };
    }
    t.isRunning = false;
    t.nextMs = this.#caps.clock.now() + t.site.check.intervalMs + this.#jitter(t.site.check);
    if (this.#targets.includes(t)) this.#count(t, result);
    if (this.#timers) this.#schedule();
  }

  /** Counts a result and moves the verdict across `fails` or `passes`, as nginx Plus logs it. */
  #count(t: Target, result: ProbeResult): void {
    const check = t.site.check;
    const log = suffixed(t.site.log, checkContext(check, t.peer, t.upstream));
    if (result.passed) {
      t.fails = 0;
      t.passes++;
      if (t.verdict === "pending" || (t.verdict === "unhealthy" && t.passes >= check.passes)) {
        t.verdict = "up";
        log.notice(`peer is healthy while ${result.step}`);
      }
    } else {
      t.passes = 0;
      t.fails++;
      if (t.verdict === "pending" || (t.verdict === "up" && t.fails >= check.fails)) {
        t.verdict = "unhealthy";
        log.warn(`peer is unhealthy while ${result.step}`);
      }
    }
    this.#settle(t.peer);
  }

  /** A peer's verdict from all its checks: any pending is `checking`, any unhealthy is `unhealthy`. */
  #settle(peer: Peer): void {
    let active: ActiveHealth = "up";
    for (const t of this.#targets) {
      if (t.peer.key !== peer.key) continue;
      if (t.verdict === "pending") active = "checking";
      else if (t.verdict === "unhealthy" && active === "up") active = "unhealthy";
    }
    this.#set(peer, active);
  }

  #set(peer: Peer, active: ActiveHealth): void {
    const record = peer.health;
    if (record.active === active) return;
    record.active = active;
    this.#caps.failures.changed(peer.key, record, active === "up" ? "healthy" : "unhealthy");
  }

  #jitter(check: HealthCheck): number {
    return check.jitterMs > 0 ? Math.floor(this.#random() * check.jitterMs) : 0;
  }
}

/**
 * Where a check starts after a (re)load: a check that stays keeps its verdict, except that
 * `mandatory` checks again from `checking` unless `persistent` and the peer was up; a new
 * `mandatory` one starts `checking`; a new plain one trusts what the record says (up for a
 * fresh record, as nginx Plus starts a server healthy; unhealthy where a shared store knows so).
 */
function startingVerdict(check: HealthCheck, before: Target | undefined, recorded: ActiveHealth): Target["verdict"] {
  if (check.isMandatory) return check.isPersistent && before?.verdict === "up" ? "up" : "pending";
  if (before) return before.verdict === "pending" ? "up" : before.verdict;
  return recorded === "unhealthy" ? "unhealthy" : "up";
}

/** What makes a check the same one across reloads: its upstream, peer and what it asks. */
function identity(check: HealthCheck, upstream: string, peerKey: string): string {
  return `${upstream}|${peerKey}|${check.uri}|${check.port ?? ""}|${check.match?.name ?? ""}`;
}

/** Every check of a config, with the location it runs in and the peers it checks (`down` ones are never used: not checked). */
function checkSites(config: Config, caps: Capabilities): { site: CheckSite; peers: Peer[]; upstream: string }[] {
  // The peers' records are the proxy's own (the same keys); checks count in no status figure.
  const counters = caps.counters ?? new MemoryCounters();
  const groups = new Map(config.upstreams.map((u) => [u, createPeerGroup(u, caps.failures, counters)]));
  const out: { site: CheckSite; peers: Peer[]; upstream: string }[] = [];
  const visit = (server: Server, location: Location) => {
    const upstream = location.proxy?.kind === "static" ? location.proxy.upstream : undefined;
    const group = upstream ? groups.get(upstream) : undefined;
    for (const check of location.healthChecks ?? []) {
      if (!group || !upstream) continue;
      const log = caps.openLog && location.settings.errorLog ? caps.openLog(location.settings.errorLog) : caps.log;
      const site: CheckSite = { check, location, server, headers: planHeaders(location.settings), log };
      const peers = [...group.primary, ...group.backup].filter((p) => !p.server.isDown);
      out.push({ site, peers, upstream: upstream.name });
    }
    for (const child of location.children) visit(server, child);
  };
  for (const server of config.servers) for (const location of server.locations) visit(server, location);
  return out;
}
