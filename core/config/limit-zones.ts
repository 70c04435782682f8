import type { Template } from "../shape/template.ts";
import { ConfigError } from "./errors.ts";
import type { LimitZone } from "./model.ts";
import type { Directive } from "./parse.ts";

/** A zone while the `http` block is read: a limit may name it before its `*_zone` line. */
interface ZoneDraft {
  kind: LimitZone["kind"];
  name: string;
  size: number;
  key: Template | null;
  rate: number;
}

/**
 * The shared memory zones of the limit modules, as `ngx_shared_memory_add()` keeps them: a
 * name belongs to one module, a size is declared once, and a zone every limit names must be
 * declared by the end of the `http` block (`zero size shared memory zone`).
 */
export class LimitZoneRegistry {
  readonly #zones = new Map<string, ZoneDraft>();

  /** The zone a `limit_req` or `limit_conn` line names, declared or not yet. */
  use(kind: LimitZone["kind"], name: string, d: Directive): LimitZone {
    return this.#zone(kind, name, 0, d) as LimitZone;
  }

  /** `limit_req_zone` / `limit_conn_zone`: the zone's size, key and rate. */
  declare(kind: LimitZone["kind"], name: string, size: number, key: Template, rate: number, d: Directive): void {
    const zone = this.#zone(kind, name, size, d);
    if (zone.key !== null) {
      throw new ConfigError("duplicate", `${d.name} "${name}" is already bound to key "${zone.key.text}"`, d.at);
    }
    zone.key = key;
    zone.rate = rate;
  }

  /** Every zone, once the `http` block is read; a zone only named is nginx's zero-size error. */
  finish(): LimitZone[] {
    for (const zone of this.#zones.values()) {
      if (zone.key === null) throw new ConfigError("reference", `zero size shared memory zone "${zone.name}"`, null);
    }
    return [...this.#zones.values()] as LimitZone[];
  }

  #zone(kind: LimitZone["kind"], name: string, size: number, d: Directive): ZoneDraft {
    let zone = this.#zones.get(name);
    if (!zone) {
      zone = { kind, name, size, key: null, rate: 0 };
      this.#zones.set(name, zone);
      return zone;
    }
    if (zone.kind !== kind)
      throw new ConfigError("invalid-value", `the shared memory zone "${name}" is already declared for a different use`, d.at);
    if (zone.size === 0) zone.size = size;
    if (size !== 0 && size !== zone.size) {
      throw new ConfigError(
        "invalid-value",
        `the size ${size} of shared memory zone "${name}" conflicts with already declared size ${zone.size}`,
        d.at,
      );
    }
    return zone;
  }
}
