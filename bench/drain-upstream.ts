/**
 * The upstream end of the POST scenarios: reads the whole request body, then answers with its
 * length. A proxy that streams the body is thereby timed until the body has arrived, not
 * until an upstream that answers early has answered. Usage: node bench/drain-upstream.ts PORT
 */
import http from "node:http";

const port = Number(process.argv[2]);
const server = http.createServer((request, response) => {
  let length = 0;
  request.on("data", (chunk: Buffer) => {
    length += chunk.length;
  });
  request.on("end", () => response.end(`${length}\n`));
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
