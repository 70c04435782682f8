import { concatBytes } from "../buffer/concat.ts";
import { cutShort, WHOLE_BODY_LIMIT } from "../buffer/whole-body.ts";
import type { Transport, UpstreamRequest, UpstreamResult } from "../capabilities.ts";
import type { BodyStream, HeaderPairs } from "../exchange.ts";
import { isSafeHeaderValue } from "../http1/request-head.ts";
import { connectFailed, UPSTREAM_TIMED_OUT, type UpstreamStage, whileDoing } from "../log/upstream-errors.ts";

/** What a Fetch-native platform lends the transport. */
export interface FetchTransportOptions {
  /** The platform's `fetch`. */
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
}

type Failed = Extract<UpstreamResult, { kind: "failed" }>;

/**
 * Upstream requests over a platform's `fetch` (Workers). `fetch` hides the phases nginx
 * times separately, so the response head must come within `proxy_connect_timeout` plus
 * `proxy_read_timeout`; a fetch that fails before any answer counts as `error`, sent unless
 * the platform says the connection was refused.
 */
export function createFetchTransport(options: FetchTransportOptions): Transport {
  return {
    async request(req: UpstreamRequest): Promise<UpstreamResult> {
      const p = req.peer;
      if (p.kind === "unix")
        return failed("error", connectFailed(p, "unix sockets are not available on this platform"), "connecting", false);
      const host = p.host.includes(":") ? `[${p.host}]` : p.host;
      const port = `:${p.port}`;
      const url = `${req.tls ? "https" : "http"}://${host}${port}${req.target}`;
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, req.connectTimeoutMs + req.readTimeoutMs);
      // The client left before the head came: the fetch is dropped, as nginx closes its connection.
      req.cancel?.listen(() => controller.abort());
      // Pairs, not a Headers built here: the platform builds its own natively, duplicates kept.
      const headers = safeHeaders(req.headers, (name) =>
        req.log?.error(`header "${name}" was not sent upstream: its value holds CR, LF or NUL`),
      );
      const body = fetchBody(req);
      try {
        // Typed loosely: the platforms' RequestInit types differ (duplex).
        const init: Record<string, unknown> = {
          method: req.method,
          headers,
          body,
          redirect: "manual",
          signal: controller.signal,
          ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
        };
        const res = await options.fetch(url, init as RequestInit);
        clearTimeout(timer);
        req.cancel?.listen(null);
        if (res.status === 101) return switched(res, req);
        const pairs: HeaderPairs = [];
        let length = -1;
        let buffering = req.buffering;
        res.headers.forEach((value, name) => {
          pairs.push([name, value]);
          if (name === "content-length") length = /^\d{1,15}$/.test(value) ? Number(value) : -1;
          // As nginx: the upstream can turn buffering off for its response.
          else if (name === "x-accel-buffering") buffering = value.toLowerCase() !== "no";
        });
        const whole = buffering && res.body !== null && length >= 0 && length <= WHOLE_BODY_LIMIT;
        // A body cut because the response was dropped (its client left) is not the upstream's failure.
        let isDiscarded = false;
        return {
          kind: "response",
          status: res.status,
          reason: res.statusText,
          headers: pairs,
          contentLength: declaredLength(res.status, length),
          body: await bodyOf(res.body, whole, controller, req, () => isDiscarded),
          buffering,
          discard: () => {
            isDiscarded = true;
            controller.abort();
          },
        };
      } catch (error) {
        clearTimeout(timer);
        req.cancel?.listen(null);
        if (timedOut) return failed("timeout", UPSTREAM_TIMED_OUT, "reading-header", true);
        const message = platformMessage(error);
        // The platform words its errors itself; a refused connection is the one nginx's retry rules need told apart.
        if (/refused|ECONNREFUSED/i.test(message)) return failed("error", connectFailed(p, "111: Connection refused"), "connecting", false);
        return failed("error", message, "reading-header", true);
      }
    },
  };
}

/**
 * A 101: where the platform switched to WebSocket for a client that asked, its WebSocket is the
 * tunnel's far end; a 101 nobody asked for is refused as the HTTP/1 client refuses it.
 */
function switched(res: Response, req: UpstreamRequest): UpstreamResult {
  const webSocket = (res as Response & { webSocket?: unknown }).webSocket;
  if (!req.upgrade || !webSocket)
    return failed("invalid_header", "upstream sent unexpected 101 Switching Protocols", "reading-header", true);
  const headers: HeaderPairs = [];
  res.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  return {
    kind: "response",
    status: 101,
    reason: res.statusText,
    headers,
    contentLength: null,
    body: new Uint8Array(0),
    tunnel: { kind: "platform", webSocket },
    discard: () => {
      try {
        (webSocket as { close(): void }).close();
      } catch {}
    },
  };
}

