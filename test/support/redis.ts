import { type ChildProcess, spawn } from "node:child_process";
import { acceptsConnections, freePort } from "./proxies.ts";

/** A real redis-server on a loopback port, which a test may kill and start again on the same port. */
export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server at once (SIGKILL): clients see their connections drop. */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server` (Debian's package) with no persistence, bound to 127.0.0.1. */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  let child: ChildProcess = await launch(port);
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      child = await launch(port);
    },
    stop: kill,
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const ok = await acceptsConnections(port);
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`redis-server not listening on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
