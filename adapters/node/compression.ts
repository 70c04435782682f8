import { pipeline, Readable } from "node:stream";
import type { BodyStream, Compression } from "../../core/index.ts";
import { nodeZlib } from "./builtins.ts";

/**
 * gzip with node:zlib, as nginx's with zlib: its level, window and memory, the body streamed
 * through with backpressure. Several times faster than CompressionStream on Node and Bun
 * (64 KiB of text: 0.16 against 1.5 ms on Node, 0.12 against 0.38 on Bun). A client that
 * stops reading ends the stream, and the body it was reading from.
 */
export const zlibCompression: Compression = {
  gzip: (body, options) => {
    const zlib = nodeZlib();
    const gzip = zlib.createGzip({
      level: options.level,
      windowBits: options.windowBits,
      memLevel: options.memLevel,
      // nginx's strategy and flushes: the default, and Z_FINISH only at the end.
      strategy: zlib.constants.Z_DEFAULT_STRATEGY,
    });
    pipeline(Readable.from(body as BodyStream, { objectMode: false }), gzip, () => {});
    return gzip;
  },
};
