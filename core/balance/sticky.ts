import { md5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Sticky } from "../config/model.ts";
import type { HeaderPairs } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { lookupBuiltin } from "../variables/builtin.ts";
import type { Balancer } from "./balancer.ts";
import { isUsable, take } from "./health.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import type { PickState } from "./round-robin.ts";

/** A request's state with the peer its client is bound to, tried first. */
interface BoundState extends PickState {
  bound?: Peer | null;
}

/** nginx's `expires=max`: 31 Dec 2037 23:55:55 GMT. */
const MAX_EXPIRES_MS = Date.UTC(2037, 11, 31, 23, 55, 55);

/**
 * nginx Plus's `sticky` for one upstream: which peer a request's client is bound to (by the
 * cookie edgeproxy set, by a route variable, or by a session the upstream created), and what a
 * response does to bind it (the cookie, or the learned session). Built at load.
 */
export class StickyPlan {
  readonly #sticky: Sticky;
  /** Peers by the value that names them: the cookie's value or the route. */
  readonly #byId = new Map<string, Peer>();
  readonly #idOf = new Map<Peer, string>();
  readonly #cookie: ((ctx: RequestContext) => string) | null;
  readonly #sessions: SessionTable | null;

  constructor(group: PeerGroup, sticky: Sticky, sessions: SessionTable | null) {
    this.#sticky = sticky;
    for (const peer of [...group.primary, ...group.backup]) {
      const id = sticky.kind === "cookie" ? cookieValue(peer) : peer.server.route;
      if (id === undefined) continue;
      this.#idOf.set(peer, id);
      if (!this.#byId.has(id)) this.#byId.set(id, peer);
    }
    this.#cookie = sticky.kind === "cookie" ? lookupBuiltin(`cookie_${sticky.name.toLowerCase()}`) : null;
    this.#sessions = sessions;
  }

  /**
   * The balancer with affinity: a bound client's peer first, when it is usable and not yet
   * tried; otherwise, and for every later attempt, the upstream's own method, "as if the client
   * has not been bound yet".
   */
  wrap(inner: Balancer, nowMs: () => number): Balancer {
    return {
      begin: (ctx) => {
        const state: BoundState = inner.begin(ctx);
        state.bound = this.#boundPeer(ctx, nowMs());
        return state;
      },
      pick: (state: BoundState, nowSec) => {
        const bound = state.bound;
        if (bound) {
          state.bound = null;
          if (!state.tried.has(bound) && isUsable(bound, nowSec)) {
            state.tried.add(bound);
            return take(bound, nowSec);
          }
        }
        return inner.pick(state, nowSec);
      },
    };
  }

  /** What binds the client to `peer`, which answered: the `Set-Cookie` line to add, or a learned session. */
  answered(peer: Peer, ctx: RequestContext, upstreamHeaders: HeaderPairs, nowMs: number): [string, string] | null {
    const sticky = this.#sticky;
    if (sticky.kind === "cookie") {
      const id = this.#idOf.get(peer);
      if (id === undefined || this.#cookie?.(ctx) === id) return null;
      return ["Set-Cookie", setCookie(sticky, id, ctx, nowMs)];
    }
    if (sticky.kind === "learn" && this.#sessions) {
      const session = firstValue(sticky.create, ctx, upstreamHeaders);
      if (session !== "") this.#sessions.set(session, peer, nowMs);
    }
    return null;
  }

  #boundPeer(ctx: RequestContext, nowMs: number): Peer | null {
    const sticky = this.#sticky;
    switch (sticky.kind) {
      case "cookie":
        return this.#byId.get(this.#cookie?.(ctx) ?? "") ?? null;
      case "route": {
        const route = firstValue(sticky.routes, ctx, []);
        return route === "" ? null : (this.#byId.get(route) ?? null);
      }
      case "learn": {
        const session = firstValue(sticky.lookup, ctx, []);
        return session === "" ? null : (this.#sessions?.get(session, nowMs) ?? null);
      }
      default: {
        const never: never = sticky;
        throw new Error(`unknown sticky method ${String(never)}`);
      }
    }
  }
}

/** The cookie value naming a peer, as nginx Plus makes it: its `route=`, else the MD5 of its address, in hex. */
function cookieValue(peer: Peer): string {
  if (peer.server.route !== undefined) return peer.server.route;
  const a = peer.server.address;
  const text = a.kind === "unix" ? `unix:${a.path}` : `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
  return bytesToHex(md5(new TextEncoder().encode(text)));
}

/** `NAME=VALUE; expires=...; max-age=...; domain=...; path=...; secure; httponly; samesite=...`. */
function setCookie(sticky: Extract<Sticky, { kind: "cookie" }>, id: string, ctx: RequestContext, nowMs: number): string {
  let line = `${sticky.name}=${id}`;
  if (sticky.expires !== null) {
    const at = sticky.expires === "max" ? MAX_EXPIRES_MS : nowMs + sticky.expires * 1000;
    line += `; expires=${cookieTime(at)}; max-age=${Math.max(0, Math.floor((at - nowMs) / 1000))}`;
  }
  if (sticky.domain !== null) line += `; domain=${sticky.domain}`;
  if (sticky.path !== null) line += `; path=${sticky.path}`;
  if (sticky.isSecure) line += "; secure";
  if (sticky.isHttpOnly) line += "; httponly";
  const sameSite = sameSiteOf(sticky.sameSite, ctx);
  if (sameSite) line += `; samesite=${sameSite}`;
  return line;
}

/** A variable `samesite=`: empty leaves the attribute out, Strict/Lax/None in any case, anything else Strict. */
function sameSiteOf(value: Extract<Sticky, { kind: "cookie" }>["sameSite"], ctx: RequestContext): string | null {
  if (value === null || typeof value === "string") return value;
  const text = renderTemplate(value, ctx).toLowerCase();
  if (text === "") return null;
  return text === "lax" ? "Lax" : text === "none" ? "None" : "Strict";
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** nginx's cookie time (`ngx_cookie_time()`): `Thu, 31-Dec-37 23:55:55 GMT`, a four-digit year from 2038. */
function cookieTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const year = d.getUTCFullYear();
  const y = year <= 2037 ? p(year % 100) : String(year);
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${y} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

/** The first non-empty value: variables, or the upstream response's cookie or header. */
function firstValue(sources: Extract<Sticky, { kind: "learn" }>["create"], ctx: RequestContext, upstreamHeaders: HeaderPairs): string {
  for (const source of sources) {
    const value = "from" in source ? responseField(source, upstreamHeaders) : renderTemplate(source, ctx);
    if (value !== "") return value;
  }
  return "";
}

/** `$upstream_cookie_NAME` (from `Set-Cookie`) or `$upstream_http_NAME`. */
function responseField(source: { from: "cookie" | "header"; name: string }, headers: HeaderPairs): string {
  const lower = source.from === "cookie" ? "set-cookie" : source.name.toLowerCase();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== lower) continue;
    if (source.from === "header") return value;
    const eq = value.indexOf("=");
    if (eq > 0 && value.slice(0, eq).trim().toLowerCase() === source.name.toLowerCase()) {
      const end = value.indexOf(";", eq);
      return value.slice(eq + 1, end < 0 ? undefined : end).trim();
    }
  }
  return "";
}

/**
 * `sticky learn`'s sessions: session id to peer, for up to `capacity` sessions, each dropped
 * when not used for `timeout`. Per process (per isolate on Workers): nginx Plus keeps them in a
 * zone its workers share.
 */
export class SessionTable {
  readonly #capacity: number;
  readonly #timeoutMs: number;
  /** In order of last use, oldest first. */
  readonly #entries = new Map<string, { peer: Peer; usedMs: number }>();

  constructor(capacity: number, timeoutMs: number) {
    this.#capacity = capacity;
    this.#timeoutMs = timeoutMs;
  }

  get(id: string, nowMs: number): Peer | null {
    const entry = this.#entries.get(id);
    if (!entry) return null;
    this.#entries.delete(id);
    if (nowMs - entry.usedMs > this.#timeoutMs) return null;
    entry.usedMs = nowMs;
    this.#entries.set(id, entry);
    return entry.peer;
  }

  set(id: string, peer: Peer, nowMs: number): void {
    this.#entries.delete(id);
    this.#entries.set(id, { peer, usedMs: nowMs });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
