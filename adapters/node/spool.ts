import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BodySpool, BodyStream, SpoolFile } from "../../core/index.ts";

let counter = 0;

/**
 * Request bodies above `client_body_buffer_size` in temp files, as nginx keeps them. The file
 * is unlinked as soon as it is open, so it never outlives the process; reads use positional
 * I/O, so a retry replays the body from its first byte.
 */
export class FileSpool implements BodySpool {
  /** Spool files currently open, for leak checks in tests. */
  static open = 0;

  async create(dir: string | null): Promise<SpoolFile> {
    const where = dir ?? tmpdir();
    if (dir) await mkdir(dir, { recursive: true });
    const path = join(where, `edgeproxy-body-${process.pid}-${++counter}`);
    const handle = await open(path, "wx+", 0o600);
    await unlink(path);
    FileSpool.open++;
    return new TempFile(handle);
  }
}

class TempFile implements SpoolFile {
  readonly #handle: FileHandle;
  #size = 0;
  #closed = false;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.byteLength) {
      const { bytesWritten } = await this.#handle.write(chunk, at, chunk.byteLength - at, this.#size);
      at += bytesWritten;
      this.#size += bytesWritten;
    }
  }

  read(): BodyStream {
    if (this.#size === 0) return (async function* () {})();
    return createReadStream("", { fd: this.#handle.fd, start: 0, end: this.#size - 1, autoClose: false, highWaterMark: 64 * 1024 });
  }

  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    FileSpool.open--;
    await this.#handle.close();
  }
}
