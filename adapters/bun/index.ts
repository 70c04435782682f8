#!/usr/bin/env bun
/**
 * `bun run adapters/bun -c FILE` (the package's `edgeproxy-bun`): edgeproxy on Bun's native
 * sockets (Bun.listen, Bun.connect) under the core's HTTP/1 server and client. The command
 * line, config loading, log files and the spool are the Node adapter's: Bun runs Node's file
 * and DNS APIs as they are.
 */
import { type Config, createProxy, type Logger, MemoryFailureState, MemoryLimitZones } from "../../core/index.ts";
import { startActiveChecks } from "../node/active-checks.ts";
import { type Running, runCommandLine, type Started, shutdownGraceMs } from "../node/command-line.ts";
import { openConfigFiles } from "../node/config-files.ts";
import { reopenLogFiles } from "../node/log-files.ts";
import { runUntilSignalled } from "../node/process-signals.ts";
import { limitReqSharing, peerHealthStore, warnSharedStateChange } from "../node/shared-state.ts";
import { bunCapabilities } from "./capabilities.ts";
import { BunServer } from "./server.ts";

export type { Running, Started } from "../node/command-line.ts";

/** Serves a config with the core's HTTP/1 server on Bun.listen, upstreams through its client on Bun.connect. */
async function startBun(config: Config, log: Logger): Promise<Running> {
  // One set of capabilities for the process: a reload keeps peer health, counters and cached connections.
  const store = await peerHealthStore(config, new MemoryFailureState(), log);
  const zones = new MemoryLimitZones();
  const limits = await limitReqSharing(config, zones, log);
  const caps = { ...bunCapabilities(log, store.failures, zones), limitReqFeed: limits.feed };
  openConfigFiles(config, caps.accessLog);
  let current = config;
  let proxy = createProxy(config, caps);
  const server = new BunServer(() => proxy, log, config, caps.counters);
  // Before the first request: `mandatory` peers are `checking` until their first check.
  const checks = startActiveChecks(config, caps, true);
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

/** Starts edgeproxy on Bun with nginx's command-line arguments; resolves once listening (or with the exit code). */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("edgeproxy-bun", argv, startBun);
}

if (import.meta.main) await runUntilSignalled(await main(process.argv.slice(2)));
