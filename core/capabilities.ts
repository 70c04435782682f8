import type { ErrorLogTarget, PeerAddress } from "./config/model.ts";
import type { BodyFraming, BodyStream, HeaderPairs, UpstreamTunnel } from "./exchange.ts";
import type { WebSocketPairs } from "./fetch-tunnel.ts";
import type { Cancel } from "./forward/cancel.ts";
import type { Compression } from "./gzip/compression.ts";
import type { TlsOptions } from "./http1/connection.ts";
import type { LimitReqFeed } from "./limit/limit-req-feed.ts";
import type { LimitZones } from "./limit/limit-zones.ts";
import type { AccessLogSink } from "./log/access-log.ts";
import type { UpstreamStage } from "./log/upstream-errors.ts";
import type { StatusCounters } from "./status/counters.ts";

/** What an adapter gives the core: the things only its platform has. */
export interface Capabilities {
  /** One request to one peer (TCP, TLS, unix), with timeouts. */
  readonly transport: Transport;
  /** Passive health of every peer: read synchronously by the balancers (see FailureState). */
  readonly failures: FailureState;
  /** Large request bodies; null where the platform has no files (bodies then stay in memory). */
  readonly spool: BodySpool | null;
  readonly clock: Clock;
  /** The main `error_log`. */
  readonly log: Logger;
  /**
   * A logger for an `error_log` set in http, server or location, opened at load (not per
   * request); without it, those lines go to `log`.
   */
  readonly openLog?: (target: ErrorLogTarget) => Logger;
  /** Where `access_log` lines go; without it, access logging is off. */
  readonly accessLog?: AccessLogSink;
  /** `$hostname`: the machine's name; empty where the platform has none. */
  readonly hostname?: string;
  /** Most upstream attempts one request may make (a platform's subrequest limit); none by default. */
  readonly maxAttemptsPerRequest?: number;
  /**
   * Where the platform owns client connections and speaks WebSocket (Workers), how it pairs
   * them: the Fetch entry's tunnels. Without it, the Fetch entry runs no tunnels.
   */
  readonly webSockets?: WebSocketPairs;
  /** The file system `if (-f ...)` tests; absent where there is none (such configs are refused at load). */
  readonly files?: FileTests;
  /**
   * The status counters (connections, requests, peers) that `stub_status`, `$connections_*` and
   * the metrics pages read, kept across reloads; an adapter's HTTP/1 server counts its
   * connections in the same object. Without it, the proxy counts in memory of its own.
   */
  readonly counters?: StatusCounters;
  /**
   * Memory for the `limit_req` and `limit_conn` zones, kept across reloads and shared where the
   * platform shares it; without it each proxy keeps its own (a reload forgets the counts).
   */
  readonly limitZones?: LimitZones;
  /** Where the requests `limit_req` counts also go (`edgeproxy_state`: the other servers); without it, nowhere. */
  readonly limitReqFeed?: LimitReqFeed | undefined;
  /**
   * Files a request reads (`auth_basic_user_file`), as nginx reads them on each request; on
   * Workers the ones bundled with the config. Without it, every such file is missing.
   */
  readonly userFiles?: UserFiles;
  /** How responses are gzipped (`gzip on`); without it, the web's CompressionStream. */
  readonly compression?: Compression;
  /**
   * Asks the `resolver` servers for a name at request time (`proxy_pass` with variables);
   * absent: names are not resolved, as nginx without `resolver`.
   */
  readonly resolver?: Resolver;
}

/** Files read on the request path, synchronously, as nginx reads them. */
export interface UserFiles {
  /**
   * The whole file as a byte string (one char per byte), or why it cannot be read in nginx's
   * words (`open() "/path" failed (13: Permission denied)`); `missing` when it does not exist.
   */
  read(path: string): { readonly text: string } | { readonly error: string; readonly missing: boolean };
}

/** A DNS lookup as nginx's resolver makes it, for the name a `proxy_pass` with variables evaluated to. */
export interface Resolver {
  /**
   * The addresses of `name` (A records, and AAAA with `ipv6`) asked of `servers` (`host:port`,
   * IPv6 in brackets), with the answer's smallest TTL in seconds. Fails with a ResolveFailure.
   */
  resolve(
    name: string,
    servers: readonly string[],
    options: { readonly timeoutMs: number; readonly ipv4: boolean; readonly ipv6: boolean },
  ): Promise<{ readonly addresses: readonly string[]; readonly ttlSec: number }>;
}

