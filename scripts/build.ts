/**
 * `npm run build` (and `npm pack`, through prepack): the package's JavaScript, declarations and
 * source maps in dist/, from a clean directory. Two tsc programs, because the Node and Bun
 * half and the Worker half are checked against different runtime types (tsconfig.build.json,
 * adapters/workers/tsconfig.build.json); both write core/ alike.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(join(ROOT, "dist"), { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "adapters/workers/tsconfig.build.json"]) {
  const r = spawnSync(process.execPath, [tsc, "-p", join(ROOT, project)], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
