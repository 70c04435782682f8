import type { BufferedBody } from "../buffer/read-body.ts";
import type { Clock } from "../capabilities.ts";
import type { ContentHandler, Location, ProxyPass, Server } from "../config/model.ts";
import type { BodyFraming, ConnectionInfo, HeaderPairs, RequestHead, RequestWire } from "../exchange.ts";
import type { RequestLog } from "../log/request-log.ts";
import type { StatusCounters } from "../status/counters.ts";
import type { RequestVariables } from "../variables/request-variables.ts";

/**
 * One upstream attempt, for the `$upstream_*` variables: where, with what status, and when
 * (ms since the epoch; null where it did not get that far).
 */
export interface UpstreamAttempt {
  readonly addr: string;
  status: number;
  /** Which `proxy_pass` of the request it belongs to (an error page's is the next): nginx writes ` : ` between them. */
  readonly group: number;
  readonly startMs: number;
  /** The connection was ready (`$upstream_connect_time`). */
  connectedMs: number | null;
  /** The response head was read (`$upstream_header_time`). */
  headerMs: number | null;
  /** The attempt ended: its body was read, or it failed (`$upstream_response_time`). */
  endMs: number;
  /** Body bytes read from the upstream (`$upstream_response_length`). */
  responseLength: number;
}

/** What happens to a request, filled in as it goes: what the access log reports. */
export interface Exchange {
  readonly startedMs: number;
  /** When the response was done; 0 until then. */
  endedMs: number;
  /** The time now, for the time variables read before the end (`$msec`, `$request_time`). */
  readonly clock: Clock;
  /** `$hostname`. */
  readonly hostname: string;
  status: number;
  bodyBytes: number;
  /** `$gzip_ratio`: body bytes before gzip over after; 0 when not compressed. */
  gzipRatio?: number;
  readonly upstreams: UpstreamAttempt[];
  /** `proxy_pass` runs so far: the group of the next attempts. */
  upstreamGroups: number;
  /** The last upstream response's headers (`$upstream_http_*`, `$upstream_cookie_*`); null before one. */
  upstreamHeaders: HeaderPairs | null;
  /** The response's headers as sent (`$sent_http_*`), once the output filters have them; its length. */
  sent: { readonly headers: HeaderPairs; readonly contentLength: number | null } | null;
}

/**
 * One request as the phases carry it (nginx's `ngx_http_request_t`): what was read, where it was
 * routed, and what the phases found on the way. Variables read it.
 */
