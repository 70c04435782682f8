import type { LimitZone } from "../config/model.ts";
import { ZoneTable } from "./zone-table.ts";

/** What identifies a zone's memory across reloads: its module, name and size, as nginx reuses a zone. */
export type ZoneIdentity = Pick<LimitZone, "kind" | "name" | "size">;

/**
 * Where the limit zones' states live (a capability): the same memory for the same zone for the
 * life of the process, so a reload keeps the counts as nginx keeps a zone whose name and size
 * did not change; shared between threads where the platform has them.
 */
export interface LimitZones {
  memory(zone: ZoneIdentity): ArrayBuffer | SharedArrayBuffer;
}

/**
 * How many states a zone of this size holds: nginx's documented figures, a megabyte for about
 * 16,000 limit_req states and 32,000 limit_conn ones.
 */
export function zoneCapacity(zone: ZoneIdentity): number {
  return Math.max(1, Math.floor(zone.size / (zone.kind === "limit_req" ? 64 : 32)));
}

/** The key a zone's memory is kept under. */
export function zoneKey(zone: ZoneIdentity): string {
  return `${zone.kind} ${zone.name} ${zone.size}`;
}

/** Zones in this process's memory (one thread, or an isolate on Workers). */
export class MemoryLimitZones implements LimitZones {
  readonly #buffers = new Map<string, ArrayBuffer>();

  memory(zone: ZoneIdentity): ArrayBuffer {
    const key = zoneKey(zone);
    let buffer = this.#buffers.get(key);
    if (!buffer) {
      buffer = new ArrayBuffer(ZoneTable.bytesFor(zoneCapacity(zone)));
      this.#buffers.set(key, buffer);
    }
    return buffer;
  }
}

/**
 * Zones in SharedArrayBuffers, for the threads of `worker_processes`: the main thread allocates
 * them for each config it loads (`allocate`, keeping those of zones that did not change) and
 * hands every thread the same buffers.
 */
export class SharedLimitZones implements LimitZones {
  readonly #buffers: ReadonlyMap<string, SharedArrayBuffer>;

  constructor(buffers: ReadonlyMap<string, SharedArrayBuffer>) {
    this.#buffers = buffers;
  }

  /** Buffers for every zone of a config, the previous ones kept by zone. */
  static allocate(
    zones: readonly ZoneIdentity[],
    previous: ReadonlyMap<string, SharedArrayBuffer> = new Map(),
  ): Map<string, SharedArrayBuffer> {
    const out = new Map<string, SharedArrayBuffer>();
    for (const zone of zones) {
      const key = zoneKey(zone);
      out.set(key, previous.get(key) ?? new SharedArrayBuffer(ZoneTable.bytesFor(zoneCapacity(zone))));
    }
    return out;
  }

  memory(zone: ZoneIdentity): SharedArrayBuffer {
    const buffer = this.#buffers.get(zoneKey(zone));
    if (!buffer) throw new Error(`limit zone "${zone.name}" has no shared memory: the main thread did not allocate it`);
    return buffer;
  }
}
