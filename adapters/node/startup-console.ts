import { writeSync } from "node:fs";
import { openForAppend } from "./log-files.ts";
import { formatLine, isStderr } from "./logger.ts";

/** nginx's levels that the command line itself uses. */
export type ConsoleLevel = "emerg" | "alert" | "error" | "warn" | "notice";

/**
 * What the command line says before the config's error_log takes over, as nginx says it:
 * `edgeproxy: [emerg] message` on stderr and, with `-e FILE`, the full log line in FILE.
 */
export interface Console {
  /** A line with a level: stderr, and the `-e` file. */
  log(level: ConsoleLevel, message: string): void;
  /** A line without one (`syntax is ok`): stderr only, as nginx's `ngx_log_stderr()`. */
  say(text: string): void;
}

/** The command line's console; `-e FILE` that cannot be opened is an `[alert]`, and stderr carries on alone. */
export function startupConsole(errorLog: string | null): Console {
  const say = (text: string) => process.stderr.write(`edgeproxy: ${text}\n`);
  // Written synchronously: these lines often come just before the process exits.
  let fd: number | null = null;
  if (errorLog !== null && !isStderr(errorLog)) {
    try {
      fd = openForAppend(errorLog);
    } catch (error) {
      say(`[alert] could not open error log file: ${(error as Error).message}`);
    }
  }
  return {
    say,
    log: (level, message) => {
      say(`[${level}] ${message}`);
      if (fd !== null) writeSync(fd, formatLine(level, message));
    },
  };
}
