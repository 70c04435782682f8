import type { Config, FailureState, Logger, PeerHealth } from "../../core/index.ts";
import { type RedisClientLike, RedisFailureState } from "./redis-failure-state.ts";

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
 * share), and with `edgeproxy_state` the same shared with the other servers through Redis. The
 * official `redis` client is loaded only then (an optional dependency), on Node and on Bun
 * alike: Bun's built-in client (1.4) reconnects but does not subscribe again after Redis
 * restarts, and does not say it lost the connection, so it would miss every later failure.
 */
export async function peerHealthStore(
  config: Config,
  local: FailureState & { find(key: string): PeerHealth | undefined },
  log: Logger,
): Promise<PeerHealthStore> {
  const state = config.sharedState;
  if (!state) return { failures: local, synced: Promise.resolve(), close: async () => {} };
  let redis: typeof import("redis");
  try {
    redis = await import("redis");
  } catch (cause) {
    throw new Error(`${state.at.file}:${state.at.line}: "edgeproxy_state" needs the redis package: npm install redis`, { cause });
  }
  const client = redis.createClient({
    url: state.url,
    // A command while Redis is away fails at once instead of waiting in a queue.
    disableOfflineQueue: true,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 2000 },
  }) as unknown as RedisClientLike;
  const store = new RedisFailureState(local, client, state, log);
  store.start();
  return { failures: store, synced: store.synced, close: () => store.close() };
}

/** A reload keeps the store it started with: a changed `edgeproxy_state` waits for a restart, and says so. */
export function warnSharedStateChange(current: Config, next: Config, log: Logger): void {
  const a = current.sharedState;
  const b = next.sharedState;
  if (a?.url === b?.url && a?.prefix === b?.prefix) return;
  log.warn(`"edgeproxy_state" changed: takes effect on restart`);
}
