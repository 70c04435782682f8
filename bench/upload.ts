/**
 * One large buffered upload through a proxy, written as fast as the proxy takes it, and the
 * temp files the proxy leaves afterwards (also after a client that gives up halfway).
 */
import { readdirSync, statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";

export interface UploadResult {
  readonly seconds: number;
  /** The response's status line; empty when the client aborted. */
  readonly status: string;
}

/**
 * Sends `size` bytes as one POST to `path` in 1 MiB writes; with `abortAfter`, closes the
 * connection once that many bytes are written, as a client that gives up does.
 */
export function upload(port: number, path: string, size: number, abortAfter?: number): Promise<UploadResult> {
  const piece = Buffer.alloc(1024 * 1024, 7);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    let failure = "";
    const finish = () => {
      socket.destroy();
      resolve({ seconds: (performance.now() - started) / 1000, status: answer.split("\r\n")[0] || failure });
    };
    // Done at the end of the response, whether or not the proxy closes the connection after it.
    socket.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      const end = answer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end));
      if (length ? answer.length - end - 4 >= Number(length[1]) : answer.endsWith("0\r\n\r\n")) finish();
    });
    socket.on("close", finish);
    // A proxy that answers early and closes makes the next write fail: the answer is the result.
    socket.on("error", (error) => {
      failure = error.message;
    });
    socket.on("connect", async () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: bench\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
      for (let sent = 0; sent < size; sent += piece.length) {
        if (abortAfter !== undefined && sent >= abortAfter) return void socket.destroy();
        if (socket.destroyed) return;
        if (!socket.write(piece)) await new Promise((r) => socket.once("drain", r));
      }
    });
  });
}

/** Regular files under a proxy's client_body_temp_path (nginx names them by number). */
export function tempFilesIn(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, String(f))).isFile()).length;
  } catch {
    return 0;
  }
}
