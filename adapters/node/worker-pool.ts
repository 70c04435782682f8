import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type Config, ConfigError, type Logger, SharedCounters, SharedFailureState, SharedLimitZones } from "../../core/index.ts";
import type { ConfigFile, Running } from "./command-line.ts";
import { reopenLogFiles } from "./log-files.ts";
import { soloInstance } from "./shared-state.ts";

/** What the main thread tells a worker. */
export type ToWorker = { readonly type: "reload"; readonly zones: ZoneBuffers } | { readonly type: "reopen" } | { readonly type: "stop" };

/** The limit zones' memory, by zone (SharedLimitZones). */
export type ZoneBuffers = ReadonlyMap<string, SharedArrayBuffer>;

/** What a worker answers. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "reloaded"; readonly error: string | null };

/**
 * What each worker gets at start: the config file (and `-g`), the shared peer table, limit zones
 * and counters, its index, and the process's id for `edgeproxy_state`.
 */
export interface WorkerStart {
  readonly source: ConfigFile;
  readonly instanceId: string;
  readonly table: SharedArrayBuffer;
  readonly zones: ZoneBuffers;
  readonly counters: SharedArrayBuffer;
  readonly index: number;
}

/** A runtime's worker-entry module beside `moduleUrl`: the TypeScript source, or the compiled file in dist/. */
export function workerEntryBeside(moduleUrl: string): URL {
  return new URL(moduleUrl.endsWith(".ts") ? "./worker-entry.ts" : "./worker-entry.js", moduleUrl);
}

/** The threads `worker_processes` asks for; refuses what several threads cannot do. */
export function workerThreadCount(config: Config): number {
  const count = config.workerProcesses === "auto" ? availableParallelism() : config.workerProcesses;
  if (count > 1) refuseThreadSessions(config, count);
  return count;
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

/**
 * `worker_processes N`: N threads, each serving the config on the same sockets (SO_REUSEPORT:
 * the kernel spreads connections), sharing peer health through one SharedArrayBuffer as
 * nginx's workers share a `zone`, the limit zones through one each and the status counters
 * through another, as nginx's shared memory. This thread only starts, reloads, stops and
 * replaces them, as nginx's master process does; it allocates the zones of each config it loads.
 */
export async function startWorkerThreads(entry: URL, source: ConfigFile, config: Config, count: number, log: Logger): Promise<Running> {
  const table = SharedFailureState.allocate();
  let zones: ZoneBuffers = SharedLimitZones.allocate(config.limitZones);
  const counters = SharedCounters.allocate(count);
  const { id: instanceId } = soloInstance();
  const workers: Worker[] = [];
  let stopping = false;

  const start = (index: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(entry, { workerData: { source, instanceId, table, zones, counters, index } satisfies WorkerStart });
      const onStart = (message: FromWorker) => {
        if (message.type === "ready") resolve(worker);
        else if (message.type === "failed") {
          reject(new Error(message.message));
          void worker.terminate();
        }
      };
      worker.once("message", onStart);
      worker.once("error", reject);
      worker.once("exit", (code) => {
        reject(new Error(`worker ${index} exited with ${code} while starting`));
        if (stopping || workers[index] !== worker) return;
        // A worker that died is replaced, as nginx's master replaces a crashed worker process.
        log.error(`worker ${index} exited with code ${code}; starting a new one`);
        start(index).then(
          (next) => {
            workers[index] = next;
          },
          (error: Error) => log.error(`worker ${index} could not restart: ${error.message}`),
        );
      });
    });

  try {
    for (let i = 0; i < count; i++) workers.push(await start(i));
  } catch (error) {
    stopping = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }

  /** One answer (null if the worker exits first); its listeners go with it, reload after reload. */
  const ask = (worker: Worker, message: ToWorker) =>
    new Promise<FromWorker | null>((resolve) => {
      const onMessage = (answer: FromWorker) => settle(answer);
      const onExit = () => settle(null);
      const settle = (answer: FromWorker | null) => {
        worker.off("message", onMessage);
        worker.off("exit", onExit);
        resolve(answer);
      };
      worker.on("message", onMessage);
      worker.on("exit", onExit);
      worker.postMessage(message);
    });

  return {
    // The main thread has checked the new file; each worker loads it for itself.
    reload: async (next) => {
      const wanted = next.workerProcesses === "auto" ? count : next.workerProcesses;
      if (wanted !== count) log.warn(`worker_processes changed to ${next.workerProcesses}: takes effect on restart`);
      zones = SharedLimitZones.allocate(next.limitZones, zones);
      const answers = await Promise.all(workers.map((w) => ask(w, { type: "reload", zones })));
      const failed = answers.find((a) => a?.type === "reloaded" && a.error !== null);
      if (failed?.type === "reloaded") throw new Error(failed.error ?? "");
    },
    reopenLogs: () => {
      reopenLogFiles((error) => log.error(error.message));
      for (const w of workers) w.postMessage({ type: "reopen" } satisfies ToWorker);
    },
    stop: async () => {
      stopping = true;
      await Promise.all(workers.map((w) => ask(w, { type: "stop" })));
    },
  };
}
