import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { get } from "../support/client.ts";
import { ROOT, tempDir } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

/** The pinned Node and Bun first on PATH, as npm scripts have them (Bun's bins say `#!/usr/bin/env bun`). */
export const PATH = [join(ROOT, "node_modules", ".bin"), dirname(process.execPath), process.env.PATH ?? ""].join(delimiter);
export const BUN = join(ROOT, "node_modules", ".bin", "bun");
/** The repository's wrangler: a consumer project gets it as a link, as if it had installed it. */
const WRANGLER = join(ROOT, "node_modules", "wrangler");

/**
 * `npm pack` of the repository into `dir` (prepack builds dist/ first, from clean): the one
 * tarball every consumer test installs. Returns its path.
 */
export function packTarball(dir: string): string {
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    env: { ...process.env, PATH },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  return join(dir, tarball);
}

/**
 * A fresh project outside the repository with the tarball installed, as a user would install it,
 * beside Hono and @hono/node-server (from npm's cache when it has them), and wrangler linked in.
 */
export function consumerProject(tarball: string): string {
  const dir = tempDir("consumer");
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`);
  execFileSync(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, "hono", "@hono/node-server"],
    {
      cwd: dir,
      env: { ...process.env, PATH },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  symlinkSync(WRANGLER, join(dir, "node_modules", "wrangler"));
  return dir;
}

/** Writes files into the project: `{ "src/app.ts": "..." }`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** A process a test started in the project, in its own process group (npx and wrangler start children). */
export interface Started {
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command` in `cwd` and waits until `port` answers HTTP (and, with `readyText`, until
 * the output says it); fails with the output if the process exits first.
 */
export async function startIn(cwd: string, command: string[], port: number, readyText?: string): Promise<Started> {
  const [cmd, ...args] = command as [string, ...string[]];
  const child = spawn(cmd, args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PATH, WRANGLER_SEND_METRICS: "false" },
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const started: Started = { pid: child.pid as number, output: () => output, stop: () => stopGroup(child) };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${command.join(" ")} exited with ${child.exitCode}:\n${output}`);
      if (readyText && !output.includes(readyText)) return false;
      return (await get(port, "/", [`Host: 127.0.0.1:${port}`])).status !== 0;
    }, 60_000);
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}

/** Stops the process group this test started: SIGTERM, then SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), s);
    } catch {
      // The group is gone already.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
