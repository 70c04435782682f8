import { accessSync, constants } from "node:fs";

/**
 * MiB of each of V8's semi-spaces, the young generation where a request's short-lived objects
 * and Buffer handles live. V8 grows them to 16-32 MiB under load, and the pages stay: Node's
 * peak RSS under the bench's load was 290 MiB, against 140 with 4 MiB, which also ran a small
 * GET 5% and a 64 KiB GET 25% faster (the young generation stays in the CPU's caches) and a
 * POST 256 KiB 8% slower (`node bench/ab.ts .,--max-semi-space-size=4 .`).
 */
export const SEMI_SPACE_MIB = 4;

/** `--max-semi-space-size[=N]`, however V8 lets it be spelled. */
const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(?:=(\d+))?$/;

/**
 * The semi-space size this process was started with, in MiB (on the command line or in
 * NODE_OPTIONS), or null when V8 chose it.
 */
export function semiSpaceMiB(): number | null {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].map((arg) => arg.replace(/^["']|["']$/g, ""));
  for (const [i, arg] of given.entries()) {
    const match = SEMI_SPACE_FLAG.exec(arg);
    // The size may follow as the next argument, as V8 takes it.
    if (match) return Number(match[1] ?? given[i + 1]);
  }
  return null;
}

/**
 * V8 reads the young generation's size only when it starts; a flag set from inside the process
 * changes nothing. So an edgeproxy started without one replaces itself, once, with the same
 * Node started with it: `process.execve()`, the same pid, arguments, environment and file
 * descriptors. An operator's own `--max-semi-space-size` (on the command line or in
 * NODE_OPTIONS) is kept. It runs as it is where it cannot restart: a Node without `execve`
 * (Windows, before 22.15), under `--permission` without child processes, or when its own
 * executable cannot be run again (execve would abort the process rather than throw).
 */
export function restartWithBoundedYoungGeneration(): void {
  if (typeof process.execve !== "function" || semiSpaceMiB() !== null) return;
  if (process.permission?.has("child") === false) return;
  try {
    accessSync(process.execPath, constants.X_OK);
    const flag = `--max-semi-space-size=${SEMI_SPACE_MIB}`;
    process.execve(process.execPath, [process.execPath, flag, ...process.execArgv, ...process.argv.slice(1)]);
  } catch {
    // Serves with V8's own sizes.
  }
}
