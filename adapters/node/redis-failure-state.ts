import {
  eventFamily,
  type FailureState,
  type Logger,
  type PeerEvent,
  type PeerHealth,
  type PeerTransition,
  readTransition,
  type SharedState,
  TransitionLedger,
  transitionOf,
} from "../../core/index.ts";

/** The few calls of a node-redis client this store makes (the `redis` package, on Node and on Bun). */
export interface RedisClientLike {
  /** Connected and able to take commands. */
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  on(event: "error" | "ready", listener: (error?: Error) => void): unknown;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  hGetAll(key: string): Promise<Record<string, string>>;
  multi(): RedisMulti;
  duplicate(): RedisClientLike;
  close(): Promise<unknown>;
  destroy(): void;
}

/** A node-redis transaction: commands chained, sent together by `exec`. */
export interface RedisMulti {
  hSet(key: string, field: string, value: string): RedisMulti;
  publish(channel: string, message: string): RedisMulti;
  exec(): Promise<unknown>;
}

/** What goes over the channel: who sent it (its own echo is ignored), the peer, the transition. */
interface Message {
  readonly from: string;
  readonly key: string;
  readonly t: PeerTransition;
}

/**
 * Peer health shared by every edgeproxy server on one Redis or Valkey (`edgeproxy_state`): each
 * process counts in its own records as nginx does (memory, or the table its threads share) and
 * Redis carries only transitions, as Workers KV does. A transition is written to one hash
 * (`PREFIX peers`, for processes that start later) and published on `PREFIX events` in the same
 * round trip; the others take it as it arrives, so a peer failure seen by one server is skipped
 * by the others one round trip later. Nothing waits on Redis on the request path: writes are
 * fire-and-forget and reads are pushed. While Redis is down each process goes on with its own
 * records, says so once, and on reconnection writes what it missed and reads what the others
 * wrote. The active checks' verdicts stay with each server, which runs its own checks, as each
 * nginx Plus instance does.
 */
export class RedisFailureState implements FailureState {
  readonly #local: FailureState & { find(key: string): PeerHealth | undefined };
  readonly #ledger: TransitionLedger;
  readonly #state: SharedState;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  /** This process's latest transitions that Redis has not taken yet, by peer key. */
  readonly #unsent = new Map<string, PeerTransition>();
  readonly #pub: RedisClientLike;
  readonly #sub: RedisClientLike;
  #isDown = false;
  #isClosed = false;
  #markSynced: () => void = () => {};
  /** Settles once the first read of what the others wrote is done (or failed): `edgeproxy explain` waits for it. */
  readonly synced: Promise<void> = new Promise((resolve) => {
    this.#markSynced = resolve;
  });

  constructor(
    local: FailureState & { find(key: string): PeerHealth | undefined },
    client: RedisClientLike,
    state: SharedState,
    log: Logger,
    now: () => number = Date.now,
  ) {
    this.#local = local;
    this.#ledger = new TransitionLedger((key) => local.find(key));
    this.#state = state;
    this.#log = log;
    this.#now = now;
    this.#pub = client;
    this.#sub = client.duplicate();
  }

  /** Connects in the background: serving never waits for Redis. */
  start(): void {
    for (const client of [this.#pub, this.#sub]) {
      client.on("error", (error) => this.#lost(error));
    }
    this.#pub.on("ready", () => void this.#catchUp());
    // The subscriber is subscribed again after its own reconnection: read what went by meanwhile.
    // Reads go through the publishing client: before it is ready its own "ready" reads instead
    // (reading then would fail at once, without an offline queue, and look like an outage).
    this.#sub.on("ready", () => {
      if (this.#pub.isReady) void this.#readAll();
    });
    this.#pub.connect().catch((error: Error) => this.#lost(error));
    this.#sub
      .connect()
      .then(() => this.#sub.subscribe(this.#channel, (message) => this.#receive(message)))
      .catch((error: Error) => this.#lost(error));
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    await Promise.all([this.#pub, this.#sub].map((c) => c.close().catch(() => c.destroy())));
  }

  peer(key: string): PeerHealth {
    return this.#local.peer(key);
  }

  changed(key: string, health: Readonly<PeerHealth>, event: PeerEvent): void {
    this.#local.changed(key, health, event);
    if (eventFamily(event) !== "passive") return;
    const t = transitionOf(health, event, this.#now());
    this.#ledger.own(key, event, t.at);
    this.#unsent.set(key, t);
    // Fails at once while Redis is away (no offline queue): kept in #unsent for the reconnection.
    void this.#send(key, t);
  }

  get #hash(): string {
    return `${this.#state.prefix}peers`;
  }

  get #channel(): string {
    return `${this.#state.prefix}events`;
  }

  async #send(key: string, t: PeerTransition): Promise<void> {
    const json = JSON.stringify(t);
    const message: Message = { from: this.#id, key, t };
    try {
      await this.#pub.multi().hSet(this.#hash, key, json).publish(this.#channel, JSON.stringify(message)).exec();
      if (this.#unsent.get(key) === t) this.#unsent.delete(key);
    } catch (error) {
      this.#lost(error as Error);
    }
  }

  #receive(raw: string): void {
    let message: Partial<Message>;
    try {
      message = JSON.parse(raw) as Partial<Message>;
    } catch {
      return;
    }
    const t = readTransition(message.t);
    if (message.from === this.#id || typeof message.key !== "string" || !t) return;
    this.#ledger.take(message.key, t);
  }

  /** After a (re)connection: what this process missed writing, then what the others wrote meanwhile. */
  async #catchUp(): Promise<void> {
    if (this.#isDown) this.#log.notice(`edgeproxy_state: ${this.#state.url} is back: peer health is shared again`);
    this.#isDown = false;
    for (const [key, t] of [...this.#unsent]) await this.#send(key, t);
    await this.#readAll();
  }

  async #readAll(): Promise<void> {
    try {
      const all = await this.#pub.hGetAll(this.#hash);
      for (const [key, json] of Object.entries(all)) {
        const t = readTransition(safeParse(json));
        if (t) this.#ledger.take(key, t);
      }
    } catch (error) {
      this.#lost(error as Error);
    }
    this.#markSynced();
  }

  #lost(error: Error | undefined): void {
    this.#markSynced();
    if (this.#isDown || this.#isClosed) return;
    this.#isDown = true;
    this.#log.warn(
      `edgeproxy_state: ${this.#state.url} unreachable (${error?.message ?? "closed"}): peer health stays local to this process until it is back`,
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
