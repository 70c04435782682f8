import { TOKEN_PLACEHOLDER } from "./ledger.ts";

/**
 * The upstream response seeds: each one an answer a backend may give that a proxy could read two
 * ways, or read to the wrong end and leave bytes on a pooled connection. `~T########~` is filled
 * with a token meant for the client that asked (the case's first client); bytes after the end of
 * a response carry such tokens too, so a later client that gets them is caught.
 */

/** What the case's first client sends: a plain request, or one whose method or version shapes the answer. */
export type FirstRequest = "get" | "get-close" | "head" | "post" | "upgrade" | "http10";

export const FIRST_REQUESTS: Readonly<Record<FirstRequest, string>> = {
  get: "GET /fz/first HTTP/1.1\r\nHost: fuzz\r\n\r\n",
  "get-close": "GET /fz/first HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n",
  head: "HEAD /fz/first HTTP/1.1\r\nHost: fuzz\r\n\r\n",
  post: "POST /fz/first HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 5\r\n\r\nhello",
  upgrade: "GET /fz/first HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
  http10: "GET /fz/first HTTP/1.0\r\n\r\n",
};

/** The later client of every response case: a fresh connection, an ordinary request. */
export const SECOND_REQUEST = "GET /fz/second HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";

/** One response seed: bytes in order (each after its delay), whether the backend closes after them, and the first request if it matters. */
export interface ResponseSeed {
  readonly name: string;
  readonly segments: readonly { readonly text: string; readonly delayMs: number }[];
  readonly close: boolean;
  readonly first?: FirstRequest;
}

const T = TOKEN_PLACEHOLDER;
/** A complete response a later client must never receive: 12 bytes of body, the token and a newline. */
export const POISON = `HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-Poison: ${T}\r\n\r\n${T}\n`;
const OK_HEAD = "HTTP/1.1 200 OK\r\n";
const TOKEN_BODY = `${T}\n`;
/** How long after the response the late bytes of an `idle/` seed arrive: the connection idles in the pool by then. */
const LATER_MS = 50;

type Shape = Omit<ResponseSeed, "name" | "segments"> & { readonly later?: string };

const seed = (name: string, text: string, shape: Shape = { close: false }): ResponseSeed => ({
  name,
  segments:
    shape.later === undefined
      ? [{ text, delayMs: 0 }]
      : [
          { text, delayMs: 0 },
          { text: shape.later, delayMs: LATER_MS },
        ],
  close: shape.close,
  ...(shape.first ? { first: shape.first } : {}),
});

const chunkedBody = `c\r\n${TOKEN_BODY}\r\n0\r\n\r\n`;
const withLength = (headers: string, body = TOKEN_BODY): string => `${OK_HEAD}${headers}Content-Length: ${body.length}\r\n\r\n${body}`;
const withHeaders = (headers: string): string => `${OK_HEAD}${headers}\r\n`;

