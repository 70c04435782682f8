import type { Logger } from "./capabilities.ts";
import type { BodyStream, ClientBody, ConnectionInfo, HeaderPairs, ProxyResponse, RequestHead, Tunnel } from "./exchange.ts";
import { type PlatformWebSocket, relayWebSockets, type WebSocketPairs } from "./fetch-tunnel.ts";
import { safeHeaders } from "./forward/fetch-transport.ts";
import { HeadersIn } from "./http1/headers-in.ts";
import { isValidHeaderName } from "./http1/request-parser.ts";
import { CLOSED, countClosed, countPlatformRequest, countResponse } from "./status/connection-stats.ts";
import type { StatusCounters } from "./status/counters.ts";

type Answer = Extract<ProxyResponse, { kind: "response" }>;

/** The plain-data entry the Fetch entry wraps. */
export type Handle = (head: RequestHead, body: ClientBody, connection: ConnectionInfo) => Promise<ProxyResponse>;

/** A refusal of the read phase, answered and logged as nginx would: the proxy's own `refuse`. */
export type Refuse = (status: number, head: RequestHead, connection: ConnectionInfo) => ProxyResponse;

/** The head rules of the config (http level). */
export interface HeadRules {
  readonly ignoreInvalidHeaders: boolean;
  readonly underscoresInHeaders: boolean;
  readonly largeClientHeaderBuffers: { readonly size: number };
  /** `max_headers`. */
  readonly maxHeaders: number;
}

