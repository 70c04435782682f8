import type { Settings } from "../config/model.ts";
import type { BodyStream, HeaderPairs, ProxyResponse } from "../exchange.ts";
import { acceptsGzip } from "../gzip/accept-gzip.ts";
import type { GzipOptions } from "../gzip/compression.ts";
import type { RequestContext } from "../shape/request-context.ts";
import type { ProxyPlan } from "./plan.ts";

/** The statuses nginx compresses (`ngx_http_gzip_header_filter()`). */
const COMPRESSED_STATUSES: ReadonlySet<number> = new Set([200, 403, 404]);

/**
 * The gzip filter, after the headers filter (ngx_http_gzip_filter_module): a 200, 403 or 404
 * without a `Content-Encoding`, of a type in `gzip_types`, not shorter than `gzip_min_length`,
 * is a candidate (`Vary: Accept-Encoding` with `gzip_vary`); when the client takes gzip, its
 * body is compressed and its length dropped (it goes chunked), its `Accept-Ranges` dropped and
 * a strong `ETag` made weak. A HEAD answer gets the same headers, as nginx decides before it
 * knows the body is not sent.
 */
export function gzipFilter(plan: ProxyPlan, r: RequestContext, response: ProxyResponse, nowMs: number): ProxyResponse {
  // Where the platform compresses (Workers), it alone knows the client's Accept-Encoding.
  if (response.kind !== "response" || plan.compression === "platform") return response;
  const settings = (r.location ?? r.server).settings;
  if (!settings.gzip || !COMPRESSED_STATUSES.has(response.status)) return response;
  const headers = response.headers;
  if (headers.some(([n, v]) => v !== "" && n.toLowerCase() === "content-encoding")) return response;
  const length = response.body instanceof Uint8Array ? response.body.byteLength : response.contentLength;
  if (length !== null && length < settings.gzipMinLength) return response;
  if (!isCompressedType(headers, settings.gzipTypes)) return response;
  const vary: HeaderPairs = settings.gzipVary ? [["Vary", "Accept-Encoding"]] : [];
  if (r.isSubrequest || !acceptsGzip(r.head, headers, settings, Math.floor(nowMs / 1000))) {
    return vary.length > 0 ? { ...response, headers: [...headers, ...vary] } : response;
  }
  const out: HeaderPairs = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "accept-ranges") continue;
    out.push(lower === "etag" && value.startsWith('"') ? [name, `W/${value}`] : [name, value]);
  }
  out.push(...vary, ["Content-Encoding", "gzip"]);
  const body = response.body;
  const compression = plan.compression;
  if (body === null) return { ...response, headers: out, contentLength: null };
  const input = body instanceof Uint8Array ? once(body) : body;
  const options = gzipOptions(settings, length);
  const counted = countedRatio(r, input, (source) => compression.gzip(source, options));
  return { ...response, headers: out, body: counted, contentLength: null };
}

/** Whether the response's type is one `gzip_types` lists (`ngx_http_test_content_type()`). */
function isCompressedType(headers: HeaderPairs, types: Settings["gzipTypes"]): boolean {
  if (types === "*") return true;
  const value = headers.find(([n]) => n.toLowerCase() === "content-type")?.[1];
  if (value === undefined || value === "") return false;
  return types.has(mediaType(value).toLowerCase());
}

/**
 * The part of a Content-Type nginx matches (`ngx_http_upstream_copy_content_type()`): up to
 * the `;` before a `charset=` parameter; a type with other parameters only is matched whole.
 */
function mediaType(value: string): string {
  for (let at = value.indexOf(";"); at >= 0; at = value.indexOf(";", at + 1)) {
    const rest = value.slice(at + 1).trimStart();
    if (rest.slice(0, 8).toLowerCase() === "charset=") return value.slice(0, at);
  }
  return value;
}

/**
 * zlib's window and memory for this body (`ngx_http_gzip_filter_memory()`): a short body of
 * known length gets a smaller window, as nginx sizes it.
 */
function gzipOptions(settings: Settings, length: number | null): GzipOptions {
  let windowBits = settings.gzipWindowBits;
  let memLevel = settings.gzipMemLevel;
  if (length !== null && length > 0) {
    // The window zlib really uses is 262 bytes smaller.
    while (length < 2 ** (windowBits - 1) - 262 && windowBits > 9) {
      windowBits--;
      memLevel--;
    }
    memLevel = Math.max(memLevel, 1);
  }
  return { level: settings.gzipCompLevel, windowBits, memLevel };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The compressed body, its sizes in and out counted for `$gzip_ratio`. */
async function* countedRatio(
  r: RequestContext,
  input: BodyStream,
  compress: (source: BodyStream) => BodyStream,
): AsyncGenerator<Uint8Array> {
  const exchange = r.exchange;
  let bytesIn = 0;
  let bytesOut = 0;
  async function* measured(): AsyncGenerator<Uint8Array> {
    for await (const chunk of input) {
      bytesIn += chunk.byteLength;
      yield chunk;
    }
  }
  for await (const chunk of compress(measured())) {
    bytesOut += chunk.byteLength;
    exchange.gzipRatio = bytesOut > 0 ? bytesIn / bytesOut : 0;
    yield chunk;
  }
}
