import { closeSync, createWriteStream, openSync, type WriteStream } from "node:fs";
import { resolve } from "node:path";
import { describeSystemError, FileCallError } from "./system-error.ts";

/** Opens `path` for appending, as nginx opens its logs (O_APPEND|O_CREAT, 0644); throws FileCallError. */
export function openForAppend(path: string): number {
  try {
    return openSync(path, "a", 0o644);
  } catch (error) {
    throw new FileCallError("open", path, error);
  }
}

/** One log file: appended through a stream, so a slow disk delays lines and never requests. */
export class LogFile {
  readonly path: string;
  #stream: WriteStream;

  constructor(path: string) {
    this.path = path;
    this.#stream = this.#open();
  }

  write(data: string | Uint8Array): void {
    this.#stream.write(data);
  }

  /** Opens the path again (after logrotate moved the file), as nginx's SIGUSR1 does. */
  reopen(): void {
    const next = this.#open();
    this.#stream.end();
    this.#stream = next;
  }

  /** Ends the stream; resolves once every line written before is on disk. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }

  #open(): WriteStream {
    return createWriteStream(this.path, { fd: openForAppend(this.path) }).on("error", (e) =>
      process.stderr.write(`edgeproxy: [alert] write() to "${resolve(this.path)}" failed (${describeSystemError(e)})\n`),
    );
  }
}

/** Every log file this thread has open, by path: a reload, or two blocks naming one file, share it. */
const open = new Map<string, LogFile>();

/** The log file at `path`, opened now if it is not open yet (throws FileCallError). */
export function logFile(path: string): LogFile {
  let file = open.get(path);
  if (!file) {
    file = new LogFile(path);
    open.set(path, file);
  }
  return file;
}

/** Reopens every log file (SIGUSR1); a file that cannot be opened again keeps its old descriptor. */
export function reopenLogFiles(onError: (error: Error) => void): void {
  for (const file of open.values()) {
    try {
      file.reopen();
    } catch (error) {
      onError(error as Error);
    }
  }
}

/** Closes every log file once its lines are written (before the process exits). */
export async function closeLogFiles(): Promise<void> {
  const files = [...open.values()];
  open.clear();
  await Promise.all(files.map((f) => f.close()));
}

/** Checks that `path` can be opened for appending, creating it as nginx -t does, and closes it. */
export function checkAppendable(path: string): void {
  closeSync(openForAppend(path));
}
