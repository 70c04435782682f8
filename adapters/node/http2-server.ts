import type http2 from "node:http2";
import type { Socket } from "node:net";
import {
  type AcceptedConnection,
  type ClientBody,
  type Config,
  type ConnectionInfo,
  type EdgeProxy,
  Http2Counts,
  hasNoBody,
  http2RequestHead,
  http2ResponseHeaders,
  type Logger,
  type ProxyResponse,
  type RequestHead,
  type Server,
  type StatusCounters,
  statusResponse,
} from "../../core/index.ts";
import { nodeHttp2 } from "./builtins.ts";

type Answer = Extract<ProxyResponse, { kind: "response" }>;

/** RFC 9113 error codes (section 7); written out so that node:http2 loads only when a connection is HTTP/2. */
const NGHTTP2_NO_ERROR = 0x0;
const NGHTTP2_PROTOCOL_ERROR = 0x1;
const NGHTTP2_CANCEL = 0x8;
const NGHTTP2_ENHANCE_YOUR_CALM = 0xb;

/**
 * HTTP/2 to clients on the runtime's HTTP/2 layer (node:http2 sessions, on Node and in Bun):
 * frames, HPACK, flow control and stream limits are the platform's; every stream's request
 * is read with nginx's rules (core/http2/request-head.ts) and answered by the same core
 * `handle()` as an HTTP/1 request, so routing, buffering, balancing and the upstream HTTP/1
 * exchange are the same. Each stream is on its own: one whose client reads slowly, or resets
 * it, holds back only itself.
 */
export class Http2Sessions {
  readonly #proxy: () => EdgeProxy;
  readonly #log: Logger;
  #config: Config;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  /** This thread's words of the status counters. */
  readonly #counts: Float64Array;
  #inFlight = 0;
  #closing = false;

  constructor(proxy: () => EdgeProxy, config: Config, log: Logger, counters: StatusCounters) {
    this.#proxy = proxy;
    this.#config = config;
    this.#log = log;
    this.#counts = counters.server;
  }

  /** Streams being answered now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A reload: new sessions and new streams read the new limits. */
  update(config: Config): void {
    this.#config = config;
  }

