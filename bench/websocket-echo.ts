/**
 * The upstream of the WebSocket bench: echoes every message (the `ws` package, which a Node
 * app behind a proxy would likely use). Usage: node bench/websocket-echo.ts PORT
 */
import { WebSocketServer } from "ws";

const server = new WebSocketServer({ port: Number(process.argv[2]), host: "127.0.0.1", perMessageDeflate: false });
server.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
process.on("SIGTERM", () => process.exit(0));
