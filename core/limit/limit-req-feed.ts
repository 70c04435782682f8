import type { LimitZone } from "../config/model.ts";
import { elapsed, isStale } from "./limit-req.ts";
import type { LimitZones } from "./limit-zones.ts";
import { ZoneTable } from "./zone-table.ts";

/**
 * Where the requests a `limit_req` zone counts also go (a capability): with `edgeproxy_state`,
 * to the other servers, which count them in their own zone by `countRequestFromElsewhere`.
 * Called on the request path with the zone locked: it may only note the request.
 */
export interface LimitReqFeed {
  /** A request `zone` counted (passed or delayed) under the key of `hash` (a ZoneTable hash's value) at `now` ms. */
  counted(zone: LimitZone, hash: number, now: number): void;
}

/**
 * The `limit_req` zones of the config being served, by name, in their memory (the proxy's own,
 * shared with its threads): where the requests other servers counted are counted here.
 */
export class ZonesByName {
  #zones = new Map<string, { readonly zone: LimitZone; readonly table: ZoneTable }>();

  /** Takes a config's zones (at start and on each reload). */
  use(zones: readonly LimitZone[], memory: LimitZones): void {
    this.#zones = new Map(
      zones.filter((z) => z.kind === "limit_req").map((zone) => [zone.name, { zone, table: new ZoneTable(memory.memory(zone)) }]),
    );
  }

  /** Counts a request another server counted in its zone `name` (none here: nothing). */
  countFromElsewhere(name: string, hash: number, at: number): void {
    const entry = this.#zones.get(name);
    if (entry) countRequestFromElsewhere(entry.table, entry.zone, hash, at);
  }
}

/**
 * A request another server counted in its zone of the same name, counted in this one's bucket
 * for the key as if it had come here at `at` ms (`ngx_http_limit_req_lookup()`'s arithmetic:
 * the excess drains since the last request and grows by one request). It was already let
 * through there, so `burst` does not apply: an excess above it holds back this server's next
 * requests of the key until it drains, as one nginx's would. A key that finds no room is
 * not counted.
 */
export function countRequestFromElsewhere(table: ZoneTable, zone: LimitZone, hash: number, at: number): void {
  table.locked(() => {
    const key = table.rehash(hash);
    const slot = table.find(key);
    if (slot >= 0) {
      const ms = elapsed(at, table.last(slot));
      table.setExcess(slot, Math.max(0, table.excess(slot) - Math.trunc((zone.rate * ms) / 1000) + 1000));
      if (ms) table.setLast(slot, at);
      table.setUsed(slot, Math.max(table.used(slot), at));
      return;
    }
    const fresh = table.claim(
      key,
      (s) => isStale(table, s, zone.rate, at),
      (s) => table.count(s) === 0,
    );
    if (fresh < 0) return;
    // A key's first request leaves no excess, as here.
    table.setLast(fresh, at);
    table.setUsed(fresh, at);
  });
}