/** Why a name could not be resolved, in nginx's resolver codes and words (`ngx_resolver_strerror()`). */
export class ResolveFailure extends Error {
  /** 1 format error, 2 server failure, 3 host not found, 4 unimplemented, 5 refused, 110 timed out. */
  readonly code: number;
  constructor(code: number, reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "ResolveFailure";
    this.code = code;
  }
}

/** What the rewrite module's `-f`, `-d`, `-e`, `-x` read of a path. */
export interface FileTests {
  /**
   * What the path is, following links as nginx's `stat()` does; null when it does not exist
   * (or cannot be reached). Synchronous, as nginx's own test is.
   */
  stat(path: string): { readonly isFile: boolean; readonly isDir: boolean; readonly isExec: boolean } | null;
}

/** One attempt to one peer, as the transport sends it. */
export interface UpstreamRequest {
  readonly peer: PeerAddress;
  /** TLS settings for `https://` upstreams; null for plain HTTP. */
  readonly tls: TlsOptions | null;
  readonly method: string;
  readonly target: string;
  readonly httpVersion: "1.0" | "1.1";
  /** The complete header block, in order, `Host` and framing headers included. */
  readonly headers: HeaderPairs;
  /** The body to send: whole bytes, a stream (a spooled file is read from its first byte), or none. */
  readonly body: Uint8Array | BodyStream | null;
  /** How the body goes, as the `Content-Length` or `Transfer-Encoding` in `headers` says. */
  readonly framing: BodyFraming;
  /**
   * `proxy_buffering`: the transport may read a response body ahead of the client, and hand a
   * small one on whole (one write to the client, as nginx's buffers make it).
   */
  readonly buffering: boolean;
  /** `proxy_buffer_size`: a longer response head is `invalid_header`. */
  readonly maxHeaderBytes: number;
  /** Cache the connection for reuse afterwards (upstream `keepalive`); null closes it. */
  readonly keepalive: KeepalivePolicy | null;
  readonly connectTimeoutMs: number;
  /** Longest pause between two successful writes. */
  readonly sendTimeoutMs: number;
  /** Longest pause between two successful reads, from the end of the request on. */
  readonly readTimeoutMs: number;
  /** Set when the client left: the attempt is dropped and its connection closed (nginx's 499). */
  readonly cancel?: Cancel;
  /** The location's error log, for what the exchange notices on the way (an upstream sending too much). */
  readonly log?: Logger;
  /** Called once the connection to the peer is ready (dialed, or taken from the cache): `$upstream_connect_time`. */
  readonly connected?: () => void;
  /** The client asked for an upgrade: a 101 answer becomes a tunnel; without it a 101 is refused. */
  readonly upgrade?: boolean;
}

/** An upstream's `keepalive` settings (docs/nginx-semantics.md 4.4). */
export interface KeepalivePolicy {
  /** Connections of one upstream share one cache. */
  readonly poolKey: string;
  /** `keepalive N`: idle connections kept, the oldest closed first. */
  readonly maxIdle: number;
  /** `keepalive_requests`. */
  readonly maxRequests: number;
  /** `keepalive_timeout`: idle time in the cache. */
  readonly idleTimeoutMs: number;
  /** `keepalive_time`: a connection's whole life. */
  readonly maxAgeMs: number;
}

/** Why an attempt failed, in nginx's `proxy_next_upstream` tokens. */
export type FailureReason = "error" | "timeout" | "invalid_header";

/** The outcome of one attempt: a response head with its body, or a failure as a value. */
export type UpstreamResult =
  | {
      readonly kind: "response";
      readonly status: number;
      readonly reason: string;
      /** The upstream's headers as received (framing ones included: the core drops them). */
      readonly headers: HeaderPairs;
      /**
       * The body: a stream, whose errors (a reset, a read timeout) end it with an error, or the
       * whole bytes when the transport read them ahead (`buffering`).
       */
      readonly body: BodyStream | Uint8Array;
      /**
       * What the body's framing said of its length: the exact size of a length-framed body, or
       * the size a bodiless answer (HEAD, 304) declared; null when the body is chunked, ends
       * with the connection, or has no length (204).
       */
      readonly contentLength: number | null;
      /** The upstream switched protocols (101, asked for): the tunnel's far end, never cached. */
      readonly tunnel?: UpstreamTunnel;
      /** `proxy_buffering` holds for this response (the upstream's `X-Accel-Buffering: no` turns it off). */
      readonly buffering?: boolean;
      /** Drops the response and its connection (the body will not be read). */
      readonly discard: () => void;
    }
  | {
      readonly kind: "failed";
      readonly reason: FailureReason;
      /** nginx's error-log message for it, without the action: `connect() failed (111: Connection refused)`. */
      readonly detail: string;
      /** Where the attempt was: the action nginx's line ends with. */
      readonly stage: UpstreamStage;
      /** Whether any byte of the request reached the connection (decides non-idempotent retries). */
      readonly requestSent: boolean;
      /**
       * The attempt ran on a connection from the keepalive cache: nginx does not use up a try
       * for an `error` there (`u->peer.cached` in `ngx_http_upstream_next()`).
       */
      readonly cached?: boolean;
    };

