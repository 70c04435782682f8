import {
  type Config,
  type FailureState,
  type LimitReqFeed,
  type LimitZones,
  type Logger,
  type PeerHealth,
  type SharedState,
  ZonesByName,
} from "../../core/index.ts";
import { type RedisClientLike, RedisFailureState } from "./redis-failure-state.ts";
import { RedisLimitRelay } from "./redis-limit-relay.ts";

/** A failure store, and how to let go of what it holds open. */
export interface PeerHealthStore {
  readonly failures: FailureState;
  /** Settles once the store holds what other servers wrote (at once for a local one). */
  readonly synced: Promise<void>;
  close(): Promise<void>;
}

/** How long a lost Redis connection waits between tries: 100 ms doubling, at most 2 s. */
const reconnectDelay = (tries: number): number => Math.min(100 * 2 ** tries, 2000);

/**
 * The process's peer-health store: `local` (memory, or the table `worker_processes` threads
 * share), and with `edgeproxy_state` the same shared with the other servers through Redis.
 */
export async function peerHealthStore(
  config: Config,
  local: FailureState & { find(key: string): PeerHealth | undefined },
  log: Logger,
): Promise<PeerHealthStore> {
  const state = config.sharedState;
  if (!state) return { failures: local, synced: Promise.resolve(), close: async () => {} };
  const store = new RedisFailureState(local, await redisClient(state), state, log);
  store.start();
  return { failures: store, synced: store.synced, close: () => store.close() };
}

/** Where this process's `limit_req` zones send the requests they count, and how it follows reloads. */
export interface LimitReqSharing {
  /** The feed for the capabilities; undefined without `edgeproxy_state`. */
  readonly feed: LimitReqFeed | undefined;
  /** Takes a reloaded config's zones. */
  reload(config: Config): void;
  close(): Promise<void>;
}

/** Which process a thread belongs to, for `limit_req` sharing: `receives` for one thread of it. */
export interface ProcessInstance {
  readonly id: string;
  readonly receives: boolean;
}

/** A process of its own: one thread, which receives. */
export function soloInstance(): ProcessInstance {
  return { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`, receives: true };
}

/**
 * With `edgeproxy_state`, the process's `limit_req` zones shared with the other servers
 * (RedisLimitRelay), in `memory` (the zones the proxy counts in); without, nothing.
 */
export async function limitReqSharing(
  config: Config,
  memory: LimitZones,
  log: Logger,
  instance: ProcessInstance = soloInstance(),
): Promise<LimitReqSharing> {
  const state = config.sharedState;
  if (!state) return { feed: undefined, reload: () => {}, close: async () => {} };
  const zones = new ZonesByName();
  zones.use(config.limitZones, memory);
  const relay = new RedisLimitRelay(zones, await redisClient(state), state, log, instance.id, instance.receives);
  relay.start();
  return { feed: relay, reload: (next) => zones.use(next.limitZones, memory), close: () => relay.close() };
}

/**
 * A client of the official `redis` package, loaded only with `edgeproxy_state` (an optional
 * dependency), on Node and on Bun alike: Bun's built-in client (1.4) reconnects but does not
 * subscribe again after Redis restarts, and does not say it lost the connection, so it would
 * miss every later message.
 */
async function redisClient(state: SharedState): Promise<RedisClientLike> {
  let redis: typeof import("redis");
  try {
    redis = await import("redis");
  } catch (cause) {
    throw new Error(`${state.at.file}:${state.at.line}: "edgeproxy_state" needs the redis package: npm install redis`, { cause });
  }
  return redis.createClient({
    url: state.url,
    // A command while Redis is away fails at once instead of waiting in a queue.
    disableOfflineQueue: true,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 },
  }) as unknown as RedisClientLike;
}

/** A reload keeps the store it started with: a changed `edgeproxy_state` waits for a restart, and says so. */
export function warnSharedStateChange(current: Config, next: Config, log: Logger): void {
  const a = current.sharedState;
  const b = next.sharedState;
  if (a?.url === b?.url && a?.prefix === b?.prefix) return;
  log.warn(`"edgeproxy_state" changed: takes effect on restart`);
}
