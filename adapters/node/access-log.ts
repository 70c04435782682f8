import { createWriteStream, type WriteStream } from "node:fs";
import type { AccessLogSink } from "../../core/index.ts";

/**
 * `access_log` files, opened once each in append mode. Writes are buffered by the stream and
 * never awaited: a slow disk delays lines, never requests.
 */
export class FileAccessLog implements AccessLogSink {
  readonly #streams = new Map<string, WriteStream | NodeJS.WriteStream>();

  write(path: string, line: string): void {
    let stream = this.#streams.get(path);
    if (!stream) {
      stream =
        path === "/dev/stdout"
          ? process.stdout
          : path === "/dev/stderr"
            ? process.stderr
            : createWriteStream(path, { flags: "a" }).on("error", (e) =>
                process.stderr.write(`edgeproxy: access_log ${path}: ${e.message}\n`),
              );
      this.#streams.set(path, stream);
    }
    stream.write(Buffer.from(line, "latin1"));
  }
}
