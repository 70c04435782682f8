import type { Started } from "./command-line.ts";
import { configErrorMessage } from "./load-config.ts";
import { closeLogFiles } from "./log-files.ts";
import { removePidFile, writePidFile } from "./pid-file.ts";

/**
 * Runs until told to stop, with nginx's signals, or exits with the command line's status:
 * - SIGQUIT stops gracefully (nginx's `-s quit`); SIGTERM and SIGINT do the same here, where
 *   nginx stops at once: requests in flight finish, up to `worker_shutdown_timeout`. Exit 0.
 * - SIGHUP reloads the config like `nginx -s reload`: a file that does not load is reported with
 *   its FILE:LINE and the running config keeps serving.
 * - SIGUSR1 reopens the log files (`nginx -s reopen`, after logrotate moved them).
 * The `pid` file is removed on the way out.
 */
export async function runUntilSignalled(started: Started | number): Promise<void> {
  if (typeof started === "number") process.exit(started);
  const { running, load, log } = started;
  let pidPath = started.pidPath;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    if (pidPath !== null) removePidFile(pidPath, (m) => log.error(m));
    await closeLogFiles();
    process.exit(0);
  };
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        const next = await load();
        await running.reload(next.config);
        log.info("edgeproxy reloaded its configuration");
        if (next.pidPath !== pidPath) movePidFile(next.pidPath);
      } catch (error) {
        log.error(`reload failed, still serving the previous configuration: ${configErrorMessage(error)}`);
      }
    });
  };
  // A new `pid` path takes over from the old one, as nginx's reload moves it.
  const movePidFile = (next: string | null) => {
    try {
      if (next !== null) writePidFile(next);
    } catch (error) {
      log.error((error as Error).message);
      return;
    }
    if (pidPath !== null) removePidFile(pidPath, (m) => log.error(m));
    pidPath = next;
  };
  const reopen = () => {
    log.info("reopening logs");
    running.reopenLogs();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGQUIT", stop);
  process.on("SIGHUP", reload);
  process.on("SIGUSR1", reopen);
}
