export { MemoryFailureState } from "./balance/memory-failure-state.ts";
export {
  applyTransition,
  eventFamily,
  type PeerTransition,
  readTransition,
  TransitionLedger,
  transitionOf,
} from "./balance/peer-transition.ts";
export { SharedFailureState } from "./balance/shared-failure-state.ts";
export type {
  ActiveHealth,
  BodySpool,
  Capabilities,
  Clock,
  FailureReason,
  FailureState,
  FileTests,
  KeepalivePolicy,
  Logger,
  PeerEvent,
  PeerHealth,
  Resolver,
  SpoolFile,
  Transport,
  UpstreamRequest,
  UpstreamResult,
  UserFiles,
} from "./capabilities.ts";
export { ResolveFailure } from "./capabilities.ts";
export { type CompileOptions, compileConfig, compileConfigSync } from "./config/compile.ts";
export { ConfigError, type ConfigErrorCode, type SourceLocation } from "./config/errors.ts";
export type * from "./config/model.ts";
export type { Http2Settings } from "./config/modules/http2.ts";
export { type ProxySslSettings, proxySslKey } from "./config/modules/proxy-ssl.ts";
export type { CertificatePath, ConfigPath, ServerTlsSettings, SessionCache, TlsProtocol, VerifyClient } from "./config/modules/ssl.ts";
export { type ConfigSource, type Directive, parseConfig, parseConfigText } from "./config/parse.ts";
export { proxiesOverTls } from "./config/proxy-pass.ts";
export type { BodyStream, ClientBody, ConnectionInfo, HeaderPairs, ProxyResponse, RequestHead, RequestWire } from "./exchange.ts";
export { MalformedBodyError } from "./exchange.ts";
export { createExplainer, type Explanation } from "./explain/explain.ts";
export { type ExplainInput, explainInput } from "./explain/explain-request.ts";
export { renderExplanation } from "./explain/render-text.ts";
export { type ConnectionEnds, fetchConnection } from "./fetch-connection.ts";
export type { PlatformWebSocket, WebSocketPairs } from "./fetch-tunnel.ts";
export { createFetchTransport, type FetchTransportOptions } from "./forward/fetch-transport.ts";
export { REASON_PHRASES, statusResponse } from "./forward/status-page.ts";
export { type Compression, type GzipOptions, webCompression } from "./gzip/compression.ts";
export { ActiveHealthChecks, type Timers } from "./health/active-checks.ts";
export { Http1Transport } from "./http1/client.ts";
export {
  type ClientConnection,
  type Dialer,
  type DialFailure,
  describeError,
  type Http1Connection,
  IdleTimeoutError,
  type TlsOptions,
} from "./http1/connection.ts";
export { type FlowControl, type ReadableListener, ReadQueue } from "./http1/read-queue.ts";
export { type ClientLimits, Http1Server } from "./http1/server.ts";
export { type Http2Head, type Http2HeadOptions, http2RequestHead } from "./http2/request-head.ts";
export { type Http2Headers, hasNoBody, http2ResponseHeaders } from "./http2/response-head.ts";
export { type LimitReqFeed, ZonesByName } from "./limit/limit-req-feed.ts";
export { type LimitZones, MemoryLimitZones, SharedLimitZones, type ZoneIdentity } from "./limit/limit-zones.ts";
export type { AccessLogSink } from "./log/access-log.ts";
export { nextConnectionNumber } from "./log/connection-number.ts";
export { describeSocketError, linuxErrorText } from "./log/system-error.ts";
export { createProxy, type EdgeProxy } from "./proxy.ts";
export { createRouteCheck, type RouteCheck } from "./route/route-check.ts";
export { ANY_LISTEN } from "./route/server-select.ts";
export { AcceptedConnection } from "./status/accepted-connection.ts";
export type { CountedConnection } from "./status/connection-stats.ts";
export { MemoryCounters, type StatusCounters } from "./status/counters.ts";
export { Http2Counts } from "./status/http2-counts.ts";
export { SharedCounters } from "./status/shared-counters.ts";
export type { ClientCertificate, ClientVerify, TlsFacts } from "./tls/tls-facts.ts";
export { type AddressTls, TlsPlan } from "./tls/tls-plan.ts";
export { clientVerifyOf, describeVerifyError } from "./tls/verify-error.ts";
