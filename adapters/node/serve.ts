import {
  type Config,
  createProxy,
  type EdgeProxy,
  type FailureState,
  type LimitZones,
  type Listen,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  MemoryLimitZones,
  type PeerHealth,
  type StatusCounters,
} from "../../core/index.ts";
import { startActiveChecks } from "./active-checks.ts";
import type { ServerCapabilities } from "./capabilities.ts";
import { type Running, shutdownGraceMs } from "./command-line.ts";
import { openConfigFiles } from "./config-files.ts";
import { reopenLogFiles } from "./log-files.ts";
import type { Sharing } from "./server.ts";
import { limitReqSharing, type ProcessInstance, peerHealthStore, soloInstance, warnSharedStateChange } from "./shared-state.ts";

/** A runtime's listening side, as `serve` drives it. */
export interface PlatformServer {
  listen(listens: readonly Listen[]): Promise<void>;
  update(listens: readonly Listen[], config: Config, shutdownTimeoutMs: number | null): Promise<void>;
  close(graceMs: number): Promise<void>;
}

/** What a runtime brings to `serve`: its capabilities and its server (Node's node:net, Bun's Bun.listen). */
export interface ServerPlatform {
  capabilities(log: Logger, failures: FailureState, limitZones: LimitZones, counters: StatusCounters): ServerCapabilities;
  server(proxy: () => EdgeProxy, log: Logger, config: Config, sharing: Sharing | undefined, counters: StatusCounters): PlatformServer;
}

/**
 * How this thread shares the process with others (`worker_processes`): peer health (`local`),
 * its sockets (`sharing`), limit zones and status counters; `runsChecks`: this thread probes the
 * `health_check` peers (one thread does); `instance`: the process it serves in, for
 * `edgeproxy_state`'s limit_req sharing. Alone, everything is the thread's own.
 */
export interface ThreadShare {
  readonly local?: FailureState & { find(key: string): PeerHealth | undefined };
  readonly sharing?: Sharing;
  readonly limitZones?: LimitZones;
  readonly counters?: StatusCounters;
  readonly runsChecks?: boolean;
  readonly instance?: ProcessInstance;
}

/**
 * Serves a config in this thread: the core's HTTP/1 server on the platform's sockets in, its
 * client out. One set of capabilities for the thread's life, so a reload keeps peer health,
 * limit zones, status counters and idle connections.
 */
export async function serve(platform: ServerPlatform, config: Config, log: Logger, share: ThreadShare = {}): Promise<Running> {
  const { limitZones = new MemoryLimitZones(), counters = new MemoryCounters() } = share;
  const store = await peerHealthStore(config, share.local ?? new MemoryFailureState(), log);
  const limits = await limitReqSharing(config, limitZones, log, share.instance ?? soloInstance());
  const caps = { ...platform.capabilities(log, store.failures, limitZones, counters), limitReqFeed: limits.feed };
  openConfigFiles(config, caps.accessLog);
  let current = config;
  let proxy = createProxy(config, caps);
  const server = platform.server(() => proxy, log, config, share.sharing, counters);
  // Before the first request: `mandatory` peers are `checking` until their first check.
  const checks = startActiveChecks(config, caps, share.runsChecks ?? true);
  try {
    await server.listen(config.listens);
  } catch (error) {
    checks.stop();
    await Promise.all([store.close(), limits.close()]);
    throw error;
  }
  return {
    reload: async (next) => {
      openConfigFiles(next, caps.accessLog);
      warnSharedStateChange(current, next, log);
      const replacement = createProxy(next, caps);
      await server.update(next.listens, next, next.workerShutdownTimeoutMs);
      proxy = replacement;
      current = next;
      limits.reload(next);
      checks.reload(next);
    },
    reopenLogs: () => reopenLogFiles((error) => log.error(error.message)),
    stop: async () => {
      checks.stop();
      await server.close(shutdownGraceMs(current));
      caps.transport.close();
      await Promise.all([store.close(), limits.close()]);
    },
  };
}
