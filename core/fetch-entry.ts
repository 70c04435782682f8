import type { BodyStream, ClientBody, ConnectionInfo, HeaderPairs, ProxyResponse, RequestHead } from "./exchange.ts";

/** The plain-data entry the Fetch entry wraps. */
export type Handle = (head: RequestHead, body: ClientBody, connection: ConnectionInfo) => Promise<ProxyResponse>;

/**
 * The Fetch entry for Fetch-native platforms and Hono: a `Request` in, a `Response` out, over
 * the same `handle`. Header order and case are what the platform's `Headers` keeps.
 */
export async function fetchThroughHandle(handle: Handle, request: Request, connection: ConnectionInfo): Promise<Response> {
  const url = new URL(request.url);
  const headers: HeaderPairs = [];
  request.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  if (!headers.some(([n]) => n === "host")) headers.unshift(["host", url.host]);
  // A body whose length the platform did not pass on is read as a chunked one would be.
  if (request.body !== null && !headers.some(([n]) => n === "content-length" || n === "transfer-encoding")) {
    headers.push(["transfer-encoding", "chunked"]);
  }
  const head: RequestHead = { method: request.method, target: url.pathname + url.search, httpVersion: "1.1", headers };
  const body: BodyStream = request.body ?? emptyBody();
  const res = await handle(head, body, connection);
  if (res.kind === "close") return new Response(null, { status: res.logStatus === 444 ? 444 : 400 });
  const out = new Headers();
  for (const [name, value] of res.headers) out.append(name, value);
  const noBody = res.status === 204 || res.status === 304 || request.method === "HEAD";
  const payload = noBody || res.body === null ? null : res.body instanceof Uint8Array ? res.body : toReadableStream(res.body, res.done);
  if (!(payload instanceof ReadableStream)) res.done?.();
  return new Response(payload as ConstructorParameters<typeof Response>[0], { status: res.status, statusText: res.reason, headers: out });
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
