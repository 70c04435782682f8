import {
  eventFamily,
  type FailureState,
  type Logger,
  MemoryFailureState,
  type PeerEvent,
  type PeerHealth,
  type PeerTransition,
  readTransition,
  TransitionLedger,
  transitionOf,
} from "../../core/index.ts";
import type { KvChoice } from "./kv-binding.ts";

/** The two KV calls this store makes; a binding that lacks them is treated as absent. */
export interface KvLike {
  put(key: string, value: string, options: { metadata: unknown; expirationTtl?: number }): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<{
    keys: { name: string; metadata?: unknown }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** Key prefix of every record; the version names the value format (a PeerTransition). */
export const KV_PREFIX = "edgeproxy:v1:";

/** A peer's two records: passive health (`peer:`) and the active checks' verdict (`check:`), written apart. */
const FAMILY_PREFIX = { passive: `${KV_PREFIX}peer:`, active: `${KV_PREFIX}check:` } as const;

/** KV takes one write per second per key. */
const WRITE_SPACING_MS = 1000;
/** Records of peers nobody touched for a day expire. */
const RECORD_TTL_SECONDS = 86400;

/**
 * Peer health for Workers: counted in isolate memory exactly as the core counts it, shared
 * through Workers KV by its transitions only (a peer became unavailable, or recovered). KV is
 * eventually consistent (about a minute across locations) and takes one write per second per
 * key, so writes are coalesced per key and run after the response (`ctx.waitUntil`), and each
 * isolate reads the others' transitions at most every `refreshMs`, also after a response.
 * Nothing touches KV on the request path; a missing or failing binding is logged and the
 * proxy carries on with its isolate's own view. A record is a PeerTransition, stored as the
 * key's metadata (so one `list` reads them all) and as its JSON value (for `wrangler kv key get`);
 * each peer has one for passive health, written by the isolates that count failures, and one
 * for the active checks' verdict, written by the Cron Trigger that runs `health_check`.
 */
export class KvFailureState implements FailureState {
  /** The isolate's own records: KV only carries what changes between them. */
  readonly #local = new MemoryFailureState();
  readonly #pending = new Map<string, PeerTransition>();
  readonly #lastWriteMs = new Map<string, number>();
  /** What this isolate knows of each key's latest transition: older remote news loses. */
  readonly #ledger = new TransitionLedger((key) => this.#local.find(key));
  readonly #refreshMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  #kv: KvLike | null = null;
  #attached = false;
  #lastRefreshMs = 0;
  #busy = false;

  constructor(options: { refreshMs: number; log: Logger; now?: () => number }) {
    this.#refreshMs = options.refreshMs;
    this.#log = options.log;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Whether the KV namespace has been chosen (bindings arrive with requests, not at load). */
  get isAttached(): boolean {
    return this.#attached;
  }

  /** Binds the KV namespace on the first request, or says once why there is none. */
  attach(choice: KvChoice): void {
    if (this.#attached) return;
    this.#attached = true;
    if ("kv" in choice) this.#kv = choice.kv;
    else this.#log.warn(choice.missing);
  }

  peer(key: string): PeerHealth {
    return this.#local.peer(key);
  }

  changed(key: string, health: Readonly<PeerHealth>, event: PeerEvent): void {
    const at = this.#now();
    this.#ledger.own(key, event, at);
    if (this.#kv) this.#pending.set(FAMILY_PREFIX[eventFamily(event)] + key, transitionOf(health, event, at));
  }

  /** Reads every record from KV now (a Cron Trigger's isolate, before it checks). */
  async load(): Promise<void> {
    if (!this.#kv) return;
    this.#lastRefreshMs = this.#now();
    await this.#sync(this.#kv, [], true);
  }

  /** Writes every pending transition now, whatever their spacing (the end of a Cron Trigger). */
  async flush(): Promise<void> {
    if (this.#kv) await this.#sync(this.#kv, [...this.#pending.keys()], false);
  }

  /**
   * What to do after a response: write pending transitions (spaced per key) and, when due,
   * read the others'. Null when there is nothing to do, so healthy traffic costs no KV call.
   */
  maintain(): Promise<void> | null {
    const kv = this.#kv;
    if (!kv || this.#busy) return null;
    const now = this.#now();
    const due = [...this.#pending.keys()].filter((key) => now - (this.#lastWriteMs.get(key) ?? 0) >= WRITE_SPACING_MS);
    const refresh = now - this.#lastRefreshMs >= this.#refreshMs;
    if (due.length === 0 && !refresh) return null;
    this.#busy = true;
    if (refresh) this.#lastRefreshMs = now;
    return this.#sync(kv, due, refresh).finally(() => {
      this.#busy = false;
    });
  }

  /** Reads the other isolates' transitions from KV now, for a status page; writes nothing, never rejects. */
  async refresh(): Promise<void> {
    const kv = this.#kv;
    if (!kv || this.#busy) return;
    this.#busy = true;
    this.#lastRefreshMs = this.#now();
    try {
      await this.#sync(kv, [], true);
    } finally {
      this.#busy = false;
    }
  }

  async #sync(kv: KvLike, due: string[], refresh: boolean): Promise<void> {
    for (const name of due) {
      const stored = this.#pending.get(name) as PeerTransition;
      this.#pending.delete(name);
      this.#lastWriteMs.set(name, this.#now());
      const key = peerKeyOf(name);
      try {
        await kv.put(name, JSON.stringify(stored), { metadata: stored, expirationTtl: RECORD_TTL_SECONDS });
        this.#log.info(`edgeproxy: KV put ${key} ${stored.event}`);
      } catch (error) {
        this.#log.error(`edgeproxy: KV put failed for ${key}, keeping local state: ${String(error)}`);
      }
    }
    if (!refresh) return;
    try {
      let cursor: string | undefined;
      do {
        const page = await kv.list(cursor ? { prefix: KV_PREFIX, cursor } : { prefix: KV_PREFIX });
        for (const entry of page.keys) this.#merge(peerKeyOf(entry.name), entry.metadata);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    } catch (error) {
      this.#log.error(`edgeproxy: KV list failed, keeping local state: ${String(error)}`);
    }
  }

  /** Takes another isolate's transition if it is newer than what this isolate knows (by time). */
  #merge(key: string, metadata: unknown): void {
    const stored = readTransition(metadata);
    if (stored) this.#ledger.take(key, stored);
  }
}

/** The peer key of a KV key of either family. */
function peerKeyOf(name: string): string {
  for (const prefix of Object.values(FAMILY_PREFIX)) if (name.startsWith(prefix)) return name.slice(prefix.length);
  return name.slice(KV_PREFIX.length);
}
