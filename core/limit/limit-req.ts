import type { LimitReq, LimitZone } from "../config/model.ts";
import type { LimitReqFeed } from "./limit-req-feed.ts";
import type { ZoneTable } from "./zone-table.ts";

/** What the limits decide for one request (`ngx_http_limit_req_handler()`). */
export type LimitReqDecision =
  /** No limit counted it (no limits, or every key empty). */
  | { readonly kind: "declined" }
  | { readonly kind: "passed" }
  /** Over `delay`: wait `delayMs` first; `excess` in thousandths, for the log line. */
  | { readonly kind: "delayed"; readonly delayMs: number; readonly excess: number; readonly zone: LimitZone }
  /** Over `burst` (`busy`), or no room for the key's state in the zone. */
  | { readonly kind: "rejected"; readonly busy: boolean; readonly excess: number; readonly zone: LimitZone };

/** The key of a limit's zone for this request; "" is not counted. */
export type KeyOf = (zone: LimitZone) => string;

/** Keys longer than this are not counted (`ngx_http_limit_req_handler()`). */
export const MAX_KEY_LENGTH = 65535;

/**
 * nginx's leaky bucket, limit by limit in order (`ngx_http_limit_req_lookup()`): each key's
 * `excess` drains at the zone's rate since its `last` request and grows by one request
 * (1000); above `burst` the request is rejected. The last limit counts the request at once;
 * earlier ones only check, and are counted by `account` once every limit has passed, so a
 * rejection by a later limit costs the earlier ones nothing. `now` is in ms. Every request a
 * zone counts also goes to `feed`, when there is one.
 */
export function limitRequests(
  limits: readonly LimitReq[],
  tableOf: (zone: LimitZone) => ZoneTable,
  keyOf: KeyOf,
  now: number,
  onLongKey: (zone: LimitZone, key: string) => void,
  feed?: LimitReqFeed,
): LimitReqDecision {
  const held: number[] = new Array(limits.length).fill(-1);
  let result: Lookup = { kind: "declined", excess: 0 };
  let at = 0;
  for (; at < limits.length; at++) {
    const limit = limits[at] as LimitReq;
    const key = keyOf(limit.zone);
    if (key.length === 0) continue;
    if (key.length > MAX_KEY_LENGTH) {
      onLongKey(limit.zone, key);
      continue;
    }
    const table = tableOf(limit.zone);
    result = table.locked(() => lookup(limit, table, key, now, at === limits.length - 1, feed));
    if (result.kind === "again") held[at] = result.slot;
    else break;
  }
  if (result.kind === "declined") return { kind: "declined" };
  if (result.kind === "busy" || result.kind === "error") {
    release(limits, tableOf, held, at);
    const zone = (limits[at] as LimitReq).zone;
    return { kind: "rejected", busy: result.kind === "busy", excess: result.excess, zone };
  }
  return account(limits, tableOf, held, Math.min(at, limits.length - 1), result.kind === "again" ? 0 : result.excess, now, feed);
}

type Lookup =
  | { readonly kind: "declined" | "busy" | "error" | "ok"; readonly excess: number }
  | { readonly kind: "again"; readonly excess: number; readonly slot: number };

/** One key of one limit, the zone locked. `isLast`: count it now (`account`), else hold it. */
function lookup(limit: LimitReq, table: ZoneTable, key: string, now: number, isLast: boolean, feed: LimitReqFeed | undefined): Lookup {
  const zone = limit.zone;
  const hash = table.hash(key);
  const slot = table.find(hash);
  if (slot < 0) {
    const fresh = table.claim(
      hash,
      (s) => isStale(table, s, zone.rate, now),
      (s) => table.count(s) === 0,
    );
    if (fresh < 0) return { kind: "error", excess: 0 };
    table.setUsed(fresh, now);
    if (isLast) {
      table.setLast(fresh, now);
      feed?.counted(zone, hash.value, now);
      return { kind: "ok", excess: 0 };
    }
    // A held new state has no last request: account() then finds it fully drained.
    table.setLast(fresh, 0);
    table.setCount(fresh, 1);
    return { kind: "again", excess: 0, slot: fresh };
  }
  table.setUsed(slot, now);
  const ms = elapsed(now, table.last(slot));
  const excess = Math.max(0, table.excess(slot) - Math.trunc((zone.rate * ms) / 1000) + 1000);
  if (excess > limit.burst) return { kind: "busy", excess };
  if (isLast) {
    table.setExcess(slot, excess);
    if (ms) table.setLast(slot, now);
    feed?.counted(zone, hash.value, now);
    return { kind: "ok", excess };
  }
  table.setCount(slot, table.count(slot) + 1);
  return { kind: "again", excess, slot };
}

/**
 * `ngx_http_limit_req_account()`: the held keys are counted now, and the longest delay any
 * limit asks for is the request's, with that limit's excess and zone.
 */
function account(
  limits: readonly LimitReq[],
  tableOf: (zone: LimitZone) => ZoneTable,
  held: readonly number[],
  last: number,
  lastExcess: number,
  now: number,
  feed: LimitReqFeed | undefined,
): LimitReqDecision {
  const lastLimit = limits[last] as LimitReq;
  let delayMs = lastExcess <= lastLimit.delay ? 0 : Math.trunc(((lastExcess - lastLimit.delay) * 1000) / lastLimit.zone.rate);
  let excess = lastExcess;
  let zone = lastLimit.zone;
  for (let n = last - 1; n >= 0; n--) {
    const slot = held[n] as number;
    if (slot < 0) continue;
    const limit = limits[n] as LimitReq;
    const table = tableOf(limit.zone);
    const counted = table.locked(() => {
      const ms = elapsed(now, table.last(slot));
      const value = Math.max(0, table.excess(slot) - Math.trunc((limit.zone.rate * ms) / 1000) + 1000);
      if (ms) table.setLast(slot, now);
      table.setExcess(slot, value);
      table.setCount(slot, table.count(slot) - 1);
      feed?.counted(limit.zone, table.hashAt(slot), now);
      return value;
    });
    if (counted <= limit.delay) continue;
    const delay = Math.trunc(((counted - limit.delay) * 1000) / limit.zone.rate);
    if (delay > delayMs) {
      delayMs = delay;
      excess = counted;
      zone = limit.zone;
    }
  }
  return delayMs > 0 ? { kind: "delayed", delayMs, excess, zone } : { kind: "passed" };
}

/** `ngx_http_limit_req_unlock()`: the keys held before the rejecting limit are let go uncounted. */
function release(limits: readonly LimitReq[], tableOf: (zone: LimitZone) => ZoneTable, held: readonly number[], upTo: number): void {
  for (let n = 0; n < upTo; n++) {
    const slot = held[n] as number;
    if (slot < 0) continue;
    const table = tableOf((limits[n] as LimitReq).zone);
    table.locked(() => table.setCount(slot, table.count(slot) - 1));
  }
}

/** ms since `last`, as nginx clamps it: a clock that went back a little is 0, a lot is 1. */
export function elapsed(now: number, last: number): number {
  const ms = now - last;
  return ms < -60000 ? 1 : Math.max(ms, 0);
}

/**
 * A state nginx's expiry would have freed (`ngx_http_limit_req_expire()`): no lookup holds
 * it, untouched for a minute, and drained.
 */
export function isStale(table: ZoneTable, slot: number, rate: number, now: number): boolean {
  if (table.count(slot) !== 0) return false;
  const ms = Math.abs(now - table.last(slot));
  return ms >= 60000 && table.excess(slot) - (rate * ms) / 1000 <= 0;
}
