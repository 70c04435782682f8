import type { BodySpool, SpoolFile } from "../capabilities.ts";
import { type BodyStream, MalformedBodyError } from "../exchange.ts";
import { concatBytes } from "./concat.ts";

/** A request body read in full, ready to be sent (and sent again on a retry). */
export type BufferedBody =
  | { readonly kind: "memory"; readonly bytes: Uint8Array }
  | { readonly kind: "file"; readonly file: SpoolFile; readonly size: number };

/** Why a body could not be read: nginx's 413, 408 (silent close), 400 (client went away) and 400 (sent). */
export type BodyReadFailure =
  | { readonly kind: "too-large" }
  | { readonly kind: "timeout" }
  | { readonly kind: "aborted" }
  | { readonly kind: "malformed" };

/** Limits for one body, from the location's settings. */
export interface BodyLimits {
  /** `client_max_body_size` in bytes; 0 = unlimited. */
  readonly maxSize: number;
  /** `client_body_buffer_size`: above this the body goes to the spool. */
  readonly bufferSize: number;
  /** `client_body_timeout`: the longest pause between two reads. */
  readonly timeoutMs: number;
  /** `client_body_temp_path`, or null. */
  readonly tempPath: string | null;
  /** The client's `Content-Length`, when it sent one. */
  readonly contentLength: number | null;
}

/**
 * Reads the whole client body before any upstream is contacted (docs/nginx-semantics.md 6.4):
 * one exact buffer when a `Content-Length` below 1.25 x `client_body_buffer_size` announces it,
 * otherwise the spool, written in order with backpressure.
 */
export async function readBody(
  body: BodyStream,
  limits: BodyLimits,
  spool: BodySpool | null,
): Promise<{ ok: BufferedBody } | { failed: BodyReadFailure }> {
  const inMemory = spool === null || (limits.contentLength !== null && limits.contentLength <= limits.bufferSize * 1.25);
  const chunks: Uint8Array[] = [];
  let size = 0;
  let file: SpoolFile | null = null;
  const idle = new IdleTimer(limits.timeoutMs);
  const iterator = body[Symbol.asyncIterator]();
  const fail = async (failure: BodyReadFailure) => {
    await file?.discard();
    return { failed: failure };
  };
  try {
    for (;;) {
      const next = await idle.race(iterator.next());
      if (next === "timeout") return await fail({ kind: "timeout" });
      if (next.done) break;
      const chunk = next.value;
      size += chunk.byteLength;
      if (limits.maxSize > 0 && size > limits.maxSize) return await fail({ kind: "too-large" });
      if (file) {
        await file.write(chunk);
      } else {
        chunks.push(chunk);
        if (!inMemory && size > limits.bufferSize && spool) {
          file = await spool.create(limits.tempPath);
          for (const c of chunks) await file.write(c);
          chunks.length = 0;
        }
      }
    }
  } catch (error) {
    return await fail({ kind: error instanceof MalformedBodyError ? "malformed" : "aborted" });
  } finally {
    idle.stop();
  }
  // A body shorter than its Content-Length means the client went away mid-upload.
  if (limits.contentLength !== null && size !== limits.contentLength) return await fail({ kind: "aborted" });
  if (file) return { ok: { kind: "file", file, size } };
  return { ok: { kind: "memory", bytes: concatBytes(chunks, size) } };
}

/** The buffered body's size in bytes. */
export function bodySize(body: BufferedBody): number {
  return body.kind === "memory" ? body.bytes.byteLength : body.size;
}

/** Releases the spool file, if any. */
export function releaseBody(body: BufferedBody | null): void {
  if (body?.kind === "file") void body.file.discard();
}

/**
 * One timer for a whole read loop: it re-arms itself lazily, so a fast upload costs a
 * timestamp per chunk rather than a timer per chunk. (Racing each read against one shared
 * "expired" promise would leak: every race leaves a reaction, and its chunk, on that promise.)
 */
class IdleTimer {
  readonly #ms: number;
  #last = Date.now();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #expire: (() => void) | null = null;

  constructor(ms: number) {
    this.#ms = ms;
    if (ms > 0) this.#arm(ms);
  }

  /** `read`'s result, or "timeout" when no data came for the idle time. */
  race<T>(read: Promise<T>): Promise<T | "timeout"> {
    this.#last = Date.now();
    if (this.#ms <= 0) return read;
    return new Promise((resolve, reject) => {
      this.#expire = () => resolve("timeout");
      read.then(
        (value) => {
          this.#expire = null;
          resolve(value);
        },
        (error: unknown) => {
          this.#expire = null;
          reject(error);
        },
      );
    });
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#expire = null;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => {
      const idle = Date.now() - this.#last;
      if (idle >= this.#ms && this.#expire) this.#expire();
      else this.#arm(this.#ms - Math.min(idle, this.#ms - 1));
    }, delay);
  }
}