  /** A graceful stop: every session gets GOAWAY, and its open streams finish. */
  stop(): void {
    this.#closing = true;
    for (const session of this.#sessions) session.close();
  }

  /** Closes what is left at once. */
  destroy(): void {
    for (const session of this.#sessions) session.destroy();
  }

  /**
   * Serves HTTP/2 on a socket: a TLS socket that chose h2, or a plain one for `listen ... http2`
   * without ssl (prior knowledge, as nginx 1.22). `server` is the server the connection
   * belongs to before any request (the SNI choice, else the default), whose `http2_*` apply.
   * `accepted` is its record in the status counts since its accept, which the session takes over.
   */
  serve(socket: Socket, info: ConnectionInfo, server: Server, accepted: AcceptedConnection): void {
    if (this.#closing) {
      socket.destroy();
      accepted.closed();
      return;
    }
    const counts = new Http2Counts(this.#counts, accepted);
    const config = this.#config;
    const s = server.settings;
    const session = nodeHttp2().performServerHandshake(socket, {
      settings: {
        maxConcurrentStreams: s.http2MaxConcurrentStreams,
        initialWindowSize: s.http2BodyPrereadSize,
        enablePush: false,
        maxHeaderListSize: config.largeClientHeaderBuffers.count * config.largeClientHeaderBuffers.size,
      },
    });
    this.#sessions.add(session);
    let streams = 0;
    session.on("stream", (stream, _headers, flags, rawHeaders) => {
      // A reset or a broken connection ends the stream's request and response (nginx's 499 or
      // a cut body); it is not the process's error.
      stream.on("error", ignore);
      streams++;
      // keepalive_requests bounds the streams of a connection too (nginx 1.19.7): then GOAWAY.
      if (streams >= this.#config.keepaliveRequests) session.close();
      void this.#answer(session, stream, rawHeaders, (flags & 1) !== 0, info, counts);
    });
    // keepalive_timeout: a connection with nothing to do is closed.
    session.setTimeout(config.keepaliveTimeoutMs, () => session.close());
    session.on("error", () => {});
    // The client's end of input ends the connection and its streams (ngx_http_v2_read_handler());
    // the socket is half-open, and a session that never got a preface would not see it.
    socket.once("end", () => session.destroy());
    session.on("close", () => {
      this.#sessions.delete(session);
      counts.closed();
    });
    socket.on("error", () => {});
  }

  async #answer(
    session: http2.ServerHttp2Session,
    stream: http2.ServerHttp2Stream,
    raw: readonly string[],
    endStream: boolean,
    info: ConnectionInfo,
    counts: Http2Counts,
  ): Promise<void> {
    const config = this.#config;
    const buffers = config.largeClientHeaderBuffers;
    const startedMs = Date.now();
    counts.streamBegan();
    const read = http2RequestHead(raw, {
      endStream,
      underscoresInHeaders: config.underscoresInHeaders,
      ignoreInvalidHeaders: config.ignoreInvalidHeaders,
      maxFieldBytes: buffers.size,
      maxHeaderBytes: buffers.count * buffers.size,
    });
    if ("reset" in read) {
      // nginx answers neither: the stream, or for a header block over the limits the connection, ends.
      this.#log.info(`${read.reason} while processing HTTP/2 connection, client: ${info.remoteAddress}`);
      if (read.reset === "stream") stream.close(NGHTTP2_PROTOCOL_ERROR);
      else {
        session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
        session.close();
        stream.close(NGHTTP2_ENHANCE_YOUR_CALM);
      }
      counts.streamEnded(null, Date.now() - startedMs);
      return;
    }
    this.#inFlight++;
    let result: ProxyResponse | null = null;
    try {
      if ("refused" in read) {
        this.#proxy().refused(read.head, read.refused, info, `${read.reason} while reading client request headers`);
        result = statusResponse(read.refused);
      } else {
        result = await this.#handle(read.head, bodyOf(stream), info);
      }
      if (result.kind === "close") stream.close(NGHTTP2_CANCEL);
      else await this.#write(stream, result, read.head);
    } finally {
      this.#inFlight--;
      const status = result === null ? null : result.kind === "response" ? result.status : result.logStatus;
      counts.streamEnded(status, Date.now() - startedMs);
      if (result?.kind === "response") result.done?.();
    }
  }

  async #handle(head: RequestHead, body: ClientBody, info: ConnectionInfo): Promise<ProxyResponse> {
    try {
      return await this.#proxy().handle(head, body, info);
    } catch (error) {
      this.#log.error(`unexpected error: ${(error as Error).stack ?? error}`);
      return statusResponse(500);
    }
  }

  /**
   * The response on its stream, with the stream's flow control as backpressure: a client that
   * stops reading stalls this stream alone, and is cut after `send_timeout` without progress.
   */
  async #write(stream: http2.ServerHttp2Stream, response: Answer, head: RequestHead): Promise<void> {
    if (stream.destroyed || stream.closed) return drain(response);
    const noBody = hasNoBody(response, head.method === "HEAD");
    const body = response.body;
    try {
      stream.respond(http2ResponseHeaders(response, this.#log), { endStream: noBody || body === null });
    } catch (error) {
      this.#log.error(`the response head could not be sent: ${(error as Error).message}`);
      stream.close(NGHTTP2_CANCEL);
      return drain(response);
    }
    if (noBody || body === null) {
      await drain(response);
      return this.#finish(stream);
    }
    try {
      if (body instanceof Uint8Array) await this.#send(stream, body);
      else for await (const chunk of body) await this.#send(stream, chunk);
      stream.end();
      this.#finish(stream);
    } catch {
      // The client reset the stream, or the upstream broke mid-body: the stream is cut.
      if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
    }
  }

  /** One chunk, waiting for the stream's window when the client is slow (send_timeout). */
  #send(stream: http2.ServerHttp2Stream, chunk: Uint8Array): Promise<void> {
    if (stream.destroyed) return Promise.reject(new Error("stream closed"));
    if (stream.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timeoutMs = this.#config.sendTimeoutMs;
      const timer = setTimeout(() => done(new Error("client timed out")), timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        stream.off("drain", onDrain);
        stream.off("close", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error("stream closed"));
      stream.on("drain", onDrain);
      stream.on("close", onClose);
    });
  }

  /** A request body nobody read is not waited for: the stream ends with NO_ERROR (RFC 9113 §8.1). */
  #finish(stream: http2.ServerHttp2Stream): void {
    if (!stream.readableEnded && !stream.destroyed) stream.close(NGHTTP2_NO_ERROR);
  }
}

function ignore(): void {}

/** An upstream body still runs to its end when the client gets none (HEAD), so its connection can be kept. */
async function drain(response: Answer): Promise<void> {
  const body = response.body;
  if (body === null || body instanceof Uint8Array) return;
  try {
    for await (const _ of body);
  } catch {}
}

/** A stream's request body as the core reads it, with the client's going away told (nginx's 499). */
function bodyOf(stream: http2.ServerHttp2Stream): ClientBody {
  const iterate = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) yield chunk as Uint8Array;
  };
  return {
    [Symbol.asyncIterator]: iterate,
    watchClient: (onGone) => {
      const gone = () => onGone();
      if (stream.closed || stream.aborted) {
        queueMicrotask(gone);
        return () => {};
      }
      stream.once("aborted", gone);
      stream.once("close", gone);
      return () => {
        stream.off("aborted", gone);
        stream.off("close", gone);
      };
    },
  };
}
