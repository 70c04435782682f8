/**
 * The load of the WebSocket bench: CONNECTIONS WebSockets through the proxy at PORT, each
 * sending one binary message of BYTES and waiting for its echo before the next, for SECONDS.
 * Frames are built once and replies counted by length, so the load costs little CPU next to
 * the proxy. Prints one JSON line: messages echoed, and the median and p99 round trip in µs.
 *
 *   node bench/websocket-load.ts PORT PATH CONNECTIONS SECONDS BYTES
 */
import net from "node:net";

const [port, path, connections, seconds, bytes] = [
  Number(process.argv[2]),
  process.argv[3] as string,
  Number(process.argv[4]),
  Number(process.argv[5]),
  Number(process.argv[6]),
];

/** One masked binary frame from the client (RFC 6455 5.2), payload length under 64 KiB. */
function clientFrame(size: number): Buffer {
  const mask = [0x11, 0x22, 0x33, 0x44];
  const head = size < 126 ? Buffer.from([0x82, 0x80 | size]) : Buffer.from([0x82, 0x80 | 126, size >> 8, size & 0xff]);
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i % 251) ^ (mask[i % 4] as number);
  return Buffer.concat([head, Buffer.from(mask), payload]);
}

/** The echo's length on the wire: the server's frames are not masked. */
const replyBytes = bytes + (bytes < 126 ? 2 : 4);
const frame = clientFrame(bytes);
const HANDSHAKE = `GET ${path} HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

const roundTrips: number[] = [];
let messages = 0;
let running = true;

function run(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(HANDSHAKE));
    socket.setNoDelay(true);
    let head: Buffer | null = Buffer.alloc(0);
    let pending = 0;
    let sentAt = 0;
    const send = () => {
      sentAt = performance.now();
      socket.write(frame);
    };
    socket.on("data", (chunk: Buffer) => {
      let data = chunk;
      if (head) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!head.toString("latin1", 0, 12).startsWith("HTTP/1.1 101"))
          return reject(new Error(`no upgrade: ${head.toString("latin1", 0, 40)}`));
        data = head.subarray(end + 4);
        head = null;
        send();
      }
      pending += data.length;
      if (pending < replyBytes) return;
      pending -= replyBytes;
      messages++;
      roundTrips.push(performance.now() - sentAt);
      if (running) send();
      else socket.end();
    });
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
}

const all = Array.from({ length: connections }, run);
setTimeout(() => {
  running = false;
}, seconds * 1000);
await Promise.all(all);
roundTrips.sort((a, b) => a - b);
const at = (q: number) => (roundTrips[Math.min(roundTrips.length - 1, Math.floor(q * roundTrips.length))] ?? 0) * 1000;
console.log(JSON.stringify({ messages, seconds, p50Us: at(0.5), p99Us: at(0.99) }));
