/**
 * `npm run bench:upload [-- SIZE_MIB]`: one buffered upload (1 GiB by default) through nginx and
 * through edgeproxy's Node adapter, same config, same sink upstream. Prints time, throughput,
 * peak RSS of the proxy process (VmHWM) and spool files left behind. Not part of `npm test`.
 */
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { ADAPTER_COMMANDS, type RunningProxy, startEdgeproxy, startNginx } from "../support/proxies.ts";

const sizeMiB = Number(process.argv[2] ?? 1024);
const size = sizeMiB * 1024 * 1024;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function sink(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    let head = "";
    let remaining = -1;
    socket.on("data", (chunk: Buffer) => {
      if (remaining < 0) {
        head += chunk.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        remaining = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0) - (head.length - end - 4);
      } else remaining -= chunk.length;
      if (remaining <= 0) socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function upload(proxy: RunningProxy): Promise<{ seconds: number; status: string }> {
  const piece = Buffer.alloc(1024 * 1024, 7);
  const started = performance.now();
  const status = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(proxy.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("close", () => resolve(answer.split("\r\n")[0] ?? ""));
    socket.on("error", reject);
    socket.on("connect", async () => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
      for (let sent = 0; sent < size; sent += piece.length) {
        if (!socket.write(piece)) await new Promise((r) => socket.once("drain", r));
      }
    });
  });
  return { seconds: (performance.now() - started) / 1000, status };
}

const up = await sink();
const config = (port: number) => `
    client_max_body_size 0;
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://127.0.0.1:${up.port}; proxy_read_timeout 300s; }
    }`;
console.log(`buffered upload of ${sizeMiB} MiB, proxy_request_buffering on (the default)`);
console.log("proxy           status           time     MiB/s   peak RSS   spool files left");
const runs: [string, () => Promise<RunningProxy>][] = [
  ["nginx", () => startNginx(config)],
  ["edgeproxy node", () => startEdgeproxy(config, ADAPTER_COMMANDS.node)],
  ["edgeproxy bun", () => startEdgeproxy(config, ADAPTER_COMMANDS.bun)],
];
for (const [name, start] of runs) {
  const proxy = await start();
  try {
    const { seconds, status } = await upload(proxy);
    const left = readdirSync(`${proxy.dir}/body`, { recursive: true }).filter((f) => !String(f).match(/^\d+$/)).length;
    console.log(
      `${name.padEnd(15)} ${status.padEnd(16)} ${seconds.toFixed(2).padStart(6)} s ${(sizeMiB / seconds).toFixed(0).padStart(7)}  ${peakRssMiB(proxy.pid).toFixed(0).padStart(5)} MiB   ${left}`,
    );
  } finally {
    await proxy.stop();
  }
}
up.close();