/** Every response seed, in a fixed order. */
export const RESPONSE_SEEDS: readonly ResponseSeed[] = [
  seed("normal/length", withLength("")),
  seed("normal/chunked", `${withHeaders("Transfer-Encoding: chunked\r\n")}${chunkedBody}`),
  seed("normal/until-close", `${withHeaders("")}${TOKEN_BODY}`, { close: true }),
  seed("normal/http10-keepalive", `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}`),
  seed("normal/connection-close", withLength("Connection: close\r\n"), { close: false }),

  seed("overlong/body-longer-than-length", `${withHeaders("Content-Length: 5\r\n")}hello${POISON}`),
  seed("overlong/after-last-chunk", `${withHeaders("Transfer-Encoding: chunked\r\n")}${chunkedBody}${POISON}`),
  seed(
    "overlong/after-trailers",
    `${withHeaders("Transfer-Encoding: chunked\r\n")}c\r\n${TOKEN_BODY}\r\n0\r\nX-Trailer: 1\r\n\r\n${POISON}`,
  ),
  seed("overlong/length-and-chunked", `${withHeaders("Content-Length: 17\r\nTransfer-Encoding: chunked\r\n")}${chunkedBody}${POISON}`),
  seed("overlong/chunked-and-length", `${withHeaders("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n")}${chunkedBody}${POISON}`),
  seed("overlong/two-chunked", `${withHeaders("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")}${chunkedBody}${POISON}`),
  seed(
    "overlong/gzip-then-chunked-headers",
    `${withHeaders("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")}${chunkedBody}${POISON}`,
  ),
  seed("overlong/chunked-identity", `${withHeaders("Transfer-Encoding: chunked, identity\r\n")}${chunkedBody}${POISON}`),
  seed("overlong/te-identity", `${withHeaders("Transfer-Encoding: identity\r\nContent-Length: 12\r\n")}${TOKEN_BODY}${POISON}`),
  seed("overlong/te-xchunked", `${withHeaders("Transfer-Encoding: xchunked\r\n")}${chunkedBody}${POISON}`),
  seed("overlong/two-lengths-different", `${withHeaders("Content-Length: 5\r\nContent-Length: 12\r\n")}hello${POISON}`),
  seed("overlong/two-lengths-equal", `${withHeaders("Content-Length: 12\r\nContent-Length: 12\r\n")}${TOKEN_BODY}${POISON}`),
  seed("overlong/length-list", `${withHeaders("Content-Length: 12, 12\r\n")}${TOKEN_BODY}${POISON}`),
  seed("overlong/length-plus", `${withHeaders("Content-Length: +12\r\n")}${TOKEN_BODY}${POISON}`),
  seed("overlong/length-space-before-colon", `${withHeaders("Content-Length : 5\r\n")}hello${POISON}`),
  seed("overlong/204-with-body", `HTTP/1.1 204 No Content\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("overlong/304-with-body", `HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("overlong/head-with-body", `${withLength("")}${POISON}`, { close: false, first: "head" }),
  seed("overlong/chunk-data-longer", `${withHeaders("Transfer-Encoding: chunked\r\n")}5\r\nhello${POISON}\r\n0\r\n\r\n`),

  seed("invalid/bare-cr-in-value", `${withLength("X-A: a\rb\r\n")}${POISON}`),
  seed("invalid/bare-cr-ending-value", `${withLength("X-A: a\r\r\n")}${POISON}`),
  seed("invalid/nul-in-value", `${withLength("X-A: a\0b\r\n")}${POISON}`),
  seed("invalid/lf-in-value-then-length", `${OK_HEAD}X-A: a\nContent-Length: 5\r\n\r\nhello${POISON}`),
  seed(
    "invalid/bare-cr-in-chunk-extension",
    `${withHeaders("Transfer-Encoding: chunked\r\n")}c;a=\rb\r\n${TOKEN_BODY}\r\n0\r\n\r\n${POISON}`,
  ),
  seed("invalid/cr-only-line", `${OK_HEAD}X-A: 1\r\n\r\r\nContent-Length: 5\r\n\r\nhello${POISON}`),
  seed("invalid/lf-only-lines", `HTTP/1.1 200 OK\nContent-Length: 12\n\n${TOKEN_BODY}${POISON}`),
  seed("invalid/obs-fold", `${withLength("X-A: 1\r\n 2\r\n")}${POISON}`),
  seed("invalid/obs-fold-length", `${OK_HEAD}X-A: 1\r\n Content-Length: 5\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("invalid/no-reason", `HTTP/1.1 200\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}`),
  seed("invalid/status-four-digits", `HTTP/1.1 2000 OK\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("invalid/status-lower-case", `http/1.1 200 OK\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("invalid/http2-status-line", `HTTP/2 200 OK\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}${POISON}`),
  seed("invalid/header-no-colon", `${withLength("NoColon\r\n")}${POISON}`),
  seed("invalid/header-name-space", `${withLength("X A: 1\r\n")}${POISON}`),
  seed("invalid/head-over-buffer", `${withLength(`X-Big: ${"b".repeat(9000)}\r\n`)}${POISON}`),
  seed("invalid/length-negative", `${withHeaders("Content-Length: -1\r\n")}${TOKEN_BODY}${POISON}`),
  seed("invalid/length-huge", `${withHeaders("Content-Length: 99999999999999999999\r\n")}${TOKEN_BODY}${POISON}`),
  seed("invalid/length-hex", `${withHeaders("Content-Length: 0xc\r\n")}${TOKEN_BODY}${POISON}`),

  seed("chunked/leading-zeros", `${withHeaders("Transfer-Encoding: chunked\r\n")}000c\r\n${TOKEN_BODY}\r\n000\r\n\r\n${POISON}`),
  seed("chunked/huge-size", `${withHeaders("Transfer-Encoding: chunked\r\n")}fffffffffffffffff\r\n${TOKEN_BODY}\r\n0\r\n\r\n${POISON}`),
  seed(
    "chunked/size-overflowing-to-small",
    `${withHeaders("Transfer-Encoding: chunked\r\n")}1000000000000000c\r\n${TOKEN_BODY}\r\n0\r\n\r\n${POISON}`,
  ),
  seed("chunked/bare-lf", `${withHeaders("Transfer-Encoding: chunked\r\n")}c\n${TOKEN_BODY}\n0\n\n${POISON}`),
  seed("chunked/missing-final-crlf", `${withHeaders("Transfer-Encoding: chunked\r\n")}c\r\n${TOKEN_BODY}\r\n0\r\n${POISON}`),
  seed("chunked/no-crlf-after-data", `${withHeaders("Transfer-Encoding: chunked\r\n")}c\r\n${TOKEN_BODY}0\r\n\r\n${POISON}`),
  seed(
    "chunked/trailer-bare-cr",
    `${withHeaders("Transfer-Encoding: chunked\r\n")}${"c\r\n"}${TOKEN_BODY}\r\n0\r\nX-T: a\rb\r\n\r\n${POISON}`,
  ),
  seed("chunked/extension", `${withHeaders("Transfer-Encoding: chunked\r\n")}c;name=value\r\n${TOKEN_BODY}\r\n0\r\n\r\n`),

  seed("upgrade/101-unrequested", `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${POISON}`),
  seed("upgrade/101-requested", `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${POISON}`, {
    close: false,
    first: "upgrade",
  }),
  seed("interim/100-then-final", `HTTP/1.1 100 Continue\r\n\r\n${withLength("")}`),
  seed("interim/103-then-final", `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${withLength("")}`),
  seed("interim/100-then-overlong", `HTTP/1.1 100 Continue\r\n\r\n${withHeaders("Content-Length: 5\r\n")}hello${POISON}`),

  seed("idle/response-later", withLength(""), { close: false, later: POISON }),
  seed("idle/chunked-later", `${withHeaders("Transfer-Encoding: chunked\r\n")}${chunkedBody}`, { close: false, later: POISON }),
  seed("idle/close-later", withLength(""), { close: true, later: "" }),
  seed("idle/half-response-later", withLength(""), { close: false, later: "HTTP/1.1 200 OK\r\nContent-" }),
  seed("idle/http10-later", `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 12\r\n\r\n${TOKEN_BODY}`, {
    close: false,
    later: POISON,
  }),

  seed("early-close/mid-body", `${withHeaders("Content-Length: 100\r\n")}${TOKEN_BODY}`, { close: true }),
  seed("early-close/mid-head", `${OK_HEAD}Content-Length: 12\r\nX-A`, { close: true }),
  seed("early-close/mid-chunk", `${withHeaders("Transfer-Encoding: chunked\r\n")}20\r\n${TOKEN_BODY}`, { close: true }),
  seed("early-close/before-last-chunk", `${withHeaders("Transfer-Encoding: chunked\r\n")}c\r\n${TOKEN_BODY}\r\n`, { close: true }),
  seed("early-close/nothing", "", { close: true }),
  seed("early-close/length-then-more-later", `${withHeaders("Content-Length: 30\r\n")}${TOKEN_BODY}`, {
    close: true,
    later: `${T}${"x".repeat(7)}`,
  }),

  seed("http09/reply", `${TOKEN_BODY}hello\n`, { close: true }),
  seed("http09/reply-kept-open", `${TOKEN_BODY}hello\n`, { close: false }),
  seed("http09/looks-like-response-later", `${TOKEN_BODY}`, { close: true, later: POISON }),
];
