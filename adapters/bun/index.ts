#!/usr/bin/env bun
/**
 * `bun run adapters/bun -c FILE` (the package's `edgeproxy-bun`): edgeproxy on Bun's native
 * sockets (Bun.listen, Bun.connect) under the core's HTTP/1 server and client. The command
 * line, config loading, log files and the spool are the Node adapter's: Bun runs Node's file
 * and DNS APIs as they are.
 */
import type { Config, Logger } from "../../core/index.ts";
import { type ConfigFile, type Running, runCommandLine, type Started } from "../node/command-line.ts";
import { runUntilSignalled } from "../node/process-signals.ts";
import { serve } from "../node/serve.ts";
import { startWorkerThreads, workerEntryBeside, workerThreadCount } from "../node/worker-pool.ts";
import { bunPlatform } from "./platform.ts";

export type { Running, Started } from "../node/command-line.ts";

/**
 * Serves a config with the core's HTTP/1 server on Bun.listen, upstreams through its client on
 * Bun.connect: in this thread, or in `worker_processes` threads on SO_REUSEPORT sockets.
 */
function startBun(config: Config, log: Logger, source: ConfigFile): Promise<Running> {
  const count = workerThreadCount(config);
  return count > 1 ? startWorkerThreads(WORKER_ENTRY, source, config, count, log) : serve(bunPlatform, config, log);
}

const WORKER_ENTRY = workerEntryBeside(import.meta.url);

/** Starts edgeproxy on Bun with nginx's command-line arguments; resolves once listening (or with the exit code). */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("edgeproxy-bun", argv, startBun);
}

if (import.meta.main) await runUntilSignalled(await main(process.argv.slice(2)));
