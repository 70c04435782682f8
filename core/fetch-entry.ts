import type { BodyStream, ClientBody, ConnectionInfo, HeaderPairs, ProxyResponse, RequestHead } from "./exchange.ts";

/** The plain-data entry the Fetch entry wraps. */
export type Handle = (head: RequestHead, body: ClientBody, connection: ConnectionInfo) => Promise<ProxyResponse>;

/**
 * The Fetch entry for Fetch-native platforms and Hono: a `Request` in, a `Response` out, over
 * the same `handle`. Header order and case are what the platform's `Headers` keeps.
 */
export async function fetchThroughHandle(handle: Handle, request: Request, connection: ConnectionInfo): Promise<Response> {
  // `scheme://authority/path?query`: the target starts at the first slash after the authority.
  const url = request.url;
  const authorityStart = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", authorityStart);
  const headers: HeaderPairs = [];
  request.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  if (!headers.some(([n]) => n === "host")) headers.unshift(["host", url.slice(authorityStart, pathStart < 0 ? url.length : pathStart)]);
  // A body whose length the platform did not pass on is read as a chunked one would be.
  if (request.body !== null && !headers.some(([n]) => n === "content-length" || n === "transfer-encoding")) {
    headers.push(["transfer-encoding", "chunked"]);
  }
  // A client sends no fragment, but a Request built in code (a Hono app) may carry one.
  const fragment = url.indexOf("#");
  const target = pathStart < 0 ? "/" : url.slice(pathStart, fragment < 0 ? url.length : fragment) || "/";
  const head: RequestHead = { method: request.method, target, httpVersion: "1.1", headers };
  const body: BodyStream = request.body ?? emptyBody();
  const res = await handle(head, body, connection);
  if (res.kind === "close") return new Response(null, { status: res.logStatus === 444 ? 444 : 400 });
  const noBody = res.status === 204 || res.status === 304 || request.method === "HEAD";
  const payload =
    noBody || res.body === null
      ? null
      : res.body instanceof Uint8Array
        ? wholeBody(res.body, res.headers)
        : toReadableStream(res.body, res.done);
  if (!(payload instanceof ReadableStream) || res.body instanceof Uint8Array) res.done?.();
  // Pairs, not a Headers built here: the platform builds its own natively, duplicates kept.
  const headersInit = res.headers as [string, string][];
  return new Response(payload as ConstructorParameters<typeof Response>[0], {
    status: res.status,
    statusText: res.reason,
    headers: headersInit,
  });
}

/**
 * Bytes as a body. Bun types a byte body `application/octet-stream` when no `Content-Type`
 * came with it (the Fetch standard adds none); a one-chunk stream is typed by the headers alone.
 */
function wholeBody(bytes: Uint8Array, headers: HeaderPairs): Uint8Array | ReadableStream<Uint8Array> {
  if (headers.some(([n]) => n.length === 12 && n.toLowerCase() === "content-type")) return bytes;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

function toReadableStream(body: BodyStream, done: (() => void) | undefined): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) {
          controller.close();
          done?.();
        } else controller.enqueue(next.value);
      } catch (error) {
        controller.error(error);
        done?.();
      }
    },
    async cancel() {
      await it.return?.();
      done?.();
    },
  });
}
