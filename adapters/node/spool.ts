import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import type { BodySpool, BodyStream, SpoolFile } from "../../core/index.ts";

let counter = 0;

const READ_CHUNK_BYTES = 256 * 1024;

/**
 * V8 collects dead Buffers only after about 64 MiB of them pile up, so a large upload, whose
 * socket reads are all garbage once spooled, held that much on top of the process. A full
 * collection every 16 MiB spooled or replayed (a few ms each) keeps the peak flat.
 */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;
let spooledSinceCollect = 0;

function countSpooled(bytes: number): void {
  spooledSinceCollect += bytes;
  if (spooledSinceCollect >= COLLECT_EVERY_BYTES) {
    spooledSinceCollect = 0;
    collectGarbage();
  }
}

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
    countSpooled(chunk.byteLength);
  }

  /**
   * Positional reads on the shared handle: a retry's fresh read starts at byte 0, and an
   * abandoned read (a failed attempt) leaves the file open for the next one.
   */
  async *read(): BodyStream {
    let position = 0;
    while (position < this.#size) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, this.#size - position));
      const { bytesRead } = await this.#handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) throw new Error("spool file ended early");
      position += bytesRead;
      countSpooled(bytesRead);
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
  }

  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    FileSpool.open--;
    await this.#handle.close().catch(() => {});
  }
}
