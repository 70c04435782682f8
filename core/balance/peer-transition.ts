import type { ActiveHealth, PeerEvent, PeerHealth } from "../capabilities.ts";

/**
 * A peer's change of health as the stores that share it carry it (Workers KV, a Durable
 * Object, Redis): the record after the change, what changed, and when (ms since the epoch).
 * Version 1; `active` is absent in records written before active health checks.
 */
export interface PeerTransition {
  readonly v: 1;
  readonly fails: number;
  readonly accessed: number;
  readonly checked: number;
  readonly active?: ActiveHealth;
  readonly event: PeerEvent;
  readonly at: number;
}

const EVENTS: ReadonlySet<string> = new Set<PeerEvent>(["unavailable", "recovered", "unhealthy", "healthy"]);
const ACTIVE: ReadonlySet<string> = new Set<ActiveHealth>(["up", "unhealthy", "checking"]);

/** The transition to share for a change this process made. */
export function transitionOf(health: Readonly<PeerHealth>, event: PeerEvent, atMs: number): PeerTransition {
  return { v: 1, fails: health.fails, accessed: health.accessed, checked: health.checked, active: health.active, event, at: atMs };
}

/** A stored value as a transition, or null when it is not one this version reads. */
export function readTransition(value: unknown): PeerTransition | null {
  const t = value as Partial<PeerTransition> | null | undefined;
  if (t?.v !== 1 || typeof t.at !== "number" || typeof t.event !== "string" || !EVENTS.has(t.event)) return null;
  const count = (n: unknown) => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : 0);
  return {
    v: 1,
    fails: count(t.fails),
    accessed: count(t.accessed),
    checked: count(t.checked),
    ...(typeof t.active === "string" && ACTIVE.has(t.active) ? { active: t.active } : {}),
    event: t.event,
    at: t.at,
  };
}

/**
 * Takes another process's transition into this process's record. A failure raises the
 * counters to the other's (never lowers them, so this process's own count goes on from there);
 * a recovery resets `fails` only when no failure came after the one it recovered from; an
 * active verdict replaces this process's.
 */
export function applyTransition(record: PeerHealth, t: PeerTransition): void {
  switch (t.event) {
    case "unavailable":
      record.fails = Math.max(record.fails, t.fails);
      record.accessed = Math.max(record.accessed, t.accessed);
      record.checked = Math.max(record.checked, t.checked);
      return;
    case "recovered":
      if (t.accessed >= record.accessed) {
        record.fails = 0;
        record.checked = Math.max(record.checked, t.checked);
      }
      return;
    case "unhealthy":
    case "healthy":
      if (t.active) record.active = t.active;
      return;
    default: {
      const never: never = t.event;
      throw new Error(`unknown peer event ${String(never)}`);
    }
  }
}

/**
 * Which half of a record an event changes: passive health (counted from requests) or the
 * active checks' verdict. The two are shared and ordered apart: a store keeps one of each.
 */
export function eventFamily(event: PeerEvent): "passive" | "active" {
  return event === "unavailable" || event === "recovered" ? "passive" : "active";
}

/**
 * What one process knows of each peer key's latest transitions, its own or taken from others,
 * so that older news from a shared store never overrides newer: transitions apply in the order
 * they happened, by their time, the passive and the active ones each in their own order.
 */
export class TransitionLedger {
  readonly #knownAtMs = new Map<string, number>();
  readonly #find: (key: string) => PeerHealth | undefined;

  /** `find` gives this process's record for a key, without making one. */
  constructor(find: (key: string) => PeerHealth | undefined) {
    this.#find = find;
  }

  /** Notes a change this process made at `atMs`. */
  own(key: string, event: PeerEvent, atMs: number): void {
    const at = `${eventFamily(event)} ${key}`;
    this.#knownAtMs.set(at, Math.max(atMs, this.#knownAtMs.get(at) ?? 0));
  }

  /** Applies another's transition when it is newer than what this process knows; whether it did. */
  take(key: string, t: PeerTransition): boolean {
    const at = `${eventFamily(t.event)} ${key}`;
    if (t.at <= (this.#knownAtMs.get(at) ?? 0)) return false;
    const record = this.#find(key);
    if (!record) return false;
    applyTransition(record, t);
    this.#knownAtMs.set(at, t.at);
    return true;
  }
}