/** What the Fetch entry needs of the config and the platform, fixed at load. */
export interface FetchEntrySetup {
  /** The head rules for a connection: its default server's. */
  readonly rules: (connection: ConnectionInfo) => HeadRules;
  readonly log: Logger;
  /** How the platform pairs WebSockets; without it, no tunnels (a 101 is then refused). */
  readonly webSockets: WebSocketPairs | null;
  /** Where requests are counted: each as a connection of its own, which the platform hides. */
  readonly counters: StatusCounters;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/**
 * The Fetch entry for Fetch-native platforms and Hono: a `Request` in, a `Response` out, over
 * the same `handle`. The platform framed the request; its headers go through the same read
 * phase as an HTTP/1 head (core/http1/headers-in.ts). Header order and case are what the
 * platform's `Headers` keeps.
 */
export async function fetchThroughHandle(
  handle: Handle,
  refuse: Refuse,
  request: Request,
  connection: ConnectionInfo,
  setup: FetchEntrySetup,
): Promise<Response> {
  const rules = setup.rules(connection);
  const words = setup.counters.server;
  const counted = countPlatformRequest(words);
  const startedMs = setup.now();
  // Once: a stream's end and its cancel may both report it.
  const ended = (status: number) => {
    if (counted.counted === CLOSED) return;
    countResponse(words, status, setup.now() - startedMs);
    countClosed(words, counted);
  };
  // `scheme://authority/path?query`: the target starts at the first slash after the authority.
  const url = request.url;
  const authorityStart = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", authorityStart);
  const headers: HeaderPairs = [];
  request.headers.forEach((value, name) => {
    if (!rules.ignoreInvalidHeaders || isValidHeaderName(name, rules.underscoresInHeaders)) headers.push([name, value]);
  });
  if (!headers.some(([n]) => n === "host")) headers.unshift(["host", url.slice(authorityStart, pathStart < 0 ? url.length : pathStart)]);
  // A client sends no fragment, but a Request built in code (a Hono app) may carry one.
  const fragment = url.indexOf("#");
  const target = pathStart < 0 ? "/" : url.slice(pathStart, fragment < 0 ? url.length : fragment) || "/";
  const line: RequestHead = { method: request.method, target, httpVersion: "1.1", headers, framing: { kind: "none" } };
  const read = readHeaders(line, request.body !== null, rules, setup.webSockets !== null);
  if ("status" in read) return toResponse(counting(refuse(read.status, line, connection), ended), request.method, setup);
  return toResponse(counting(await handle(read, clientBody(request), connection), ended), request.method, setup);
}

/** The response, counted when it is done (its body sent, its tunnel closed), or now when nothing follows. */
function counting(res: ProxyResponse, ended: (status: number) => void): ProxyResponse {
  if (res.kind === "close") {
    ended(res.logStatus);
    return res;
  }
  const done = res.done;
  return {
    ...res,
    done: () => {
      done?.();
      ended(res.status);
    },
  };
}

/**
 * The read phase over headers the platform parsed: nginx's line limits (the platform read the
 * bytes, so each line is measured as HTTP/1 would carry it), duplicates, Host, the methods
 * nginx refuses, and the framing. A body whose length the platform did not pass on is read as a
 * chunked one.
 */
function readHeaders(line: RequestHead, hasBody: boolean, rules: HeadRules, canUpgrade: boolean): RequestHead | { status: number } {
  const largeBuffer = rules.largeClientHeaderBuffers.size;
  // `GET / HTTP/1.1` and its CRLF must fit one large buffer (414), and so must each header line (494).
  if (line.method.length + line.target.length + 12 > largeBuffer) return { status: 414 };
  if (line.headers.length > rules.maxHeaders) return { status: 494 };
  const headersIn = new HeadersIn();
  for (const [name, value] of line.headers) {
    if (name.length + value.length + 4 > largeBuffer) return { status: 494 };
    const refusal = headersIn.add(name, value);
    if (refusal) return refusal;
  }
  const facts = headersIn.finish(line.method, line.httpVersion);
  if ("status" in facts) return facts;
  const framing = hasBody && facts.framing.kind === "none" ? { kind: "chunked" as const } : facts.framing;
  return facts.upgrade && canUpgrade ? { ...line, framing, upgrade: true } : { ...line, framing };
}

function toResponse(res: ProxyResponse, method: string, setup: FetchEntrySetup): Response {
  if (res.kind === "close") return new Response(null, { status: res.logStatus === 444 ? 444 : 400 });
  const log = setup.log;
  if (res.tunnel) return switchProtocols(res, res.tunnel, setup);
  const noBody = res.status === 204 || res.status === 304 || method === "HEAD";
  const payload =
    noBody || res.body === null
      ? null
      : res.body instanceof Uint8Array
        ? wholeBody(res.body, res.headers)
        : toReadableStream(res.body, res.done);
  if (!(payload instanceof ReadableStream) || res.body instanceof Uint8Array) res.done?.();
  // Pairs, not a Headers built here: the platform builds its own natively, duplicates kept.
  const safe = headersForClient(res.headers, log);
  const headers = res.contentLength !== null && !noBody ? [...safe, ["content-length", String(res.contentLength)]] : safe;
  return new Response(payload as ConstructorParameters<typeof Response>[0], {
    status: res.status,
    statusText: res.reason,
    headers: headers as [string, string][],
  });
}

/** The headers a platform's `Headers` would take: those with CR, LF or NUL are logged and left out. */
function headersForClient(headers: HeaderPairs, log: Logger): [string, string][] {
  return safeHeaders(headers, (name) => log.error(`header "${name}" was not sent to the client: its value holds CR, LF or NUL`));
}

/**
 * A 101 at the edge: the client gets one end of a new WebSocket pair, relayed to the upstream's;
 * the exchange is done (and logged) when the tunnel ends.
 */
function switchProtocols(res: Answer, tunnel: Tunnel, setup: FetchEntrySetup): Response {
  const upstream = tunnel.upstream;
  if (upstream.kind !== "platform" || setup.webSockets === null) {
    res.done?.();
    return new Response(null, { status: 502 });
  }
  const { client, server } = setup.webSockets.pair();
  relayWebSockets(server, upstream.webSocket as PlatformWebSocket, tunnel, () => res.done?.());
  return new Response(null, { status: 101, headers: headersForClient(res.headers, setup.log), webSocket: client } as ResponseInit);
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

/**
 * The request's body, and its client watched through `request.signal`, which the platform aborts
 * when the client goes away (Workers with `enable_request_signal`, Bun.serve, @hono/node-server):
 * a request waiting on an upstream is then dropped, as nginx does (499).
 */
function clientBody(request: Request): ClientBody {
  const stream: BodyStream = request.body ?? emptyBody();
  const signal = request.signal;
  return {
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    watchClient: (onGone) => {
      if (signal.aborted) {
        onGone();
        return () => {};
      }
      signal.addEventListener("abort", onGone, { once: true });
      return () => signal.removeEventListener("abort", onGone);
    },
  };
}

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
