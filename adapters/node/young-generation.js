// Plain JavaScript, as main.js: it runs before any TypeScript is loaded.

/**
 * MiB of each of V8's semi-spaces, the young generation where a request's short-lived objects
 * and Buffer handles live. V8 grows them to 16-32 MiB under load, and the pages stay: Node's
 * peak RSS under the bench's load was 290 MiB, against 140 with 4 MiB, which also ran a small
 * GET 5% and a 64 KiB GET 25% faster (the young generation stays in the CPU's caches) and a
 * POST 256 KiB 8% slower (`node bench/ab.ts .,--max-semi-space-size=4 .`).
 */
export const SEMI_SPACE_MIB = 4;

/** `--max-semi-space-size`, however V8 lets it be spelled. */
const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(=|$)/;

/**
 * V8 reads the young generation's size only when it starts; a flag set from inside the process
 * changes nothing. So an edgeproxy started without one replaces itself, once, with the same
 * Node started with it: `process.execve()`, the same pid, arguments, environment and file
 * descriptors. An operator's own `--max-semi-space-size` (on the command line or in
 * NODE_OPTIONS) is kept, and a Node without `execve` (Windows, before 22.15) runs as it is.
 * @returns {void}
 */
export function restartWithBoundedYoungGeneration() {
  if (typeof process.execve !== "function") return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((arg) => SEMI_SPACE_FLAG.test(arg))) return;
  const flag = `--max-semi-space-size=${SEMI_SPACE_MIB}`;
  process.execve(process.execPath, [process.execPath, flag, ...process.execArgv, ...process.argv.slice(1)]);
}
