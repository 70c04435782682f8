import {
  type FailureState,
  type Logger,
  MemoryFailureState,
  type PeerEvent,
  type PeerHealth,
  readTransition,
  TransitionLedger,
  transitionOf,
} from "../../core/index.ts";

/** The Durable Object namespace calls this store makes (wrangler.toml `[[durable_objects.bindings]]`). */
export interface DurableNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** What the object answers a read with: each peer key with a transition of either family. */
export interface PeerStateRecords {
  readonly records: readonly (readonly [string, unknown])[];
}

/** After a failed call, how long requests go on with the isolate's own view before reading again. */
const RETRY_AFTER_MS = 1000;

/** The object's URL: the host is a placeholder, only the path and method matter to it. */
const OBJECT_URL = "https://edgeproxy-peer-state/records";

/**
 * Peer health for Workers through a Durable Object, for operators who need isolates to agree at
 * once rather than at KV's pace: one object per upstream (`idFromName(upstream)`) holds the
 * latest transition of each of its peers. An isolate counts failures in memory as the core
 * counts them; it sends each transition to the object as it happens, and before a request picks
 * a peer it reads the upstream's records from the object (concurrent requests share one read),
 * so a failure one isolate saw is known to the next request anywhere, one round trip later.
 * That read is the latency this store adds to each proxied request (README, "Durable Object or
 * KV"). An object that cannot be reached is logged and the isolate goes on with its own view,
 * trying the object again a second later.
 */
export class DurableFailureState implements FailureState {
  readonly #local = new MemoryFailureState();
  readonly #ledger = new TransitionLedger((key) => this.#local.find(key));
  readonly #namespace: DurableNamespaceLike;
  readonly #log: Logger;
  readonly #now: () => number;
  /** One read at a time per upstream: requests that arrive meanwhile wait for it. */
  readonly #reading = new Map<string, Promise<void>>();
  /** Writes not yet known to be done: the Worker keeps them alive after the response. */
  readonly #writing = new Set<Promise<void>>();
  #isFailing = false;
  /** The upstreams this isolate has peers of: their objects are the ones a status page reads. */
  readonly #upstreams = new Set<string>();
  /** While the object is failing: no read before this time, so requests do not wait on it. */
  #retryAtMs = 0;

  constructor(namespace: DurableNamespaceLike, options: { log: Logger; now?: () => number }) {
    this.#namespace = namespace;
    this.#log = options.log;
    this.#now = options.now ?? (() => Date.now());
  }

  peer(key: string): PeerHealth {
    this.#upstreams.add(upstreamOf(key));
    return this.#local.peer(key);
  }

  changed(key: string, health: Readonly<PeerHealth>, event: PeerEvent): void {
    const t = transitionOf(health, event, this.#now());
    this.#ledger.own(key, event, t.at);
    const write = this.#call(upstreamOf(key), { method: "POST", body: JSON.stringify({ key, t }) })
      .then(() => {})
      .finally(() => this.#writing.delete(write));
    this.#writing.add(write);
  }

  readThrough(keys: readonly string[]): Promise<void> | null {
    const first = keys[0];
    if (first === undefined) return null;
    const upstream = upstreamOf(first);
    const pending = this.#reading.get(upstream);
    if (pending) return pending;
    if (this.#isFailing && this.#now() < this.#retryAtMs) return null;
    const read = this.#read(upstream).finally(() => this.#reading.delete(upstream));
    this.#reading.set(upstream, read);
    return read;
  }

  /** Reads the records of every upstream named (a Cron Trigger, before it checks). */
  async load(upstreams: readonly string[]): Promise<void> {
    await Promise.all(upstreams.map((u) => this.#read(u.toLowerCase())));
  }

  /** Reads the records of every upstream this isolate has peers of (a status page, before it shows them). */
  async refresh(): Promise<void> {
    await this.load([...this.#upstreams]);
  }

  /** Waits for the writes still on their way (the end of a Cron Trigger). */
  async flush(): Promise<void> {
    await this.maintain();
  }

  /** The writes still on their way, for `ctx.waitUntil`; null when there are none. */
  maintain(): Promise<void> | null {
    if (this.#writing.size === 0) return null;
    return Promise.all(this.#writing).then(() => {});
  }

  async #read(upstream: string): Promise<void> {
    const body = (await this.#call(upstream, { method: "GET" })) as PeerStateRecords | null;
    for (const [key, value] of body?.records ?? []) {
      const t = readTransition(value);
      if (t) this.#ledger.take(key, t);
    }
  }

  /** One call to the upstream's object; never throws (says once that the object is away, and when it is back). */
  async #call(upstream: string, init: RequestInit): Promise<unknown> {
    try {
      const stub = this.#namespace.get(this.#namespace.idFromName(upstream));
      const response = await stub.fetch(OBJECT_URL, init);
      if (!response.ok) throw new Error(`status ${response.status}`);
      const body: unknown = await response.json();
      if (this.#isFailing) this.#log.warn(`edgeproxy: the Durable Object for peer health answers again`);
      this.#isFailing = false;
      return body;
    } catch (error) {
      if (!this.#isFailing) this.#log.error(`edgeproxy: the Durable Object for peer health failed, keeping local state: ${String(error)}`);
      this.#isFailing = true;
      this.#retryAtMs = this.#now() + RETRY_AFTER_MS;
      return null;
    }
  }
}

/** The upstream of a peer key (`upstream|address|n`): its object's name. */
function upstreamOf(key: string): string {
  return key.slice(0, key.indexOf("|"));
}
