import {
  type Config,
  createProxy,
  type FailureState,
  type LimitZones,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  MemoryLimitZones,
  type PeerHealth,
  type StatusCounters,
} from "../../core/index.ts";
import { startActiveChecks } from "./active-checks.ts";
import { nodeCapabilities } from "./capabilities.ts";
import { type Running, shutdownGraceMs } from "./command-line.ts";
import { openConfigFiles } from "./config-files.ts";
import { reopenLogFiles } from "./log-files.ts";
import { NodeServer, type Sharing } from "./server.ts";
import { limitReqSharing, type ProcessInstance, peerHealthStore, soloInstance, warnSharedStateChange } from "./shared-state.ts";

/**
 * Serves a config in this thread: the core's HTTP/1 server on node:net in, its client on
 * node:net/node:tls out. One set of capabilities for the thread's life, so a reload keeps peer
 * health, limit zones, status counters and idle connections. `runsChecks`: this thread probes
 * the `health_check` peers (one thread of `worker_processes` does); `instance`: the process it
 * serves in, for `edgeproxy_state`'s limit_req sharing.
 */
export async function serve(
  config: Config,
  log: Logger,
  local: FailureState & { find(key: string): PeerHealth | undefined } = new MemoryFailureState(),
  sharing?: Sharing,
  limitZones: LimitZones = new MemoryLimitZones(),
  counters: StatusCounters = new MemoryCounters(),
  runsChecks = true,
  instance: ProcessInstance = soloInstance(),
): Promise<Running> {
  const store = await peerHealthStore(config, local, log);
  const limits = await limitReqSharing(config, limitZones, log, instance);
  const caps = { ...nodeCapabilities(log, store.failures, limitZones, counters), limitReqFeed: limits.feed };
  openConfigFiles(config, caps.accessLog);
  let current = config;
  let proxy = createProxy(config, caps);
  const server = new NodeServer(() => proxy, log, config, sharing, counters);
  // Before the first request: `mandatory` peers are `checking` until their first check.
  const checks = startActiveChecks(config, caps, runsChecks);
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
