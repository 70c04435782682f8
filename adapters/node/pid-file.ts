import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { describeSystemError, FileCallError } from "./system-error.ts";

/** The signals `-s` sends, as nginx maps them (`ngx_signal_process()`). */
export const SIGNALS = { stop: "SIGTERM", quit: "SIGQUIT", reopen: "SIGUSR1", reload: "SIGHUP" } as const;

/** A `-s` argument. */
export type SignalName = keyof typeof SIGNALS;

/**
 * Writes this process's pid to `path` (`PID\n`, as nginx's `ngx_create_pidfile()`); throws
 * nginx's `open() "..." failed` when it cannot.
 */
export function writePidFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "w", 0o644);
  } catch (error) {
    throw new FileCallError("open", path, error);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Removes the pid file on exit, as nginx's `ngx_delete_pidfile()`, which logs a failure at `alert`. */
export function removePidFile(path: string, alert: (message: string) => void): void {
  try {
    unlinkSync(path);
  } catch (error) {
    alert(`unlink() "${resolve(path)}" failed (${describeSystemError(error)})`);
  }
}

/** What `-s` did: nothing to report, or nginx's `[error]`/`[alert]` line. */
export type SignalResult = { readonly ok: true } | { readonly ok: false; readonly level: "error" | "alert"; readonly message: string };

/** `-s NAME`: reads the pid file and signals the process it names, with nginx's messages. */
export function signalProcess(pidPath: string, name: SignalName): SignalResult {
  const full = resolve(pidPath);
  let text: string;
  try {
    text = readFileSync(pidPath, "latin1");
  } catch (error) {
    return { ok: false, level: "error", message: `open() "${full}" failed (${describeSystemError(error)})` };
  }
  // nginx reads the first 22 bytes and drops the CRs and LFs that end them (ngx_signal_process()).
  const value = text.slice(0, 22).replace(/[\r\n]+$/, "");
  const pid = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    return { ok: false, level: "error", message: `invalid PID number "${value}" in "${full}"` };
  }
  const signal = SIGNALS[name];
  try {
    process.kill(pid, signal);
  } catch (error) {
    return { ok: false, level: "alert", message: `kill(${pid}, ${constants.signals[signal]}) failed (${describeSystemError(error)})` };
  }
  return { ok: true };
}
