import { availableParallelism } from "node:os";
import type { Config, Logger } from "../../core/index.ts";
import { DEFAULT_CONFIG_PATH, type Running, runCommandLine, runUntilSignalled, type Started } from "./command-line.ts";
import { serve } from "./serve.ts";
import { startWorkerThreads } from "./worker-pool.ts";

export { DEFAULT_CONFIG_PATH };

/** Serves a config on Node: in this thread, or in `worker_processes` threads sharing the sockets. */
function startNode(config: Config, log: Logger, file: string): Promise<Running> {
  const count = config.workerProcesses === "auto" ? availableParallelism() : config.workerProcesses;
  return count > 1 ? startWorkerThreads(file, count, log) : serve(config, log);
}

/** Starts edgeproxy on Node with command-line arguments; resolves once listening. */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("node adapters/node", argv, startNode);
}

/** The command line: starts and stays up until SIGTERM/SIGINT, or exits with -t's status. */
export async function run(argv: string[]): Promise<void> {
  await runUntilSignalled(await main(argv));
}
