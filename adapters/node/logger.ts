import { threadId } from "node:worker_threads";
import type { Config, ErrorLogTarget, Logger } from "../../core/index.ts";
import { logFile } from "./log-files.ts";

/** nginx's error_log line: `2026/11/27 16:20:00 [error] 123#0: message` (pid#thread, as nginx's pid#tid). */
export function stderrLogger(): Logger {
  const line = (level: string, message: string) => process.stderr.write(formatLine(level, message));
  return levels(line);
}

/** A Logger whose every level writes through `line`. */
function levels(line: (level: LoggedLevel, message: string) => void): Logger {
  return {
    alert: (m) => line("alert", m),
    crit: (m) => line("crit", m),
    error: (m) => line("error", m),
    warn: (m) => line("warn", m),
    notice: (m) => line("notice", m),
    info: (m) => line("info", m),
  };
}

/** The levels a Logger writes. */
type LoggedLevel = "alert" | "crit" | "error" | "warn" | "notice" | "info";

/** One error_log line, newline included. */
export function formatLine(level: string, message: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${stamp} [${level}] ${process.pid}#${threadId}: ${message}\n`;
}

const RANK = { debug: 0, info: 1, notice: 2, warn: 3, error: 4, crit: 5, alert: 6, emerg: 7 } as const;

/**
 * The config's main `error_log`. Without one: `defaultPath` (the command line's `-e`, stderr
 * unless given), from `info` on, so a foreground process says what it does.
 */
export function configuredLogger(config: Config, defaultPath = "stderr"): Logger {
  return errorLogger(config.errorLog ?? { path: defaultPath, level: "info" });
}

/** Whether an error_log path is the process's stderr rather than a file. */
export function isStderr(path: string): boolean {
  return path === "stderr" || path === "/dev/stderr";
}

/**
 * An `error_log`: lines at or above its level, appended to its file, or to stderr. The file is
 * opened now, as nginx opens its logs at load: a path that cannot be written fails the load
 * (FileCallError), not the first error.
 */
export function errorLogger(target: ErrorLogTarget): Logger {
  const min = RANK[target.level];
  const out = isStderr(target.path) ? process.stderr : logFile(target.path);
  return levels((level, message) => {
    if (RANK[level] >= min) out.write(formatLine(level, message));
  });
}
