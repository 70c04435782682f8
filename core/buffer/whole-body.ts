/** Response bodies read whole under `proxy_buffering`, as nginx's buffers hold them. */

/**
 * Bodies up to this size, with a `Content-Length`, are read whole under `proxy_buffering`: the
 * platform answers with one buffer instead of piping a stream through JavaScript chunk by chunk
 * (on Bun, small GETs 2.5x faster). Larger ones stream: read whole, a 64 KiB body was slower
 * on Bun than streamed (0.25 of nginx against 0.36, measured with Bun.connect). 32 KiB is
 * nginx's default `proxy_buffers` (8 x 4k).
 */
export const WHOLE_BODY_LIMIT = 32 * 1024;

/**
 * A body that failed half way, passed on as what came and then the failure: the client sees the
 * head and the truncation, as it would have had the body streamed.
 */
export async function* cutShort(chunks: readonly Uint8Array[], error: unknown): AsyncGenerator<Uint8Array> {
  yield* chunks;
  // A server that sees the stream fail at once drops what it holds unsent (Bun does): give it
  // a turn to write what came, as it would have had while the upstream was still sending.
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw error;
}
