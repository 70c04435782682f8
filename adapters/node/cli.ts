import type { Config, Logger } from "../../core/index.ts";
import { type ConfigFile, DEFAULT_CONFIG_PATH, type Running, runCommandLine, type Started } from "./command-line.ts";
import { nodePlatform } from "./platform.ts";
import { runUntilSignalled } from "./process-signals.ts";
import { serve } from "./serve.ts";
import { startWorkerThreads, workerEntryBeside, workerThreadCount } from "./worker-pool.ts";

export { DEFAULT_CONFIG_PATH };

/** Serves a config on Node: in this thread, or in `worker_processes` threads sharing the sockets. */
function startNode(config: Config, log: Logger, source: ConfigFile): Promise<Running> {
  const count = workerThreadCount(config);
  return count > 1 ? startWorkerThreads(WORKER_ENTRY, source, config, count, log) : serve(nodePlatform, config, log);
}

const WORKER_ENTRY = workerEntryBeside(import.meta.url);

/** Starts edgeproxy on Node with nginx's command-line arguments; resolves once listening (or with the exit code). */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("edgeproxy", argv, startNode);
}

/** The command line: starts and stays up until signalled to stop, or exits with the command's status. */
export async function run(argv: string[]): Promise<void> {
  await runUntilSignalled(await main(argv));
}
