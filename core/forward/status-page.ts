import type { HeaderPairs, ProxyResponse } from "../exchange.ts";

/** nginx's own reason phrases (`ngx_http_header_filter_module.c`). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Moved Temporarily",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Not Allowed",
  406: "Not Acceptable",
  408: "Request Time-out",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Request Entity Too Large",
  414: "Request-URI Too Large",
  415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable",
  421: "Misdirected Request",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out",
  505: "HTTP Version Not Supported",
  507: "Insufficient Storage",
};

/** `return` codes whose argument is a URL for `Location` (`ngx_http_rewrite_return`). */
export const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Where the page title differs from the status line (`ngx_http_special_response.c`). */
const PAGE_TITLES: Readonly<Record<number, string>> = { 302: "Found", 401: "Authorization Required" };

/** Statuses after which nginx closes the client connection (`ngx_http_special_response_handler`). */
const CLOSING = new Set([400, 413, 414, 494, 495, 496, 497, 500, 501]);

/**
 * nginx's own 4xx codes, sent as 400 with a page that says what went wrong
 * (`ngx_http_error_494_page` ... `ngx_http_error_497_page`).
 */
const SENT_AS_400: Readonly<Record<number, string>> = {
  494: "Request Header Or Cookie Too Large",
  495: "The SSL certificate error",
  496: "No required SSL certificate was sent",
  497: "The plain HTTP request was sent to HTTPS port",
};

const encoder = new TextEncoder();
const PAGES = new Map<number, Uint8Array>();

/** The small HTML page nginx sends for an error or redirect it produces itself. */
function page(status: number): Uint8Array {
  let bytes = PAGES.get(status);
  if (!bytes) {
    const line = `${status} ${PAGE_TITLES[status] ?? REASON_PHRASES[status] ?? ""}`.trim();
    const why = SENT_AS_400[status];
    const html =
      why !== undefined
        ? `<html>\r\n<head><title>400 ${why}</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>${why}</center>\r\n<hr><center>edgeproxy</center>\r\n</body>\r\n</html>\r\n`
        : `<html>\r\n<head><title>${line}</title></head>\r\n<body>\r\n<center><h1>${line}</h1></center>\r\n<hr><center>edgeproxy</center>\r\n</body>\r\n</html>\r\n`;
    bytes = encoder.encode(html);
    PAGES.set(status, bytes);
  }
  return bytes;
}

/** A response edgeproxy produces itself: nginx's page for the status, plus any extra headers. */
export function statusResponse(status: number, extra: HeaderPairs = []): ProxyResponse {
  const body = page(status);
  // nginx's own 494-497 go out as 400 (ngx_http_special_response_handler).
  const sent = SENT_AS_400[status] === undefined ? status : 400;
  return {
    kind: "response",
    status: sent,
    reason: REASON_PHRASES[sent] ?? "",
    headers: [["Server", "edgeproxy"], ["Content-Type", "text/html"], ...extra],
    body,
    contentLength: body.byteLength,
    closeConnection: CLOSING.has(status),
  };
}

/** `return CODE text`: the text as the body, typed by `default_type`. */
export function textResponse(status: number, text: string, contentType: string): ProxyResponse {
  // Config text is a byte string (one char per byte): send those bytes, not their UTF-8.
  const body = Uint8Array.from(text, (c) => c.charCodeAt(0));
  return {
    kind: "response",
    status,
    reason: REASON_PHRASES[status] ?? "",
    headers: [
      ["Server", "edgeproxy"],
      ["Content-Type", contentType],
    ],
    body,
    contentLength: body.byteLength,
    closeConnection: false,
  };
}

/** `return 204`: the status line and `Server`, no type, no body (`ngx_http_send_response()`). */
export function noContent(): ProxyResponse {
  return {
    kind: "response",
    status: 204,
    reason: REASON_PHRASES[204] as string,
    headers: [["Server", "edgeproxy"]],
    body: null,
    contentLength: null,
    closeConnection: false,
  };
}
