/** Runs wrk (from Debian's packages) and reads the JSON line bench/report.lua prints. */
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly p99Us: number;
  /** Responses with a status above 399. */
  readonly non2xx: number;
  /** connect, read, write and timeout errors together. */
  readonly socketErrors: number;
}

export interface WrkRun {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  /** A POST body of this many bytes; 0 sends GETs. */
  readonly bodyBytes: number;
  /** Runs wrk on this CPU only (taskset), or anywhere when null. */
  readonly cpu: number | null;
  /** Extra request header lines (`Connection: close` makes every request a new connection). */
  readonly headers?: readonly string[];
  /** Sends `Accept-Encoding: gzip`. */
  readonly acceptGzip?: boolean;
}

const SCRIPT = join(import.meta.dirname, "report.lua");

export function wrk(run: WrkRun): Promise<WrkResult> {
  const headers = (run.headers ?? []).flatMap((h) => ["-H", h]);
  const args = ["-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "10s", ...headers, "-s", SCRIPT, run.url];
  const [cmd, argv] = run.cpu === null ? ["wrk", args] : ["taskset", ["-c", String(run.cpu), "wrk", ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, argv as string[], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BENCH_BODY_BYTES: String(run.bodyBytes), BENCH_ACCEPT_GZIP: run.acceptGzip ? "1" : "" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("error", (e) => reject(new Error(`wrk could not start (apt-get install wrk): ${e.message}`)));
    child.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${err}${out}`));
      resolve(JSON.parse(line) as WrkResult);
    });
  });
}
