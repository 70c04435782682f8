import type { Logger } from "./capabilities.ts";
import type { Http1Connection } from "./http1/connection.ts";
import type { TlsFacts } from "./tls/tls-facts.ts";

/**
 * The plain data the core works on (DESIGN.md, "The Fetch API at the boundary"): no `Request`
 * or `Response` objects, so header order, name case and duplicates survive the trip.
 */

/** Header fields as received or to be sent: ordered `[name, value]` pairs, case kept. */
export type HeaderPairs = [name: string, value: string][];

/** How a message body is delimited (RFC 9112 §6.3). */
export type BodyFraming = { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" };

/** A request as it arrived from the client, before any interpretation. */
export interface RequestHead {
  readonly method: string;
  /** The raw request-target (`/a%20b?x=1` or absolute-form `http://h/p`). */
  readonly target: string;
  /** `"1.0"` or `"1.1"`. */
  readonly httpVersion: string;
  readonly headers: HeaderPairs;
  /** The request line as received, when the adapter could not split it (logged as `$request`). */
  readonly requestLine?: string;
  /**
   * How the body is framed, decided once by whoever read the head: the HTTP/1 parser
   * (core/http1/headers-in.ts), or a Fetch platform's own. Nothing else reads `Content-Length`
   * or `Transfer-Encoding`.
   */
  readonly framing: BodyFraming;
  /**
   * The client sent `Upgrade` (nginx's `r->headers_in.upgrade`): an upstream's 101 may turn the
   * connection into a tunnel. Absent means it did not.
   */
  readonly upgrade?: boolean;
}

/**
 * The far end of an upgraded connection (101): the upstream connection with the bytes already
 * read after its head, or, where the platform owns connections (Workers), its WebSocket.
 */
export type UpstreamTunnel =
  | { readonly kind: "connection"; readonly connection: Http1Connection; readonly first: Uint8Array }
  | { readonly kind: "platform"; readonly webSocket: unknown };

/** A tunnel to run once its 101 is sent: the upstream end, nginx's timeouts, and where bytes are counted. */
export interface Tunnel {
  readonly upstream: UpstreamTunnel;
  /** `proxy_read_timeout`: the tunnel closes after this long with no byte either way. */
  readonly readTimeoutMs: number;
  /** `proxy_send_timeout`: the longest an upstream write may wait. */
  readonly sendTimeoutMs: number;
  /** Bytes sent to the client (`$body_bytes_sent`) and to the upstream. */
  counted(toClient: number, toUpstream: number): void;
}

/**
 * What the HTTP/1 server knows of one request on its connection, for `$connection`,
 * `$connection_requests`, `$pipe` and `$request_length`. The Fetch entry has none.
 */
export interface RequestWire {
  /** The connection's serial number in this process (nginx counts its upstream connections too). */
  readonly connection: number;
  /** Requests on the connection so far, this one included. */
  readonly requests: number;
  /** The request arrived with the one before it (`$pipe` is `p`). */
  readonly pipelined: boolean;
  /** Bytes of its request line and headers. */
  readonly headBytes: number;
  /** Bytes of its body read so far, chunk framing included. */
  readonly bodyBytes: () => number;
  /** When the connection was accepted (ms since the epoch), for `keepalive_time`. */
  readonly connectedMs?: number;
}

/** Facts about the client connection, supplied by the adapter. */
export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listening socket's key as in the config model (`127.0.0.1:8080`, `*:8080`, `unix:/p`). */
  readonly listenKey: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly isTls: boolean;
  /** The connection's number, counted from 1 by the process (nginx's `*N` in the error log). */
  readonly id?: number;
  /** The TLS connection's facts, where the adapter terminated TLS itself (`$ssl_*`); absent otherwise. */
  readonly tls?: TlsFacts;
  /**
   * The address expects TLS and the client spoke plain HTTP: its request is read and answered
   * with nginx's 497 page (400, "The plain HTTP request was sent to HTTPS port").
   */
  readonly isPlainOnTlsPort?: boolean;
}

/** A stream of body bytes: Node streams and web `ReadableStream`s both are one. */
export type BodyStream = AsyncIterable<Uint8Array>;

/**
 * A client body. An adapter that reads ahead may say whether the whole body came with the
 * head: nginx sends such a "preread" body buffered even when streaming was asked for
 * (docs/nginx-semantics.md 5.8).
 */
export type ClientBody = BodyStream & {
  readonly isPrereadComplete?: () => Promise<boolean>;
  /**
   * Calls `onGone` if the client closes or resets its connection (with nothing of it left
   * unread), until the returned function is called: while a request waits on an upstream, nginx
   * then drops the upstream request and logs 499 (docs/nginx-semantics.md 8). An adapter whose
   * platform cannot tell leaves this out.
   */
  readonly watchClient?: (onGone: () => void) => () => void;
};

/** A client body's framing was broken (a bad chunk): its stream ends with this, and nginx answers 400. */
export class MalformedBodyError extends Error {
  constructor(detail: string) {
    super(`client sent invalid chunked body: ${detail}`);
    this.name = "MalformedBodyError";
  }
}

/**
 * The client-connection settings of the location that answers (nginx reads them from the
 * request's final `loc_conf`): how long the connection idles after the response, whether
 * `Keep-Alive: timeout=N` goes with it, how long a write may wait, whether a response of unknown
 * length may go chunked. Keep-alive itself is decided by the core (`closeConnection`).
 */
export interface ClientSettings {
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveHeaderSec: number | null;
  readonly sendTimeoutMs: number;
  readonly chunked: boolean;
}

/** What the client gets: a head and a body, or a silent close (nginx's 408 and 499). */
export type ProxyResponse =
  | {
      readonly kind: "response";
      readonly status: number;
      /** The reason phrase to send; upstream's own when relayed. */
      readonly reason: string;
      /**
       * The headers to send, `Server` first. Never the framing ones (`Content-Length`,
       * `Transfer-Encoding`, `Connection`): the HTTP/1 writer frames every response itself.
       */
      readonly headers: HeaderPairs;
      /** Bytes are sent with a `Content-Length` of their size; a stream as it comes. */
      readonly body: BodyStream | Uint8Array | null;
      /**
       * For a stream or no body: the `Content-Length` to send, the exact size of the stream, or
       * for a bodiless answer (HEAD, 304) the size the full answer has; null when unknown (the
       * stream then goes chunked, or ends with the connection).
       */
      readonly contentLength: number | null;
      /** A 101 the client asked for: after the head, bytes go both ways until either side closes. */
      readonly tunnel?: Tunnel;
      /**
       * `add_trailer`: lines evaluated once the body is sent. The body then goes chunked to an
       * HTTP/1.1 client (nginx drops the length for them), the lines in its last chunk.
       */
      readonly trailers?: () => HeaderPairs;
      /** Close the client connection after this response (nginx does after 400, 413, ...). */
      readonly closeConnection: boolean;
      /** Called once the response is written or abandoned: releases spool files, sockets. */
      readonly done?: () => void;
      /** The request's error log, for what happens while the response is written (a client that times out). */
      readonly log?: Logger;
      /** The client settings of the block that answered; without them, the connection's. */
      readonly client?: ClientSettings;
    }
  | { readonly kind: "close"; readonly logStatus: number };
