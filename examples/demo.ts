/**
 * `npm start`: three demo upstreams on 127.0.0.1:9001-9003 and edgeproxy in front of them on
 * 127.0.0.1:8080, with examples/edgeproxy.conf. Try `curl localhost:8080` a few times.
 */
import http from "node:http";
import { fileURLToPath } from "node:url";
import { main } from "edgeproxy/node";

const ports = [9001, 9002, 9003];
const upstreams = ports.map((port) =>
  http
    .createServer((req, res) => {
      res.setHeader("Content-Type", "text/plain");
      res.end(`hello from upstream ${port}: ${req.method} ${req.url} (Host: ${req.headers.host})\n`);
    })
    .listen(port, "127.0.0.1"),
);

const config = fileURLToPath(new URL("edgeproxy.conf", import.meta.url));
const started = await main(["-c", config]);
if (typeof started === "number") {
  for (const u of upstreams) u.close();
  process.exit(started);
}
process.stdout.write(`edgeproxy is balancing 127.0.0.1:8080 across ${ports.map((p) => `:${p}`).join(", ")} (weights 2:1:1)
  curl localhost:8080/         # run it a few times: 9001, 9002, 9003, 9001, ...
  curl localhost:8080/api/x    # forwarded upstream as /v1/x
  curl localhost:8080/health
Ctrl-C stops it.
`);
const stop = async () => {
  await started.running.stop();
  for (const u of upstreams) u.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
