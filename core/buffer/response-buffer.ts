import type { BodySpool, SpoolFile } from "../capabilities.ts";
import type { ResponseBufferSizes } from "../config/response-buffering.ts";
import type { BodyStream } from "../exchange.ts";

/** Bytes read back from the temp file per chunk sent on. */
const FILE_READ_BYTES = 64 * 1024;

/**
 * An upstream response body read as nginx reads one with `proxy_buffering on`
 * (`ngx_event_pipe`): as fast as the upstream sends it, whatever the client's pace. What the
 * client has not taken waits in memory up to `proxy_buffers`, then in a temp file up to
 * `proxy_max_temp_file_size`; only beyond that does a slow client hold the upstream back. So
 * the upstream connection is free (back in the keepalive cache) once its body is read, not
 * once a slow client has it. `discard` drops the upstream when the client leaves first.
 */
export function bufferResponse(source: BodyStream, sizes: ResponseBufferSizes, spool: BodySpool | null, discard: () => void): BodyStream {
  return new ResponseBuffer(source, sizes, spool, discard);
}

class ResponseBuffer implements AsyncIterable<Uint8Array> {
  readonly #source: BodyStream;
  readonly #sizes: ResponseBufferSizes;
  readonly #spool: BodySpool | null;
  readonly #discard: () => void;
  /** The newest bytes, after everything in the file. */
  #memory: Uint8Array[] = [];
  #memoryBytes = 0;
  #file: SpoolFile | null = null;
  #fileWritten = 0;
  #fileRead = 0;
  /** The upstream body ended (or failed: `#failure`). */
  #isRead = false;
  #failure: { readonly error: unknown } | null = null;
  /** The client stopped taking the body. */
  #isStopped = false;
  #wakeReader: (() => void) | null = null;
  #wakeUpstream: (() => void) | null = null;

  constructor(source: BodyStream, sizes: ResponseBufferSizes, spool: BodySpool | null, discard: () => void) {
    this.#source = source;
    this.#sizes = sizes;
    this.#spool = sizes.maxTempFileBytes > 0 ? spool : null;
    this.#discard = discard;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    void this.#readUpstream();
    return this.#send();
  }

  /** The upstream side: reads until the body ends, moving what waits into the file when memory is full. */
  async #readUpstream(): Promise<void> {
    try {
      for await (const chunk of this.#source) {
        if (this.#isStopped) return;
        this.#memory.push(chunk);
        this.#memoryBytes += chunk.byteLength;
        this.#wake("reader");
        // The client may take it at once: it gets the chance before anything goes to disk.
        await null;
        if (this.#memoryBytes > this.#sizes.memoryBytes) await this.#makeRoom();
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.#isRead = true;
      this.#wake("reader");
      // A file made after the client left is not the client's to remove.
      if (this.#isStopped) await this.#file?.discard();
    }
  }

  /** Memory is over `proxy_buffers`: into the temp file while it may grow, else wait for the client. */
  async #makeRoom(): Promise<void> {
    while (this.#memoryBytes > this.#sizes.memoryBytes && !this.#isStopped) {
      if (await this.#spill()) return;
      await new Promise<void>((resolve) => {
        this.#wakeUpstream = resolve;
      });
    }
  }

  /** Appends what memory holds to the temp file; false when there is no room for it there. */
  async #spill(): Promise<boolean> {
    const spool = this.#spool;
    if (spool === null || this.#fileWritten + this.#memoryBytes > this.#sizes.maxTempFileBytes) return false;
    this.#file ??= await spool.create(this.#sizes.tempPath);
    const chunks = this.#memory;
    this.#memory = [];
    this.#memoryBytes = 0;
    for (const chunk of chunks) {
      await this.#file.write(chunk);
      this.#fileWritten += chunk.byteLength;
    }
    this.#wake("reader");
    return true;
  }

  /** The client side: the file's bytes, then memory's, until the body ends; an upstream failure after what came. */
  async *#send(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (this.#fileRead < this.#fileWritten) {
          const chunk = await (this.#file as SpoolFile).readAt(
            this.#fileRead,
            Math.min(FILE_READ_BYTES, this.#fileWritten - this.#fileRead),
          );
          this.#fileRead += chunk.byteLength;
          yield chunk;
          continue;
        }
        const chunk = this.#memory.shift();
        if (chunk) {
          this.#memoryBytes -= chunk.byteLength;
          this.#wake("upstream");
          yield chunk;
          continue;
        }
        if (this.#isRead) {
          if (this.#failure) throw this.#failure.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
      }
    } finally {
      this.#isStopped = true;
      // A client that left before the upstream finished: the upstream goes too.
      if (!this.#isRead) this.#discard();
      this.#wake("upstream");
      await this.#file?.discard();
    }
  }

  #wake(side: "reader" | "upstream"): void {
    const wake = side === "reader" ? this.#wakeReader : this.#wakeUpstream;
    if (side === "reader") this.#wakeReader = null;
    else this.#wakeUpstream = null;
    wake?.();
  }
}
