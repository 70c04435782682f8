/**
 * The request seeds the fuzzer mutates: each one a class of request that proxies have been seen to
 * read two ways (request smuggling, chunked edge cases, bare CR/LF/NUL, limits, absolute forms,
 * methods, versions). Names are `class/detail`; the class groups the run's summary. Paths under
 * `/nk/` reach the location without upstream keepalive, everything else the keepalive one.
 */

/** One seed: a name and the exact bytes a client sends. */
export interface Seed {
  readonly name: string;
  readonly bytes: Buffer;
}

/** A request a proxy should forward; it follows smuggling attempts as their payload. */
export const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: fuzz\r\n\r\n";

/** Pipelined follow-ups appended after a first request by the `follow-up` mutation. */
export const FOLLOW_UPS: readonly string[] = [
  "GET /next HTTP/1.1\r\nHost: fuzz\r\n\r\n",
  "GET /next HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n",
  "POST /next HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 4\r\n\r\nnext",
  "HEAD /next HTTP/1.1\r\nHost: fuzz\r\n\r\n",
  "GET /nk/next HTTP/1.0\r\n\r\n",
  SMUGGLED,
];

const body = (text: string): string => `Content-Length: ${text.length}\r\n\r\n${text}`;

/** A POST whose framing is given by `framing` header lines, then `rest` (body and whatever follows). */
const post = (framing: string, rest: string, version = "1.1"): string => `POST / HTTP/${version}\r\nHost: fuzz\r\n${framing}\r\n${rest}`;

const chunked = (encoding: string): string => post(`Transfer-Encoding: ${encoding}\r\n`, `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`);

