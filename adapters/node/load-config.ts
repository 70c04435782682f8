import { lookup } from "node:dns/promises";
import { resolve } from "node:path";
import { type Config, compileConfig, parseConfig } from "../../core/index.ts";
import { fileSource } from "./config-source.ts";

/** Reads, parses and compiles a config file; host names resolve once, here, as nginx does. */
export async function loadConfig(file: string, warn: (message: string) => void): Promise<Config> {
  const tree = parseConfig(resolve(file), fileSource);
  return compileConfig(tree, {
    warn,
    resolveHost: async (host) => (await lookup(host, { all: true })).map((a) => a.address),
  });
}
