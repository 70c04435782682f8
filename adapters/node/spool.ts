import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { threadId } from "node:worker_threads";
import type { BodySpool, BodyStream, SpoolFile } from "../../core/index.ts";

let counter = 0;

/** Bytes gathered before one file write, and read back per chunk. */
const STAGE_BYTES = 256 * 1024;
const READ_CHUNK_BYTES = 512 * 1024;

/** Staging buffers, reused across requests: a spooled body allocates nothing per chunk. */
const freeStages: Buffer[] = [];
const KEEP_FREE_STAGES = 16;
const takeStage = () => freeStages.pop() ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
const giveStage = (stage: Buffer) => {
  if (freeStages.length < KEEP_FREE_STAGES) freeStages.push(stage);
};

/**
 * V8 frees a dead Buffer's memory only when it collects the Buffer's small JS object, which a
 * large upload produces too slowly to trigger a collection: the socket's chunks, garbage once
 * staged, piled up by tens of MiB. A minor collection (a scavenge) every 16 MiB spooled or
 * replayed bounds the pile. Measured: every 4 MiB cost a 512 MiB upload 25% of its throughput
 * for no less peak RSS; every 32 MiB or never let 50 concurrent 256 KiB POSTs grow 40 MiB more.
 */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as (options: { type: "minor"; execution: "sync" }) => void;
let spooledSinceCollect = 0;

function countSpooled(bytes: number): void {
  spooledSinceCollect += bytes;
  if (spooledSinceCollect >= COLLECT_EVERY_BYTES) {
    spooledSinceCollect = 0;
    gc({ type: "minor", execution: "sync" });
  }
}

/** Directories already made for `client_body_temp_path`: made once, not per request. */
const madeDirs = new Set<string>();

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
    if (dir && !madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      madeDirs.add(dir);
    }
    // pid and thread: the threads of worker_processes share the directory and the pid.
    const path = join(where, `edgeproxy-body-${process.pid}-${threadId}-${++counter}`);
    const handle = await open(path, "wx+", 0o600);
    await unlink(path);
    FileSpool.open++;
    return new TempFile(handle);
  }
}

/**
 * Writes are gathered into a staging buffer and written a stage at a time, one write in
 * flight while the next stage fills: the client's reads and the disk's writes overlap, instead
 * of each chunk waiting for its own write. Replays read ahead one chunk for the same reason.
 */
class TempFile implements SpoolFile {
  readonly #handle: FileHandle;
  /** Bytes written to the file or on their way there. */
  #size = 0;
  #stage: Buffer | null = null;
  #staged = 0;
  /** The write in flight; its failure is kept and thrown by the next call. */
  #writing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.byteLength) {
      this.#stage ??= takeStage();
      const n = Math.min(STAGE_BYTES - this.#staged, chunk.byteLength - at);
      this.#stage.set(chunk.subarray(at, at + n), this.#staged);
      this.#staged += n;
      at += n;
      if (this.#staged === STAGE_BYTES) await this.#flush();
    }
    countSpooled(chunk.byteLength);
  }

  /** Starts writing the stage once the previous write is done (so at most one is in flight). */
  async #flush(): Promise<void> {
    await this.#writing;
    if (this.#failure) throw this.#failure;
    const stage = this.#stage;
    if (!stage || this.#staged === 0) return;
    const length = this.#staged;
    const position = this.#size;
    this.#stage = null;
    this.#staged = 0;
    this.#size += length;
    this.#writing = this.#writeAll(stage, length, position).then(
      () => giveStage(stage),
      (error: Error) => {
        this.#failure = error;
      },
    );
  }

  async #writeAll(stage: Buffer, length: number, position: number): Promise<void> {
    let at = 0;
    while (at < length) {
      const { bytesWritten } = await this.#handle.write(stage, at, length - at, position + at);
      at += bytesWritten;
    }
  }

  /**
   * A fresh stream over the whole body, by positional reads on the shared handle: a retry's
   * read starts at byte 0, and an abandoned read (a failed attempt) leaves the file open.
   */
  async *read(): BodyStream {
    await this.#flush();
    await this.#writing;
    if (this.#failure) throw this.#failure;
    const size = this.#size;
    let position = 0;
    let next = size > 0 ? this.#readAt(0, size) : null;
    while (next) {
      const chunk = await next;
      position += chunk.byteLength;
      // Read the next chunk while the consumer sends this one.
      next = position < size ? this.#readAt(position, size) : null;
      countSpooled(chunk.byteLength);
      yield chunk;
    }
  }

  #readAt(position: number, size: number): Promise<Buffer> {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, size - position));
    const reading = this.#handle.read(chunk, 0, chunk.length, position).then(({ bytesRead }) => {
      if (bytesRead === 0) throw new Error("spool file ended early");
      return bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    });
    // A consumer that stops early never awaits its read-ahead: its failure must not go unhandled.
    reading.catch(() => {});
    return reading;
  }

  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    FileSpool.open--;
    await this.#writing;
    if (this.#stage) giveStage(this.#stage);
    this.#stage = null;
    await this.#handle.close().catch(() => {});
  }
}
