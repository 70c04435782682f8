import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** wrangler's config files, in the order wrangler prefers them. */
const CONFIG_NAMES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/**
 * The project's own wrangler (resolved from `dir`, as `npx wrangler` finds it), else the one
 * installed beside edgeproxy: the path of its command-line script, or null when there is none.
 */
export function findWrangler(dir: string): string | null {
  for (const base of [join(dir, "package.json"), import.meta.filename]) {
    const require = createRequire(base);
    let manifest: string;
    try {
      manifest = require.resolve("wrangler/package.json");
    } catch {
      continue; // Not installed here: try the next place.
    }
    const bin = (require(manifest) as { bin: Record<string, string> }).bin.wrangler as string;
    return join(dirname(manifest), bin);
  }
  return null;
}

/** Whether wrangler will find a config of the project's own: in `dir` or a folder above it, as wrangler looks. */
export function hasWranglerConfig(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (CONFIG_NAMES.some((name) => existsSync(join(at, name)))) return true;
    if (dirname(at) === at) return false;
  }
}
