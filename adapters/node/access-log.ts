import type { AccessLogSink, Config } from "../../core/index.ts";
import { accessLogPaths } from "./config-files.ts";
import { type LogFile, logFile } from "./log-files.ts";

/**
 * `access_log` files, each opened once in append mode when a config loads (`open()` below), as
 * nginx opens them: a path that cannot be opened fails the load, not the first request. Writes
 * are buffered by the stream and never awaited: a slow disk delays lines, never requests.
 */
export class FileAccessLog implements AccessLogSink {
  readonly #files = new Map<string, LogFile | NodeJS.WriteStream>();

  /** Opens every access_log file `config` names (throws FileCallError), keeping those open already. */
  open(config: Config): void {
    for (const path of accessLogPaths(config)) this.#file(path);
  }

  write(path: string, line: string): void {
    this.#file(path).write(Buffer.from(line, "latin1"));
  }

  #file(path: string): LogFile | NodeJS.WriteStream {
    let file = this.#files.get(path);
    if (!file) {
      file = path === "/dev/stdout" ? process.stdout : path === "/dev/stderr" ? process.stderr : logFile(path);
      this.#files.set(path, file);
    }
    return file;
  }
}
