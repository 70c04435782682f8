import { ActiveHealthChecks, type Capabilities, type Config, type Timers } from "../../core/index.ts";

/** Node's (and Bun's) timers for the checks; they never keep the process alive by themselves. */
export const processTimers: Timers = {
  after: (ms, run) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** The process's active health checks, as the command line runs them. */
export interface RunningChecks {
  /** Takes a reloaded config's checks; the ones that stay keep their counts. */
  reload(config: Config): void;
  stop(): void;
}

/**
 * Starts `health_check` probing for a socket-owning adapter. With `worker_processes`, one
 * thread probes (`enabled` in that one only) and every thread reads its verdicts from the shared
 * peer table, as nginx Plus's workers share one zone.
 */
export function startActiveChecks(config: Config, caps: Capabilities, enabled: boolean): RunningChecks {
  if (!enabled) return { reload: () => {}, stop: () => {} };
  const checks = new ActiveHealthChecks(caps);
  checks.configure(config);
  checks.start(processTimers);
  return { reload: (next) => checks.configure(next), stop: () => checks.stop() };
}
