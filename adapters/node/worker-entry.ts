import { parentPort, workerData } from "node:worker_threads";
import { ConfigError, SharedFailureState } from "../../core/index.ts";
import { loadConfig } from "./load-config.ts";
import { configuredLogger } from "./logger.ts";
import { serve } from "./serve.ts";
import type { FromWorker, ToWorker, WorkerStart } from "./worker-pool.ts";

/** One `worker_processes` thread: loads the config itself and serves it on shared sockets. */
const { file, table, index } = workerData as WorkerStart;
const port = parentPort as NonNullable<typeof parentPort>;
const tell = (message: FromWorker) => port.postMessage(message);
const reason = (error: unknown) => (error instanceof ConfigError ? error.message : (error as Error).message);

// The main thread already printed the file's warnings.
const load = () => loadConfig(file, () => {});

try {
  const config = await load();
  const running = await serve(config, configuredLogger(config), new SharedFailureState(table), {
    reusePort: true,
    bindUnix: index === 0,
  });
  port.on("message", async (message: ToWorker) => {
    if (message.type === "reload") {
      try {
        await running.reload(await load());
        tell({ type: "reloaded", error: null });
      } catch (error) {
        tell({ type: "reloaded", error: reason(error) });
      }
    } else {
      await running.stop();
      process.exit(0);
    }
  });
  tell({ type: "ready" });
} catch (error) {
  tell({ type: "failed", message: reason(error) });
}
