/**
 * The floor of a proxy on Node, as issue #7 describes it: node:http in, an undici Pool out,
 * raw header arrays, the body piped, no Fetch objects and nothing else. Usage:
 * node bench/peers/node-undici.ts PORT UPSTREAM_URL
 */
import http from "node:http";
import { Pool } from "undici";

const [port, upstream] = process.argv.slice(2) as [string, string];
const pool = new Pool(upstream, { connections: 64 });
const HOP_BY_HOP = /^(connection|keep-alive|transfer-encoding|upgrade|te|trailer|proxy-connection)$/i;

const server = http.createServer((req, res) => {
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.test(raw[i] as string)) headers.push(raw[i] as string, raw[i + 1] as string);
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  pool.request({ path: req.url ?? "/", method: req.method as "GET", headers, body: hasBody ? req : null }).then(
    ({ statusCode, headers, body }) => {
      res.writeHead(statusCode, headers as http.OutgoingHttpHeaders);
      body.pipe(res);
    },
    () => {
      res.statusCode = 502;
      res.end();
    },
  );
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
