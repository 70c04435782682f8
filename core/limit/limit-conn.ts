import type { LimitConn, LimitZone } from "../config/model.ts";
import type { KeyOf } from "./limit-req.ts";
import type { ZoneTable } from "./zone-table.ts";

/** What `limit_conn` decides for one request (`ngx_http_limit_conn_handler()`). */
export type LimitConnDecision =
  /** No key counted it. */
  | { readonly kind: "declined" }
  /** Counted in every zone: `release` gives the connections back when the request ends. */
  | { readonly kind: "passed"; readonly release: () => void }
  /** A zone is at its limit (`busy`), or has no room for the key's state; nothing stays counted. */
  | { readonly kind: "rejected"; readonly busy: boolean; readonly zone: LimitZone };

/** Keys longer than this are not counted (`ngx_http_limit_conn_handler()`). */
export const MAX_CONN_KEY_LENGTH = 255;

/**
 * Counts the request in each zone under its key, in order: a key already at its limit rejects
 * it and gives back what the earlier zones counted. A key's state goes when its count is 0.
 */
export function limitConnections(
  limits: readonly LimitConn[],
  tableOf: (zone: LimitZone) => ZoneTable,
  keyOf: KeyOf,
  onLongKey: (zone: LimitZone, key: string) => void,
): LimitConnDecision {
  const counted: { table: ZoneTable; slot: number }[] = [];
  const release = () => {
    for (const { table, slot } of counted.splice(0)) {
      table.locked(() => {
        const left = table.count(slot) - 1;
        table.setCount(slot, left);
        if (left <= 0) table.free(slot);
      });
    }
  };
  for (const limit of limits) {
    const key = keyOf(limit.zone);
    if (key.length === 0) continue;
    if (key.length > MAX_CONN_KEY_LENGTH) {
      onLongKey(limit.zone, key);
      continue;
    }
    const table = tableOf(limit.zone);
    const slot = table.locked(() => take(table, key, limit.conn));
    if (slot < 0) {
      release();
      return { kind: "rejected", busy: slot === BUSY, zone: limit.zone };
    }
    counted.push({ table, slot });
  }
  return counted.length === 0 ? { kind: "declined" } : { kind: "passed", release };
}

const BUSY = -2;

/** One more connection for the key, the zone locked: its slot, BUSY at the limit, -1 without room. */
function take(table: ZoneTable, key: string, max: number): number {
  const hash = table.hash(key);
  let slot = table.find(hash);
  if (slot < 0) {
    slot = table.claim(
      hash,
      () => false,
      () => false,
    );
    if (slot < 0) return -1;
  } else if (table.count(slot) >= max) return BUSY;
  table.setCount(slot, table.count(slot) + 1);
  return slot;
}
