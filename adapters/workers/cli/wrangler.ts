import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The part of wrangler's own config reader the command line uses. */
interface WranglerApi {
  unstable_readConfig(args: { config?: string; env?: string }, options?: { hideWarnings?: boolean }): WranglerConfig;
}

/** What the command line reads from the project's wrangler config. */
export interface WranglerConfig {
  /** The config file wrangler found (or was given); undefined when there is none. */
  readonly configPath: string | undefined;
  readonly name: string | undefined;
  readonly kv_namespaces: readonly { readonly binding: string }[];
}

/** A wrangler install: its command-line script, and its package to read configs with. */
export interface Wrangler {
  readonly bin: string;
  readonly module: string;
}

/**
 * The project's own wrangler (resolved from `dir`, as `npx wrangler` finds it), else the one
 * installed beside edgeproxy; null when there is none.
 */
export function findWrangler(dir: string): Wrangler | null {
  for (const base of [join(dir, "package.json"), import.meta.filename]) {
    try {
      const require = createRequire(base);
      const pkg = require.resolve("wrangler/package.json");
      const bin = (require("wrangler/package.json") as { bin: Record<string, string> }).bin.wrangler as string;
      return { bin: join(pkg, "..", bin), module: require.resolve("wrangler") };
    } catch {}
  }
  return null;
}

/**
 * Reads the project's wrangler config (wrangler.json, wrangler.jsonc or wrangler.toml, found as
 * wrangler finds it, or `config`) with wrangler's own reader, so that environments and defaults
 * are wrangler's.
 */
export async function readWranglerConfig(wrangler: Wrangler, config: string | undefined, env: string | undefined): Promise<WranglerConfig> {
  const api = (await import(pathToFileURL(wrangler.module).href)) as Partial<WranglerApi>;
  if (typeof api.unstable_readConfig !== "function") {
    throw new Error("this wrangler cannot read its config for edgeproxy (no unstable_readConfig): pass --kv-binding NAME");
  }
  return api.unstable_readConfig({ ...(config ? { config } : {}), ...(env ? { env } : {}) }, { hideWarnings: true });
}