/** The pairs without those whose value holds CR, LF or NUL (a platform's `Headers` would throw). */
export function safeHeaders(headers: HeaderPairs, onUnsafe: (name: string) => void): [string, string][] {
  if (headers.every(([, value]) => isSafeHeaderValue(value))) return headers as [string, string][];
  const safe: [string, string][] = [];
  for (const pair of headers) {
    if (isSafeHeaderValue(pair[1])) safe.push(pair);
    else onUnsafe(pair[0]);
  }
  return safe;
}

/** What the client is told of the length (`UpstreamResult.contentLength`); the platform framed the body. */
function declaredLength(status: number, length: number): number | null {
  if (length < 0 || status === 204 || status < 200) return null;
  return length;
}

/**
 * The body as `fetch` takes it. `fetch` refuses one with GET and HEAD, which an error page's
 * request is (nginx sends the client's body again): it goes without.
 */
function fetchBody(req: UpstreamRequest): Uint8Array | ReadableStream<Uint8Array> | null {
  const body = req.body;
  if (req.method === "GET" || req.method === "HEAD") return null;
  if (body === null || body instanceof Uint8Array) return body;
  return toReadableStream(body);
}

function failed(reason: Failed["reason"], detail: string, stage: UpstreamStage, requestSent: boolean): Failed {
  return { kind: "failed", reason, detail, stage, requestSent };
}

/**
 * The response body, `proxy_read_timeout` apart between reads (the platform's stream has no
 * timer of its own): read whole first when small enough, as nginx's buffers would, else as it
 * comes. A body that fails or stalls is logged as nginx logs it and ends with an error, after
 * what came, so the client sees the truncation.
 */
async function bodyOf(
  stream: ReadableStream<Uint8Array> | null,
  whole: boolean,
  controller: AbortController,
  req: UpstreamRequest,
  isDiscarded: () => boolean,
): Promise<Uint8Array | BodyStream> {
  // No body (HEAD, 204, 304): a stream, so the declared length stays the client's.
  if (stream === null) return noBody();
  const idle = new IdleWatch(controller, req.readTimeoutMs);
  const fail = (error: unknown) => {
    idle.stop();
    const message = idle.hasFired ? UPSTREAM_TIMED_OUT : platformMessage(error);
    if (!isDiscarded()) req.log?.error(message + whileDoing("reading-body"));
    return new Error(message + whileDoing("reading-body"), { cause: error });
  };
  const reader = stream.getReader();
  if (!whole) return readAsItComes(reader, idle, fail);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      idle.touch();
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  } catch (error) {
    return cutShort(chunks, fail(error));
  }
  idle.stop();
  return concatBytes(chunks, size);
}

/** What the body readers use of a stream's reader (the runtimes type theirs apart). */
interface ChunkReader {
  read(): Promise<{ readonly done: true; readonly value?: unknown } | { readonly done: false; readonly value: Uint8Array }>;
  releaseLock(): void;
}

async function* readAsItComes(reader: ChunkReader, idle: IdleWatch, fail: (error: unknown) => Error): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      let next: Awaited<ReturnType<ChunkReader["read"]>>;
      try {
        next = await reader.read();
      } catch (error) {
        throw fail(error);
      }
      if (next.done) return;
      idle.touch();
      yield next.value;
    }
  } finally {
    idle.stop();
    reader.releaseLock();
  }
}

async function* noBody(): AsyncGenerator<Uint8Array> {}

/**
 * Aborts a fetch after `ms` with no read: one timer a body, moved on only when it fires early
 * (a read just notes the time).
 */
class IdleWatch {
  hasFired = false;
  #last = Date.now();
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #controller: AbortController;
  readonly #ms: number;

  constructor(controller: AbortController, ms: number) {
    this.#controller = controller;
    this.#ms = ms;
    if (ms > 0) this.#arm(ms);
  }

  touch(): void {
    this.#last = Date.now();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(dueMs: number): void {
    this.#timer = setTimeout(() => {
      const idleFor = Date.now() - this.#last;
      if (idleFor < this.#ms) return this.#arm(this.#ms - idleFor);
      this.hasFired = true;
      this.#controller.abort();
    }, dueMs);
  }
}

/** A platform's error message, as its own words (`Network connection lost`), without the full stop. */
function platformMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
}

function toReadableStream(body: BodyStream): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}
