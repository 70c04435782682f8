import type { BodyStream } from "../exchange.ts";

/** zlib's settings for one body: nginx's `gzip_comp_level`, and its window and memory. */
export interface GzipOptions {
  readonly level: number;
  readonly windowBits: number;
  readonly memLevel: number;
}

/**
 * How a platform gzips response bodies (a capability): a stream compressor, or `platform` where
 * the platform owns the client's encoding (Workers: the Worker sees the runtime's own
 * `Accept-Encoding`, and the runtime compresses for the client as the client asks). There the
 * gzip filter leaves responses alone.
 */
export type Compression = { readonly gzip: (body: BodyStream, options: GzipOptions) => BodyStream } | "platform";

/**
 * Compression with the web's `CompressionStream`, for a platform that gives none: it has no
 * level or window to set, and is slower than zlib where there is zlib (Node, Bun).
 */
export const webCompression: Compression = {
  gzip: (body) => compressed(body),
};

async function* compressed(body: BodyStream): AsyncGenerator<Uint8Array> {
  const stream = new CompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const feeding = (async () => {
    try {
      for await (const chunk of body) await writer.write(chunk as Uint8Array<ArrayBuffer>);
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => {});
    }
  })();
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    await feeding;
  } finally {
    reader.releaseLock();
  }
}
