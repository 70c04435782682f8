import { availableParallelism } from "node:os";
import { type Config, ConfigError, type Logger } from "../../core/index.ts";
import { type ConfigFile, DEFAULT_CONFIG_PATH, type Running, runCommandLine, type Started } from "./command-line.ts";
import { runUntilSignalled } from "./process-signals.ts";
import { serve } from "./serve.ts";
import { startWorkerThreads } from "./worker-pool.ts";

export { DEFAULT_CONFIG_PATH };

/** Serves a config on Node: in this thread, or in `worker_processes` threads sharing the sockets. */
function startNode(config: Config, log: Logger, source: ConfigFile): Promise<Running> {
  const count = config.workerProcesses === "auto" ? availableParallelism() : config.workerProcesses;
  if (count > 1) refuseThreadSessions(config, count);
  return count > 1 ? startWorkerThreads(source, config, count, log) : serve(config, log);
}

/** `sticky learn` keeps its sessions in one thread's memory: with several threads a client's next request may reach another. */
function refuseThreadSessions(config: Config, count: number): void {
  for (const upstream of config.upstreams) {
    const sticky = upstream.sticky;
    if (sticky?.kind !== "learn") continue;
    throw new ConfigError(
      "unsupported",
      `"sticky learn" keeps its sessions in each thread, and "worker_processes ${count}" runs ${count}: a session one thread learned would be unknown to the others; use "sticky cookie" or "sticky route", or one worker process`,
      sticky.at,
    );
  }
}

/** Starts edgeproxy on Node with nginx's command-line arguments; resolves once listening (or with the exit code). */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("edgeproxy", argv, startNode);
}

/** The command line: starts and stays up until signalled to stop, or exits with the command's status. */
export async function run(argv: string[]): Promise<void> {
  await runUntilSignalled(await main(argv));
}
