import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BodySpool, BodyStream, SpoolFile } from "../../core/index.ts";

let counter = 0;

/** Bytes written between two flushes of the file sink: the spool's backpressure. */
const FLUSH_EVERY_BYTES = 8 * 1024 * 1024;

/**
 * Bodies above `client_body_buffer_size` in temp files, through Bun's file API: a FileSink
 * writes, a fresh `Bun.file().stream()` replays from the first byte, and the file is removed
 * when the request ends (also on abort).
 */
export class BunFileSpool implements BodySpool {
  async create(dir: string | null): Promise<SpoolFile> {
    const path = join(dir ?? tmpdir(), `edgeproxy-body-${process.pid}-${++counter}`);
    return new BunTempFile(path);
  }
}

class BunTempFile implements SpoolFile {
  readonly #path: string;
  readonly #sink: Bun.FileSink;
  #unflushed = 0;
  #isEnded = false;
  #isDiscarded = false;

  constructor(path: string) {
    this.#path = path;
    this.#sink = Bun.file(path).writer();
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#sink.write(chunk);
    this.#unflushed += chunk.byteLength;
    if (this.#unflushed >= FLUSH_EVERY_BYTES) {
      this.#unflushed = 0;
      await this.#sink.flush();
    }
  }

  async *read(): BodyStream {
    await this.#end();
    yield* Bun.file(this.#path).stream() as unknown as AsyncIterable<Uint8Array>;
  }

  async #end(): Promise<void> {
    if (this.#isEnded) return;
    this.#isEnded = true;
    await this.#sink.end();
  }

  async discard(): Promise<void> {
    if (this.#isDiscarded) return;
    this.#isDiscarded = true;
    if (!this.#isEnded) {
      this.#isEnded = true;
      await Promise.resolve(this.#sink.end()).catch(() => {});
    }
    await unlink(this.#path).catch(() => {});
  }
}
