/**
 * HTTP/2 to clients: nginx 1.22's `ngx_http_v2_module` directives and `http2 on` from nginx
 * 1.25.1, which edgeproxy accepts so that one config serves both. What they tune is applied by
 * the platform's HTTP/2 server (adapters/node/http2-server.ts).
 */
import { type DirectiveSpec, HS, HSL, ignored, type Setter, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { Directive } from "../parse.ts";
import { parseFlag, parseNumber, parseSize } from "../values.ts";

/** The HTTP/2 settings of a block: fields of `Settings`. */
export interface Http2Settings {
  /** `http2 on` (nginx 1.25.1): HTTP/2 on this server's `listen ... ssl` addresses, as `listen ... http2`. */
  readonly http2: boolean;
  /** `http2_max_concurrent_streams`: streams a client may have open on one connection. Default 128. */
  readonly http2MaxConcurrentStreams: number;
  /** `http2_body_preread_size`: bytes of a request body a client may send before it is read (each stream's window). Default 64k. */
  readonly http2BodyPrereadSize: number;
  /** `http2_chunk_size`: the largest DATA frame edgeproxy sends. Default 8k. */
  readonly http2ChunkSize: number;
}

export const DEFAULT_HTTP2: Http2Settings = {
  http2: false,
  http2MaxConcurrentStreams: 128,
  http2BodyPrereadSize: 64 * 1024,
  http2ChunkSize: 8 * 1024,
};

/** What each obsolete directive gave way to (nginx 1.19.7); they load with nginx's warning. */
const OBSOLETE: Readonly<Record<string, string>> = {
  http2_idle_timeout: "keepalive_timeout",
  http2_max_requests: "keepalive_requests",
  http2_max_field_size: "large_client_header_buffers",
  http2_max_header_size: "large_client_header_buffers",
  http2_recv_timeout: "client_header_timeout",
};

const arg0 = (d: Directive): string => d.args[0] as string;
const invalid = (d: Directive, what: "number" | "value"): never => {
  throw new ConfigError("invalid-value", `"${d.name}" directive invalid ${what}`, d.at);
};
const obsolete = single(HS, 1, 1, (_own, d, env) =>
  env.warn(`the "${d.name}" directive is obsolete, use the "${OBSOLETE[d.name]}" directive instead in ${d.at.file}:${d.at.line}`),
);
const once = (set: Setter): DirectiveSpec => single(HS, 1, 1, set);

/** The module's directives. Server push (`http2_push*`) is accepted and not done, as nginx 1.25.1 dropped it. */
export const HTTP2_DIRECTIVES = {
  http2: once((own, d) => {
    own.http2 = parseFlag(arg0(d)) ?? invalid(d, "value");
  }),
  http2_max_concurrent_streams: once((own, d) => {
    own.http2MaxConcurrentStreams = parseNumber(arg0(d)) ?? invalid(d, "number");
  }),
  http2_body_preread_size: once((own, d) => {
    const bytes = parseSize(arg0(d)) ?? invalid(d, "value");
    // The largest window HTTP/2 allows (ngx_http_v2_preread_size()).
    if (bytes > 2 ** 31 - 1) throw new ConfigError("invalid-value", `the maximum body preread buffer size is ${2 ** 31 - 1}`, d.at);
    own.http2BodyPrereadSize = bytes;
  }),
  http2_chunk_size: single(HSL, 1, 1, (own, d) => {
    const bytes = parseSize(arg0(d)) ?? invalid(d, "value");
    if (bytes === 0) throw new ConfigError("invalid-value", "the http2 chunk size cannot be zero", d.at);
    own.http2ChunkSize = bytes;
  }),
  http2_recv_buffer_size: ignored(["http"], 1, 1),
  http2_streams_index_size: ignored(HS, 1, 1),
  http2_pool_size: ignored(HS, 1, 1),
  http2_max_concurrent_pushes: ignored(HS, 1, 1),
  http2_push: ignored(HSL, 1, 1, false),
  http2_push_preload: ignored(HSL, 1, 1),
  http2_idle_timeout: obsolete,
  http2_max_requests: obsolete,
  http2_max_field_size: obsolete,
  http2_max_header_size: obsolete,
  http2_recv_timeout: obsolete,
} satisfies Record<string, DirectiveSpec>;
