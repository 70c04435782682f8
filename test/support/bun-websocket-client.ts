/**
 * Bun's own WebSocket client, run by `bun` from a test: opens `argv[2]`, echoes a text and a
 * 1 MiB binary message, closes with 4003 and prints what it saw as one JSON line.
 */
const url = process.argv[2] as string;
const ws = new WebSocket(url);
ws.binaryType = "arraybuffer";
const next = () => new Promise<string | ArrayBuffer>((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true }));
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = () => reject(new Error(`no WebSocket at ${url}`));
});
ws.send("hello from bun");
const text = await next();
const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
ws.send(big);
const echoed = new Uint8Array((await next()) as ArrayBuffer);
const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code), { once: true }));
ws.close(4003, "done");
console.log(
  JSON.stringify({ text, binaryMatches: echoed.length === big.length && echoed.every((b, i) => b === big[i]), closeCode: await closed }),
);