const basics: [string, string][] = [
  ["basic/get", "GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["basic/get-close", "GET /a?b=c HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n"],
  ["basic/get-no-keepalive-location", "GET /nk/x HTTP/1.1\r\nHost: fuzz\r\nUser-Agent: fuzz\r\n\r\n"],
  ["basic/head", "HEAD / HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["basic/post-length", post(body("hello"), "")],
  ["basic/post-chunked", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n")],
  ["basic/http10", "GET / HTTP/1.0\r\n\r\n"],
  ["basic/http10-keepalive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"],
  ["basic/expect-continue", `POST / HTTP/1.1\r\nHost: fuzz\r\nExpect: 100-continue\r\n${body("hello")}`],
  [
    "basic/pipelined-three",
    `GET /1 HTTP/1.1\r\nHost: fuzz\r\n\r\nPOST /2 HTTP/1.1\r\nHost: fuzz\r\n${body("two")}GET /3 HTTP/1.1\r\nHost: fuzz\r\n\r\n`,
  ],
];

const smuggling: [string, string][] = [
  ["smuggling/cl-te", post(`Content-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n`, `0\r\n\r\n${SMUGGLED}`)],
  [
    "smuggling/te-cl",
    post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`),
  ],
  ["smuggling/two-lengths-equal", post("Content-Length: 5\r\nContent-Length: 5\r\n", `hello${SMUGGLED}`)],
  ["smuggling/two-lengths-different", post("Content-Length: 0\r\nContent-Length: 38\r\n", SMUGGLED)],
  ["smuggling/length-list", post("Content-Length: 5, 5\r\n", `hello${SMUGGLED}`)],
  ["smuggling/length-plus", post("Content-Length: +5\r\n", `hello${SMUGGLED}`)],
  ["smuggling/length-leading-zeros", post("Content-Length: 0005\r\n", `hello${SMUGGLED}`)],
  ["smuggling/length-huge", post("Content-Length: 99999999999999999999\r\n", `hello${SMUGGLED}`)],
  ["smuggling/length-negative", post("Content-Length: -1\r\n", `hello${SMUGGLED}`)],
  ["smuggling/length-hex", post("Content-Length: 0x5\r\n", `hello${SMUGGLED}`)],
  ["smuggling/te-chunked-identity", chunked("chunked, identity")],
  ["smuggling/te-identity-chunked", chunked("identity, chunked")],
  ["smuggling/te-leading-space", chunked(" chunked")],
  ["smuggling/te-leading-tab", chunked("\tchunked")],
  ["smuggling/te-trailing-tab", chunked("chunked\t")],
  ["smuggling/te-capitalised", chunked("Chunked")],
  ["smuggling/te-xchunked", chunked("xchunked")],
  ["smuggling/te-chunked-twice", chunked("chunked, chunked")],
  ["smuggling/te-gzip-chunked", chunked("gzip, chunked")],
  ["smuggling/te-vertical-tab", chunked("\x0bchunked")],
  ["smuggling/te-quoted", chunked('"chunked"')],
  ["smuggling/te-two-headers", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["smuggling/te-obs-fold", post("Transfer-Encoding:\r\n chunked\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["smuggling/te-folded-into-other", post("X-Pad: a\r\n Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["smuggling/te-space-before-colon", post("Transfer-Encoding : chunked\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["smuggling/cl-space-before-colon", post("Content-Length : 5\r\n", `hello${SMUGGLED}`)],
  ["smuggling/te-underscore", post("Transfer_Encoding: chunked\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["smuggling/te-http10", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, "1.0")],
  ["smuggling/cl-te-http10", post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", `0\r\n\r\n${SMUGGLED}`, "1.0")],
  ["smuggling/get-with-body", `GET / HTTP/1.1\r\nHost: fuzz\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["smuggling/cr-only-line", `POST / HTTP/1.1\r\nHost: fuzz\r\n\r\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["smuggling/crs-only-line", `GET / HTTP/1.1\r\nHost: fuzz\r\n\r\r\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["smuggling/bare-cr-before-length", `POST / HTTP/1.1\r\nHost: fuzz\r\nX-A: b\rContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["smuggling/bare-lf-before-length", `POST / HTTP/1.1\r\nHost: fuzz\r\nX-A: b\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["smuggling/nul-in-length", post("Content-Length: 5\0\r\n", `hello${SMUGGLED}`)],
];

const chunkedEdges: [string, string][] = [
  ["chunked/leading-zeros", post("Transfer-Encoding: chunked\r\n", `0005\r\nhello\r\n0000\r\n\r\n`)],
  ["chunked/many-leading-zeros", post("Transfer-Encoding: chunked\r\n", `${"0".repeat(40)}5\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/huge-size", post("Transfer-Encoding: chunked\r\n", `fffffffffffffffff\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/size-overflowing-to-small", post("Transfer-Encoding: chunked\r\n", `10000000000000005\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/size-max-int64", post("Transfer-Encoding: chunked\r\n", `7fffffffffffffff\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/extension", post("Transfer-Encoding: chunked\r\n", `5;name=value\r\nhello\r\n0;last\r\n\r\n`)],
  ["chunked/extension-quoted", post("Transfer-Encoding: chunked\r\n", `5;name="a;b\\"c"\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/extension-bare-cr", post("Transfer-Encoding: chunked\r\n", `5;a=b\rc\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["chunked/extension-bare-lf", post("Transfer-Encoding: chunked\r\n", `5;a\nb\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/space-after-size", post("Transfer-Encoding: chunked\r\n", `5 \r\nhello\r\n0\r\n\r\n`)],
  ["chunked/tab-after-size", post("Transfer-Encoding: chunked\r\n", `5\t;x\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/size-0x", post("Transfer-Encoding: chunked\r\n", `0x5\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/size-negative", post("Transfer-Encoding: chunked\r\n", `-5\r\nhello\r\n0\r\n\r\n`)],
  ["chunked/trailer", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n`)],
  [
    "chunked/trailer-length",
    post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`),
  ],
  ["chunked/trailer-bare-cr", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\nX-T: a\rb\r\n\r\n${SMUGGLED}`)],
  ["chunked/trailer-obs-fold", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n`)],
  ["chunked/bare-lf", post("Transfer-Encoding: chunked\r\n", `5\nhello\n0\n\n${SMUGGLED}`)],
  ["chunked/bare-cr", post("Transfer-Encoding: chunked\r\n", `5\rhello\r0\r\r${SMUGGLED}`)],
  ["chunked/missing-final-crlf", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\r\n${SMUGGLED}`)],
  ["chunked/data-longer-than-size", post("Transfer-Encoding: chunked\r\n", `5\r\nhelloXX\r\n0\r\n\r\n`)],
  ["chunked/data-shorter-than-size", post("Transfer-Encoding: chunked\r\n", `7\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ["chunked/no-last-chunk", post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n${SMUGGLED}`)],
  ["chunked/many-small-chunks", post("Transfer-Encoding: chunked\r\n", `${"1\r\na\r\n".repeat(200)}0\r\n\r\n`)],
];

const bareBytes: [string, string][] = [
  ["bare/cr-in-request-line", "GET /a\rb HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["bare/cr-after-version", "GET / HTTP/1.1\r\rHost: fuzz\r\n\r\n"],
  ["bare/lf-request-line", "GET / HTTP/1.1\nHost: fuzz\r\n\r\n"],
  ["bare/lf-everywhere", "GET / HTTP/1.1\nHost: fuzz\nX-A: 1\n\n"],
  ["bare/cr-in-name", "GET / HTTP/1.1\r\nHost: fuzz\r\nX\rA: 1\r\n\r\n"],
  ["bare/cr-in-value", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A: 1\r2\r\n\r\n"],
  ["bare/cr-ending-value", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A: 1\r\r\n\r\n"],
  ["bare/nul-in-target", "GET /a\0b HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["bare/nul-in-name", "GET / HTTP/1.1\r\nHost: fuzz\r\nX\0A: 1\r\n\r\n"],
  ["bare/nul-in-value", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A: 1\x002\r\n\r\n"],
  ["bare/cr-line-between", "GET / HTTP/1.1\r\nHost: fuzz\r\n\r\r\nX-A: 1\r\n\r\n"],
  ["bare/lf-cr-line", "GET / HTTP/1.1\r\nHost: fuzz\r\n\n\r\nX-A: 1\r\n\r\n"],
  ["bare/cr-in-host", "GET / HTTP/1.1\r\nHost: fu\rzz\r\n\r\n"],
  ["bare/lf-in-host", "GET / HTTP/1.1\r\nHost: fu\nzz\r\n\r\n"],
];

const kib = (n: number) => n * 1024;
const manyHeaders = (count: number): string => {
  let lines = "";
  for (let i = 0; i < count; i++) lines += `X-${i}: ${i}\r\n`;
  return `GET / HTTP/1.1\r\nHost: fuzz\r\n${lines}\r\n`;
};
/** A GET whose head has `headerBytes` of filler in lines of at most `perLine` bytes. */
const bigHead = (headerBytes: number, perLine: number): string => {
  let lines = "";
  for (let left = headerBytes, i = 0; left > 0; i++) {
    const size = Math.min(left, perLine);
    const name = `X-Big-${i}: `;
    lines += `${name}${"v".repeat(Math.max(1, size - name.length - 2))}\r\n`;
    left -= size;
  }
  return `GET / HTTP/1.1\r\nHost: fuzz\r\n${lines}\r\n`;
};
const targetOf = (length: number): string => `/${"t".repeat(length - 1)}`;

const limits: [string, string][] = [
  ["limits/request-line-1k", `GET ${targetOf(kib(1) - 14)} HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
  ["limits/request-line-8k-under", `GET ${targetOf(kib(8) - 16)} HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
  ["limits/request-line-8k-at", `GET ${targetOf(kib(8) - 14)} HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
  ["limits/request-line-8k-over", `GET ${targetOf(kib(8) + 10)} HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
  ["limits/header-line-1k", bigHead(kib(1), kib(1))],
  ["limits/header-line-8k-under", bigHead(kib(8) - 4, kib(8) - 4)],
  ["limits/header-line-8k-at", bigHead(kib(8), kib(8))],
  ["limits/header-line-8k-over", bigHead(kib(8) + 8, kib(8) + 8)],
  ["limits/head-31k", bigHead(kib(31), kib(4))],
  ["limits/head-32k-edge", bigHead(kib(32) - 40, kib(8) - 100)],
  ["limits/head-33k", bigHead(kib(33), kib(8) - 100)],
  ["limits/head-35k", bigHead(kib(35), kib(4))],
  ["limits/head-64k", bigHead(kib(64), kib(4))],
  ["limits/headers-100", manyHeaders(100)],
  ["limits/headers-1000", manyHeaders(1000)],
  ["limits/headers-10000", manyHeaders(10_000)],
  ["limits/method-long", `${"M".repeat(100)} / HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
  ["limits/empty-lines-before", `${"\r\n".repeat(50)}GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n`],
];

const absolute: [string, string][] = [
  ["absolute/plain", "GET http://fuzz/x HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/no-host-header", "GET http://fuzz/x HTTP/1.1\r\n\r\n"],
  ["absolute/other-host-header", "GET http://fuzz/x HTTP/1.1\r\nHost: other\r\n\r\n"],
  ["absolute/userinfo", "GET http://u:p@x/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/userinfo-no-host", "GET http://u:p@x/ HTTP/1.1\r\n\r\n"],
  ["absolute/dot-port-dot", "GET http://example.com.:1.2/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/empty-host-two-ports", "GET http://:9000:80/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/ipv6-unclosed", "GET http://[::1/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/ipv6-junk-after", "GET http://[::1]x/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/ipv6-not-hex", "GET http://[zz::1]/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/ipv6-zone", "GET http://[fe80::1%25eth0]/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/ipv6-port", "GET http://[::1]:80/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/no-path", "GET http://fuzz HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/https", "GET https://fuzz/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/upper-scheme", "GET HTTP://FUZZ/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/port-too-big", "GET http://fuzz:99999/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/host-with-underscore", "GET http://fu_zz/ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/host-trailing-dots", "GET http://fuzz../ HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/host-slash-dot", "GET http://fuzz/../../etc HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["absolute/http10-no-host", "GET http://fuzz/ HTTP/1.0\r\n\r\n"],
  ["absolute/origin-no-host", "GET / HTTP/1.1\r\n\r\n"],
  ["absolute/host-empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n"],
  ["absolute/host-twice", "GET / HTTP/1.1\r\nHost: fuzz\r\nHost: other\r\n\r\n"],
  ["absolute/host-bad", "GET / HTTP/1.1\r\nHost: fu/zz\r\n\r\n"],
  ["absolute/host-ipv6-bad", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"],
];

const methods: [string, string][] = [
  ["methods/trace", "TRACE / HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["methods/trace-cl-te", `TRACE / HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ["methods/trace-two-lengths", `TRACE / HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n${SMUGGLED}`],
  ["methods/trace-te-bad", `TRACE / HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: gzip\r\n\r\n${SMUGGLED}`],
  ["methods/trace-no-host", `TRACE / HTTP/1.1\r\n\r\n${SMUGGLED}`],
  ["methods/trace-length", `TRACE / HTTP/1.1\r\nHost: fuzz\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["methods/connect", "CONNECT fuzz:80 HTTP/1.1\r\nHost: fuzz:80\r\n\r\n"],
  [
    "methods/connect-cl-te",
    `CONNECT fuzz:80 HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ["methods/connect-length", `CONNECT fuzz:80 HTTP/1.1\r\nHost: fuzz\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["methods/options-star", "OPTIONS * HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["methods/lower-case", "get / HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
  ["methods/delete-body", `DELETE / HTTP/1.1\r\nHost: fuzz\r\n${body("gone")}`],
  ["methods/patch-chunked", post("Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n0\r\n\r\n").replace("POST", "PATCH")],
  ["methods/head-with-body", `HEAD / HTTP/1.1\r\nHost: fuzz\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ["methods/unknown", "FUZZ / HTTP/1.1\r\nHost: fuzz\r\n\r\n"],
];

const versions: [string, string][] = [
  ["versions/http09", "GET /\r\n"],
  ["versions/http09-post", "POST /\r\n"],
  ["versions/http09-then-more", `GET /\r\n${SMUGGLED}`],
  ["versions/http09-explicit", "GET / HTTP/0.9\r\nHost: fuzz\r\n\r\n"],
  ["versions/http12", "GET / HTTP/1.2\r\nHost: fuzz\r\n\r\n"],
  ["versions/http20", "GET / HTTP/2.0\r\nHost: fuzz\r\n\r\n"],
  ["versions/http30", "GET / HTTP/3.0\r\nHost: fuzz\r\n\r\n"],
  ["versions/leading-zero", "GET / HTTP/1.01\r\nHost: fuzz\r\n\r\n"],
  ["versions/no-minor", "GET / HTTP/1\r\nHost: fuzz\r\n\r\n"],
  ["versions/trailing-space", "GET / HTTP/1.1 \r\nHost: fuzz\r\n\r\n"],
  ["versions/lower-case", "GET / http/1.1\r\nHost: fuzz\r\n\r\n"],
  ["versions/big-minor", "GET / HTTP/1.999\r\nHost: fuzz\r\n\r\n"],
];

const headerSyntax: [string, string][] = [
  ["headers/obs-fold", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A: 1\r\n 2\r\n\r\n"],
  ["headers/obs-fold-tab", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A: 1\r\n\t2\r\n\r\n"],
  ["headers/first-line-folded", "GET / HTTP/1.1\r\n Host: fuzz\r\n\r\n"],
  ["headers/space-before-colon", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-A : 1\r\n\r\n"],
  ["headers/no-colon", "GET / HTTP/1.1\r\nHost: fuzz\r\nNoColon\r\n\r\n"],
  ["headers/empty-name", "GET / HTTP/1.1\r\nHost: fuzz\r\n: 1\r\n\r\n"],
  ["headers/high-bytes", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-\xe9: \xff\xfe\r\n\r\n"],
  [
    "headers/connection-tokens",
    "GET / HTTP/1.1\r\nHost: fuzz\r\nConnection: keep-alive, Upgrade, X-A\r\nX-A: 1\r\nUpgrade: websocket\r\n\r\n",
  ],
  ["headers/keep-alive-header", "GET / HTTP/1.1\r\nHost: fuzz\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\r\n"],
  ["headers/x-fuzz-client-forged", "GET / HTTP/1.1\r\nHost: fuzz\r\nX-Fuzz-Client: 1\r\n\r\n"],
];

/** Every request seed, in a fixed order (case generation draws from this list by index). */
export const REQUEST_SEEDS: readonly Seed[] = [
  ...basics,
  ...smuggling,
  ...chunkedEdges,
  ...bareBytes,
  ...limits,
  ...absolute,
  ...methods,
  ...versions,
  ...headerSyntax,
].map(([name, text]) => ({ name, bytes: Buffer.from(text, "latin1") }));
