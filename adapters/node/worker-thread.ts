import { parentPort, workerData } from "node:worker_threads";
import { SharedCounters, SharedFailureState, SharedLimitZones, type ZoneIdentity } from "../../core/index.ts";
import { configErrorMessage, loadConfig } from "./load-config.ts";
import { closeLogFiles } from "./log-files.ts";
import { configuredLogger } from "./logger.ts";
import { type ServerPlatform, serve } from "./serve.ts";
import type { FromWorker, ToWorker, WorkerStart } from "./worker-pool.ts";

/** The shared zones of the config being loaded: a reload brings the main thread's buffers for its zones. */
class SwitchableZones {
  current: SharedLimitZones;

  constructor(buffers: ReadonlyMap<string, SharedArrayBuffer>) {
    this.current = new SharedLimitZones(buffers);
  }

  memory(zone: ZoneIdentity): SharedArrayBuffer {
    return this.current.memory(zone);
  }
}

/**
 * One `worker_processes` thread (the module a worker-entry.ts runs with its platform): loads the
 * config itself and serves it on shared sockets, answering the main thread's messages.
 */
export async function runWorkerThread(platform: ServerPlatform): Promise<void> {
  const { source, instanceId, table, zones, counters, index } = workerData as WorkerStart;
  const port = parentPort as NonNullable<typeof parentPort>;
  const tell = (message: FromWorker) => port.postMessage(message);
  // The main thread already printed the file's warnings.
  const load = async () => (await loadConfig(source.path, { warn: () => {}, globals: source.globals })).config;
  try {
    const config = await load();
    const limitZones = new SwitchableZones(zones);
    // The first thread binds unix sockets, probes the health_check peers and counts the other
    // servers' limit_req requests for all of them.
    const running = await serve(platform, config, configuredLogger(config, source.errorLog), {
      local: new SharedFailureState(table),
      sharing: { reusePort: true, bindUnix: index === 0 },
      limitZones,
      counters: new SharedCounters(counters, index),
      runsChecks: index === 0,
      instance: { id: instanceId, receives: index === 0 },
    });
    port.on("message", async (message: ToWorker) => {
      if (message.type === "reload") {
        limitZones.current = new SharedLimitZones(message.zones);
        try {
          await running.reload(await load());
          tell({ type: "reloaded", error: null });
        } catch (error) {
          tell({ type: "reloaded", error: configErrorMessage(error) });
        }
      } else if (message.type === "reopen") {
        running.reopenLogs();
      } else {
        await running.stop();
        await closeLogFiles();
        process.exit(0);
      }
    });
    tell({ type: "ready" });
  } catch (error) {
    tell({ type: "failed", message: configErrorMessage(error) });
  }
}
