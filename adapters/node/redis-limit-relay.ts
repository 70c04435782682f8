import type { LimitReqFeed, LimitZone, Logger, SharedState, ZonesByName } from "../../core/index.ts";
import type { RedisClientLike } from "./redis-failure-state.ts";

/**
 * What goes over the channel, one message per batch: the process that counted the requests (its
 * own echo is ignored), and per zone name each request's key hash and age in ms when sent
 * (`[hash, age, hash, age, ...]`), so that no two servers' clocks need to agree.
 */
interface Batch {
  readonly from: string;
  readonly zones: Record<string, number[]>;
}

/**
 * `limit_req` zones shared by every edgeproxy server on one Redis or Valkey (`edgeproxy_state`):
 * each process decides every request on its own bucket, exactly as nginx does, and tells the
 * others which requests its zones counted; each counts the others' requests in its own bucket
 * for the key as if they had come to it. So a client spread over several servers gets about
 * the configured rate overall, one round trip late: requests that arrive at two servers within
 * that time are each let through by their own bucket.
 *
 * Nothing waits on Redis on the request path: a counted request is noted, and the requests of
 * one event-loop turn go out in one PUBLISH on `PREFIX limits` after it. While Redis is away the
 * requests are not kept (a rate limit is about the last seconds, which are gone when it is
 * back), each process limits alone and says so once, and sharing resumes when it returns.
 * `receives`: this thread counts the others' requests (one thread of `worker_processes` does,
 * since they share the zones); `instance` is the same for every thread of a process.
 */
export class RedisLimitRelay implements LimitReqFeed {
  readonly #zones: ZonesByName;
  readonly #state: SharedState;
  readonly #log: Logger;
  readonly #instance: string;
  readonly #pub: RedisClientLike;
  readonly #sub: RedisClientLike | null;
  #batch: Record<string, number[]> = {};
  #batchAt = 0;
  #isScheduled = false;
  #isDown = false;
  #isClosed = false;

  constructor(zones: ZonesByName, client: RedisClientLike, state: SharedState, log: Logger, instance: string, receives: boolean) {
    this.#zones = zones;
    this.#state = state;
    this.#log = log;
    this.#instance = instance;
    this.#pub = client;
    this.#sub = receives ? client.duplicate() : null;
  }

  /** Connects in the background: serving never waits for Redis. */
  start(): void {
    this.#pub.on("error", (error) => this.#lost(error));
    this.#pub.on("ready", () => this.#back());
    this.#pub.connect().catch((error: Error) => this.#lost(error));
    const sub = this.#sub;
    if (!sub) return;
    sub.on("error", (error) => this.#lost(error));
    sub
      .connect()
      .then(() => sub.subscribe(this.#channel, (message) => this.#receive(message)))
      .catch((error: Error) => this.#lost(error));
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    const clients = this.#sub ? [this.#pub, this.#sub] : [this.#pub];
    await Promise.all(clients.map((c) => c.close().catch(() => c.destroy())));
  }

  counted(zone: LimitZone, hash: number, now: number): void {
    if (this.#isDown || this.#isClosed) return;
    if (!this.#isScheduled) {
      this.#isScheduled = true;
      this.#batchAt = now;
      setImmediate(() => this.#flush());
    }
    const entries = this.#batch[zone.name];
    // `now` is the request's: the proxy's clock, as Date.now() here.
    if (entries) entries.push(hash, now);
    else this.#batch[zone.name] = [hash, now];
  }

  get #channel(): string {
    return `${this.#state.prefix}limits`;
  }

  #flush(): void {
    const zones = this.#batch;
    this.#batch = {};
    this.#isScheduled = false;
    if (Object.keys(zones).length === 0) return;
    const sentAt = Math.max(Date.now(), this.#batchAt);
    for (const entries of Object.values(zones)) {
      for (let i = 1; i < entries.length; i += 2) entries[i] = sentAt - (entries[i] as number);
    }
    const batch: Batch = { from: this.#instance, zones };
    // Fails at once while Redis is away (no offline queue).
    this.#pub.publish(this.#channel, JSON.stringify(batch)).catch((error: Error) => this.#lost(error));
  }

  #receive(raw: string): void {
    const batch = safeParse(raw) as Partial<Batch> | null;
    if (!batch || batch.from === this.#instance || typeof batch.zones !== "object" || batch.zones === null) return;
    const now = Date.now();
    for (const [name, entries] of Object.entries(batch.zones)) {
      if (!Array.isArray(entries)) continue;
      for (let i = 0; i + 1 < entries.length; i += 2) {
        const hash = entries[i];
        const age = entries[i + 1];
        if (!Number.isSafeInteger(hash) || (hash as number) < 2 || typeof age !== "number") continue;
        this.#zones.countFromElsewhere(name, hash as number, now - Math.max(0, age));
      }
    }
  }

  #back(): void {
    if (this.#isDown) this.#log.notice(`edgeproxy_state: ${this.#state.url} is back: limit_req zones are shared again`);
    this.#isDown = false;
  }

  #lost(error: Error | undefined): void {
    if (this.#isDown || this.#isClosed) return;
    this.#isDown = true;
    this.#batch = {};
    this.#log.warn(
      `edgeproxy_state: ${this.#state.url} unreachable (${error?.message ?? "closed"}): limit_req zones count per process until it is back`,
    );
  }
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}
