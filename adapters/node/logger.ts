import { createWriteStream, openSync } from "node:fs";
import { threadId } from "node:worker_threads";
import type { Config, ErrorLogTarget, Logger } from "../../core/index.ts";

/** nginx's error_log line: `2026/11/27 16:20:00 [error] 123#0: message` (pid#thread, as nginx's pid#tid). */
export function stderrLogger(): Logger {
  const line = (level: string, message: string) => process.stderr.write(formatLine(level, message));
  return { crit: (m) => line("crit", m), error: (m) => line("error", m), warn: (m) => line("warn", m), info: (m) => line("info", m) };
}

function formatLine(level: string, message: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${stamp} [${level}] ${process.pid}#${threadId}: ${message}\n`;
}

const RANK = { debug: 0, info: 1, notice: 2, warn: 3, error: 4, crit: 5, alert: 6, emerg: 7 } as const;

/**
 * The config's main `error_log`. Without one: stderr, from `info` on, so a foreground process
 * says what it does.
 */
export function configuredLogger(config: Config): Logger {
  return errorLogger(config.errorLog ?? { path: "stderr", level: "info" });
}

/** Open error_log files by path: a reload, or two blocks naming one file, share one stream. */
const files = new Map<string, NodeJS.WritableStream>();

/** An `error_log`: lines at or above its level, appended to its file, or to stderr. */
export function errorLogger(target: ErrorLogTarget): Logger {
  const min = RANK[target.level];
  const toStderr = target.path === "stderr" || target.path === "/dev/stderr";
  let file = toStderr ? process.stderr : files.get(target.path);
  if (!file) {
    // Opened now, as nginx opens its logs at load: a path that cannot be written fails the load,
    // not the first error. Appended through a stream: a slow disk delays log lines, never requests.
    file = createWriteStream(target.path, { fd: openSync(target.path, "a") }).on("error", (e) =>
      process.stderr.write(`edgeproxy: error_log ${target.path}: ${e.message}\n`),
    );
    files.set(target.path, file);
  }
  const out = file;
  const line = (level: "info" | "warn" | "error" | "crit", message: string) => {
    if (RANK[level] >= min) out.write(formatLine(level, message));
  };
  return { crit: (m) => line("crit", m), error: (m) => line("error", m), warn: (m) => line("warn", m), info: (m) => line("info", m) };
}
