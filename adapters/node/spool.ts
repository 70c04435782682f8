import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import type { BodySpool, BodyStream, SpoolFile } from "../../core/index.ts";
import { FileCallError } from "./system-error.ts";

let counter = 0;

/** Bytes read back per chunk of a replay. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * A runtime's way to free the Buffers a large body leaves behind (see scavenge.ts): `run` every
 * `everyBytes` spooled or replayed.
 */
export interface Collector {
  readonly run: () => void;
  readonly everyBytes: number;
}

/** Directories already made for `client_body_temp_path`: made once, not per request. */
const madeDirs = new Set<string>();

/**
 * Makes the `client_body_temp_path` directories when a config loads, as nginx's
 * `ngx_create_paths()` does: one level (the parent must exist), an existing one is fine, and
 * one that cannot be made fails the load with nginx's `mkdir() "..." failed`.
 */
export function makeTempPaths(paths: Iterable<string>): void {
  for (const path of paths) {
    if (madeDirs.has(path)) continue;
    try {
      mkdirSync(path, 0o700);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new FileCallError("mkdir", path, error);
    }
    madeDirs.add(path);
  }
}

/** Spool files kept open for reuse, per directory. */
const REUSE_FILES = 32;

/** A file that ever held more than this is closed, not reused: it would keep its disk blocks. */
const REUSE_MAX_BYTES = 1024 * 1024;

/**
 * Request bodies above `client_body_buffer_size`, and buffered responses beyond `proxy_buffers`,
 * in temp files, as nginx keeps them, and with nginx's blocking file I/O: a write lands in the
 * page cache in a few µs, far less than a trip through libuv's thread pool and a promise costs
 * (measured: POST 256 KiB went from 0.41 of nginx to 0.72, and a 1 GiB upload from 232 to 348
 * MiB/s, in one bench run). A file is unlinked as soon as it is open, so it never outlives the
 * process; reads are positional, so a retry replays the body from its first byte.
 *
 * Unlike nginx, a file of up to 1 MiB is not closed when its request ends but emptied and kept
 * open for the next body: opening, unlinking and closing a file cost a fifth of a POST 256
 * KiB's CPU. Emptying it (ftruncate) costs nothing measurable end to end and leaves no body's
 * bytes behind it, so an idle file in the pool holds none and can be told from a body still
 * held; reads stop at the body's size all the same.
 */
export class FileSpool implements BodySpool {
  /** Spool files currently holding a body, for leak checks in tests. */
  static open = 0;
  readonly #collector: Collector | null;
  readonly #idle = new Map<string, number[]>();
  #sinceCollect = 0;

  /** With a `collector`, collects garbage as bodies pass through; none by default. */
  constructor(collector: Collector | null = null) {
    this.#collector = collector;
  }

  /** Counts bytes through the spool, and collects every `everyBytes` of them. */
  readonly count = (bytes: number): void => {
    this.#sinceCollect += bytes;
    if (!this.#collector || this.#sinceCollect < this.#collector.everyBytes) return;
    this.#sinceCollect = 0;
    this.#collector.run();
  };

  async create(dir: string | null): Promise<SpoolFile> {
    const where = dir ?? tmpdir();
    const fd = this.#idle.get(where)?.pop() ?? openUnlinked(where, dir);
    FileSpool.open++;
    return new TempFile(fd, this.count, (file) => this.#release(where, file));
  }

  /** Keeps a small file, emptied, for the next body, or closes it. */
  #release(dir: string, file: { fd: number; extent: number }): void {
    FileSpool.open--;
    const idle = this.#idle.get(dir) ?? [];
    this.#idle.set(dir, idle);
    const keep = file.extent <= REUSE_MAX_BYTES && idle.length < REUSE_FILES;
    // Emptied before a close too: ext4 writes out a file that was once truncated to zero when
    // it is closed (80 ms for 128 MiB of a deleted file, against 5 emptied first).
    try {
      ftruncateSync(file.fd, 0);
    } catch {
      closeSync(file.fd);
      return;
    }
    if (keep) idle.push(file.fd);
    else closeSync(file.fd);
  }
}

/** A new file in `where`, unlinked at once; `dir` (a configured temp path) is made if need be. */
function openUnlinked(where: string, dir: string | null): number {
  if (dir && !madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  // pid and thread: the threads of worker_processes share the directory and the pid.
  const path = join(where, `edgeproxy-body-${process.pid}-${threadId}-${++counter}`);
  const fd = openSync(path, "wx+", 0o600);
  try {
    unlinkSync(path);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

class TempFile implements SpoolFile {
  readonly #fd: number;
  readonly #count: (bytes: number) => void;
  readonly #release: (file: { fd: number; extent: number }) => void;
  #size = 0;
  #closed = false;

  constructor(fd: number, count: (bytes: number) => void, release: (file: { fd: number; extent: number }) => void) {
    this.#fd = fd;
    this.#count = count;
    this.#release = release;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) throw new Error("spool file already discarded");
    let at = 0;
    while (at < chunk.byteLength) at += writeSync(this.#fd, chunk, at, chunk.byteLength - at, this.#size + at);
    this.#size += chunk.byteLength;
    this.#count(chunk.byteLength);
  }

  /** A fresh stream over the whole body from its first byte; each replay reads on its own. */
  async *read(): BodyStream {
    const size = this.#size;
    for (let position = 0; position < size; ) {
      if (this.#closed) throw new Error("spool file already discarded");
      const chunk = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK_BYTES, size - position));
      const bytesRead = readSync(this.#fd, chunk, 0, chunk.length, position);
      if (bytesRead === 0) throw new Error("spool file ended early");
      position += bytesRead;
      this.#count(bytesRead);
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
  }

  async readAt(position: number, length: number): Promise<Uint8Array> {
    if (this.#closed) throw new Error("spool file already discarded");
    const chunk = Buffer.allocUnsafeSlow(Math.min(length, Math.max(0, this.#size - position)));
    const bytesRead = chunk.length === 0 ? 0 : readSync(this.#fd, chunk, 0, chunk.length, position);
    this.#count(bytesRead);
    return bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
  }

  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#release({ fd: this.#fd, extent: this.#size });
  }
}
