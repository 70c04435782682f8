/**
 * The floor of a TLS-terminating proxy on Node: node:http2's secure server with HTTP/1.1 beside
 * it (ALPN), an undici Pool out, the same certificate and nginx's session settings (TLSv1.2,
 * no tickets), nothing else. Usage:
 * node bench/peers/node-tls-undici.ts PORT UPSTREAM_URL CERT_FILE KEY_FILE
 */
import { constants } from "node:crypto";
import { readFileSync } from "node:fs";
import type http from "node:http";
import http2 from "node:http2";
import { Pool } from "undici";

const [port, upstream, cert, key] = process.argv.slice(2) as [string, string, string, string];
const pool = new Pool(upstream, { connections: 64 });
const DROPPED = /^(:|connection$|keep-alive$|transfer-encoding$|upgrade$|te$|trailer$|proxy-connection$|host$)/i;

const server = http2.createSecureServer(
  {
    allowHTTP1: true,
    cert: readFileSync(cert),
    key: readFileSync(key),
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.2",
    secureOptions: constants.SSL_OP_NO_TICKET,
  },
  (req: http2.Http2ServerRequest | http.IncomingMessage, res: http2.Http2ServerResponse | http.ServerResponse) => {
    const headers: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) if (!DROPPED.test(raw[i] as string)) headers.push(raw[i] as string, raw[i + 1] as string);
    pool.request({ path: req.url ?? "/", method: "GET", headers }).then(
      ({ statusCode, headers, body }) => {
        const out: Record<string, string | string[]> = {};
        for (const [n, v] of Object.entries(headers)) if (v !== undefined && !DROPPED.test(n)) out[n] = v;
        (res as http.ServerResponse).writeHead(statusCode, out);
        body.pipe(res as NodeJS.WritableStream);
      },
      () => {
        res.statusCode = 502;
        res.end();
      },
    );
  },
);
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