/** Sends requests to upstream peers. */
export interface Transport {
  request(req: UpstreamRequest): Promise<UpstreamResult>;
}

/** A body kept on the platform's disk; read back as often as retries need. */
export interface SpoolFile {
  write(chunk: Uint8Array): Promise<void>;
  /** A fresh stream over the whole body, from its first byte. */
  read(): BodyStream;
  /** Up to `length` bytes from `position` (fewer at the end of what was written). */
  readAt(position: number, length: number): Promise<Uint8Array>;
  /** Removes the file; safe to call twice. */
  discard(): Promise<void>;
}

/** Where request bodies above `client_body_buffer_size`, and buffered responses beyond `proxy_buffers`, go. */
export interface BodySpool {
  /** A new empty file in `dir` (`client_body_temp_path`, `proxy_temp_path`) or the platform's temp directory. */
  create(dir: string | null): Promise<SpoolFile>;
}

/**
 * What active health checks (nginx Plus's `health_check`) say of a peer: `up` (also when no
 * check is configured), `unhealthy` after `fails` failed checks until `passes` pass, or
 * `checking` until the first check of a `mandatory` one completes. Requests go only to `up`.
 */
export type ActiveHealth = "up" | "unhealthy" | "checking";

/**
 * One peer's health record: passive health as nginx keeps it (docs/nginx-semantics.md 2.3,
 * 2.5), and the active checks' verdict beside it, as nginx Plus keeps both in its zone. Times
 * are whole seconds since the epoch, as nginx's `ngx_time()`.
 */
export interface PeerHealth {
  /** Failures counted since the last reset. */
  fails: number;
  /** When the peer last failed. */
  accessed: number;
  /** When the peer last failed or was last chosen after its `fail_timeout` had passed. */
  checked: number;
  /** The active health checks' verdict; `up` where there are none. */
  active: ActiveHealth;
}

/**
 * A change of a peer's health that other processes should learn: passive (`unavailable` when
 * `fails` reached `max_fails`, `recovered` when it went back to 0) or active (`unhealthy`,
 * `healthy`, as the checks decide).
 */
export type PeerEvent = "unavailable" | "recovered" | "unhealthy" | "healthy";

/**
 * Where peer health lives. The balancers read and update records synchronously on the request
 * path, so a store hands out plain mutable records, one per peer key, the same object every
 * time (a reload that keeps a peer keeps its record). Stores that share state elsewhere
 * (Workers KV) persist on `changed` and merge what others wrote into the records off the
 * request path; a store whose backend fails keeps working on its local records.
 *
 * Peer keys are stable across reloads: `upstream name|address|n`, n counting repeats.
 */
export interface FailureState {
  /** The record for a peer, created (all zero) on first use. Called at load, not per request. */
  peer(key: string): PeerHealth;
  /**
   * The core changed a record in a way other processes should learn (see PeerEvent).
   * Per-request counting in between is not reported. Must not throw or block.
   */
  changed(key: string, health: Readonly<PeerHealth>, event: PeerEvent): void;
  /**
   * Takes in now what other processes wrote, for a status page about to show the records (a
   * store that shares state elsewhere; the others' records are the state already). Never rejects.
   */
  refresh?(): Promise<void>;
  /**
   * A store that reads through a shared backend before balancing (a Durable Object, for
   * isolates that must agree at once) brings these peers' records up to date; null when it
   * has nothing to do. Stores that learn off the request path leave it out.
   */
  readThrough?(keys: readonly string[]): Promise<void> | null;
}

/** Wall-clock time, so tests can control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** nginx's error_log levels that edgeproxy writes. */
export interface Logger {
  /** A broken invariant of the configuration met by a request (nginx's "no upstream configuration"). */
  alert(message: string): void;
  /** Conditions that stop service in part, such as running out of file descriptors. */
  crit(message: string): void;
  error(message: string): void;
  warn(message: string): void;
  /** What `rewrite_log` reports. */
  notice(message: string): void;
  info(message: string): void;
}