export interface RequestContext {
  /** Filled in while the request runs; read by log-time variables. */
  readonly exchange: Exchange;
  readonly head: RequestHead;
  /** `$request_method` (`r->method_name`): the client's, or GET for an error page's internal redirect. */
  method: string;
  /** The client connection; the realip module replaces its address with the one a trusted proxy names. */
  connection: ConnectionInfo;
  /** The connection as it was before the realip module changed the address (`$realip_remote_addr`). */
  realipFrom?: ConnectionInfo;
  /** The process's status counters, which `$connections_*` read. */
  readonly counters: StatusCounters;
  readonly server: Server;
  /** `$uri`: the decoded, normalised path; a rewrite changes it. */
  uri: string;
  /** `$args`: the raw query string, without `?`; a rewrite or `set $args` changes it. */
  args: string;
  /** `$request_uri`: the raw path and query as the client sent them. */
  readonly requestUri: string;
  /** The raw path held a `%` escape: nginx re-escapes `$uri` when it sends it rewritten. */
  readonly isQuoted: boolean;
  /** `$host`: validated, lower-cased host, without port; the server's name when absent. */
  readonly host: string;
  /** The request named a host (Host or an absolute-form target): redirects are made absolute with it. */
  readonly hadHost: boolean;
  /** The raw path held a `+`: with `isQuoted`, the rewrite module escapes captures in arguments. */
  readonly hasPlus: boolean;
  /**
   * The configuration the request runs in (nginx's `r->loc_conf`): the location find-config
   * chose, or an `if` block of it the rewrite phase switched to; null at server level.
   */
  location: Location | null;
  /** The content handler the blocks set on the way (`r->content_handler`), or none. */
  handler: ContentHandler | null;
  /** The request's error log: the current block's, with nginx's context on each line. */
  readonly log: RequestLog;
  /** The location's `proxy_pass`, for `$proxy_host` / `$proxy_port`. */
  pass: ProxyPass | null;
  /**
   * A rewrite or an internal redirect changed the URI (`r->internal`): `internal` locations
   * take the request, and `$uri` goes upstream re-escaped instead of the client's bytes.
   */
  internal: boolean;
  /**
   * `$uri` and `$args` are still the client's request-target (`r->valid_unparsed_uri`): a
   * `proxy_pass` without a URI part sends the client's bytes. A rewrite or `set $args` ends it.
   */
  validUnparsedUri: boolean;
  /** An error page's status for the final response (`r->err_status`); 0 for none. */
  errStatus: number;
  /** An error page is being served: no other applies unless `recursive_error_pages` (`r->error_page`). */
  inErrorPage: boolean;
  /** The client connection closes after the response, whatever answers (`r->keepalive = 0` for 400, 500...). */
  closesConnection: boolean;
  /** Headers a special response keeps for the final one (`WWW-Authenticate` of an intercepted 401). */
  headersOut: HeaderPairs | null;
  /** The client body once read: an error page's upstream gets it again, as nginx re-sends `r->request_body`. */
  requestBody: ReadRequestBody | null;
  /** The client body was taken (read, or streamed upstream): a stream is not there a second time. */
  bodyUsed: boolean;
  /** What the HTTP/1 server knows of the request on its connection; null on the Fetch entry. */
  wire: RequestWire | null;
  /** `$request_id`, made on first read. */
  requestId?: string;
  /** nginx's `r->uri_changes`: 11, one less per rewrite cycle or internal redirect; 0 is the cycle error. */
  uriChanges: number;
  /**
   * `$uri` still starts with the location's name (`r->valid_location`): a `proxy_pass` URI part
   * replaces that name; after `rewrite ... break` the whole `$uri` goes as it is.
   */
  validLocation: boolean;
  /** A subrequest (`auth_request`): it skips the access phase, as nginx's do. */
  isSubrequest?: boolean;
  /** A subrequest's main request: the limits count a request once, in the main one's name. */
  main?: RequestContext;
  /** `$limit_req_status`: what `limit_req` decided (`PASSED`, `DELAYED`, `REJECTED` and the dry-run ones). */
  limitReqStatus?: string;
  /** `$limit_conn_status`. */
  limitConnStatus?: string;
  /** What to undo when the request ends (nginx's pool cleanups): `limit_conn` counts. */
  cleanups?: (() => void)[];
  /** The user variables' slots (`map`), made when the request first reads one. */
  variables?: RequestVariables;
  /** The last successful regex match of the request, read by `$1`..`$9` (nginx's `r->captures`). */
  captures?: RegExpExecArray | undefined;
  /** While the rewrite module evaluates arguments or a redirect: `$1`..`$9` are escaped (see captureGetter). */
  escapeCaptures?: boolean;
}

/** A client body as the proxy read it: kept for the request, released when its response is done. */
export interface ReadRequestBody {
  readonly buffered: BufferedBody;
  readonly framing: BodyFraming;
}

/** The first header value with this lower-case name, or undefined. */
export function findHeader(head: RequestHead, lowerName: string): string | undefined {
  for (const [name, value] of head.headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

/** Every value of a header, in arrival order. */
export function findHeaders(head: RequestHead, lowerName: string): string[] {
  const out: string[] = [];
  for (const [name, value] of head.headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) out.push(value);
  }
  return out;
}
